/**
 * Whether the service is reachable right now, as the transport sees it: the WebSocket client reports
 * each drop and each reconnect here, and the shell shows a notice while it is down. Pages re-read what
 * they show when it comes back (stores/scans.ts), since events sent meanwhile are lost.
 */
import { reactive } from 'vue';

export const connection = reactive({
  up: true,
  /** When the connection dropped (ISO time), while it is down. */
  lostAt: null as string | null,
  /** Counts reconnections, so watchers can tell a blip from nothing. */
  reconnects: 0,
});

export function connectionChanged(up: boolean): void {
  if (up === connection.up) return;
  connection.up = up;
  connection.lostAt = up ? null : new Date().toISOString();
  if (up) connection.reconnects++;
}
