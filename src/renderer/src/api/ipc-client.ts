/**
 * The UI's client inside the Electron app: the preload (src/preload/index.ts) exposes the contract
 * as `window.uma` over a MessagePort to the engine host; this only finds and types it.
 */
import type { UmaApi } from '../../../shared/api.ts';

export const hasIpc = (): boolean => typeof (globalThis as { uma?: unknown }).uma === 'object';

export function connectIpc(): UmaApi {
  const bridge = (globalThis as { uma?: UmaApi }).uma;
  if (!bridge)
    throw new Error('window.uma is missing: not running inside the UMA Workstation app (use the WebSocket client)');
  return bridge;
}
