/** Per-test wiring: a fresh Pinia, the fake API installed as the client, clean storage and hash. */
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { setApi } from '../../src/renderer/src/lib/api.ts';
import { fakeApi, type FakeApi, type Handlers } from './fake-api.ts';

export function install(handlers: Handlers): FakeApi & { pinia: Pinia } {
  localStorage.clear();
  sessionStorage.clear();
  window.location.hash = '';
  const fake = fakeApi(handlers);
  setApi(fake.api);
  const pinia = createPinia();
  setActivePinia(pinia);
  return { ...fake, pinia };
}

/** Lets pending promise callbacks run. */
export const flush = (): Promise<void> => new Promise((r) => setTimeout(r, 0));
