/**
 * Picks the transport at start-up: the Electron preload's window.uma when present, else the
 * WebSocket client to the `uma serve` that served this page, with the session token from the URL.
 */
import type { UmaApi } from '../../../shared/api.ts';

declare global {
  interface Window {
    uma?: UmaApi;
  }
}

export async function connectTransport(): Promise<UmaApi> {
  if (window.uma) return window.uma;
  const token = new URLSearchParams(window.location.search).get('token');
  if (!token) throw new Error('This page was opened without its session token (?token=… in the address).');
  throw new Error('WebSocket client pending');
}
