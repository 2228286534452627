/** What every benchmark record says of the machine it ran on (its figures mean little without it). */
import os from 'node:os';

export function machineInfo() {
  return {
    cores: os.availableParallelism(),
    cpu: os.cpus()[0]?.model,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.versions.node,
    loadAverage: os.loadavg(),
  };
}
