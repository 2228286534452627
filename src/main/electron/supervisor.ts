/**
 * The main process's side of the engine host: forks it as a utilityProcess, restarts it when it dies
 * (with a growing delay, so a host that crashes at start does not spin), and hands out MessagePorts
 * to it. A renderer learns of a restart from the new host's hello on its new port (host/restarted).
 */
import { MessageChannelMain, utilityProcess, type MessagePortMain, type UtilityProcess } from 'electron';

export interface HostSupervisor {
  /** A fresh port connected to the current host (call again after onRestart). */
  connect(): MessagePortMain;
  onRestart(listener: () => void): void;
  stop(): void;
}

const RESTART_DELAYS_MS = [0, 1000, 5000, 15000];

export function superviseHost(entry: string, env: Record<string, string>): HostSupervisor {
  /** Null between a death and the restart; ports asked for meanwhile wait in `pending`. */
  let child: UtilityProcess | null = null;
  const pending: MessagePortMain[] = [];
  let generation = 0;
  let stopping = false;
  let quickDeaths = 0;
  const listeners: (() => void)[] = [];

  const fork = () => {
    const started = Date.now();
    const proc = utilityProcess.fork(entry, [], {
      serviceName: 'UMA engine host',
      stdio: 'inherit',
      env: { ...process.env, ...env, UMA_HOST_GENERATION: String(generation) },
    });
    child = proc;
    for (const port of pending.splice(0)) proc.postMessage({ type: 'connect' }, [port]);
    proc.once('exit', (code) => {
      child = null;
      if (stopping) return;
      quickDeaths = Date.now() - started < 30_000 ? quickDeaths + 1 : 0;
      const delay = RESTART_DELAYS_MS[Math.min(quickDeaths, RESTART_DELAYS_MS.length - 1)];
      console.error(`uma: the engine host exited (code ${code}); restarting in ${delay} ms`);
      setTimeout(() => {
        generation++;
        fork();
        for (const l of listeners) l();
      }, delay);
    });
  };
  fork();

  return {
    connect() {
      const { port1, port2 } = new MessageChannelMain();
      if (child) child.postMessage({ type: 'connect' }, [port1]);
      else pending.push(port1);
      return port2;
    },
    onRestart: (l) => void listeners.push(l),
    stop() {
      stopping = true;
      child?.kill();
    },
  };
}
