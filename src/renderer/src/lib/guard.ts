/**
 * The busy/error bookkeeping every store action shares: the action runs with busy set, a refused or
 * failed call becomes the store's `error` (shown by the page) and the action answers undefined.
 */
import { ref } from 'vue';
import type { ErrorInfo } from '../../../shared/errors.ts';
import { errorInfo } from './api.ts';

export function actionGuard() {
  const busy = ref(false);
  const error = ref<ErrorInfo | null>(null);
  async function guarded<T>(fn: () => Promise<T>): Promise<T | undefined> {
    busy.value = true;
    error.value = null;
    try {
      return await fn();
    } catch (err) {
      error.value = errorInfo(err);
      return undefined;
    } finally {
      busy.value = false;
    }
  }
  return { busy, error, guarded };
}
