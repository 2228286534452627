/**
 * Where the workstation keeps its data: one folder per workstation ($UMA_HOME, else ~/.uma) holding
 * the case database, the evidence store and the examiners' keys. Everything else is located relative
 * to the database file, so a database opened from another path brings its own store and keys.
 * The evidence store is named after its database (cases.sqlite.store/): evidence ids are per
 * database, so two databases in one folder must never share a store.
 */
import os from 'node:os';
import path from 'node:path';

export function dataHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.UMA_HOME && env.UMA_HOME.length > 0 ? path.resolve(env.UMA_HOME) : path.join(os.homedir(), '.uma');
}

export function defaultDbPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(dataHome(env), 'cases.sqlite');
}

export interface DataPaths {
  db: string;
  dataDir: string;
  /** Read-only copies of the evidence, one folder per evidence item; this database's alone. */
  storeDir: string;
  /** Examiners' Ed25519 keys. */
  keysDir: string;
  /** Public keys of others the analyst trusts (see reports/trust.ts). */
  trustFile: string;
  /** The audit chain's head, kept outside the database (see cases/audit-anchor.ts). */
  auditAnchor: string;
}

export function dataPaths(dbPath: string): DataPaths {
  const db = path.resolve(dbPath);
  const dataDir = path.dirname(db);
  return {
    db,
    dataDir,
    storeDir: path.join(dataDir, `${path.basename(db)}.store`),
    keysDir: path.join(dataDir, 'keys'),
    trustFile: path.join(dataDir, 'trusted-keys.json'),
    auditAnchor: `${db}.audit-head`,
  };
}
