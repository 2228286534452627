/**
 * Where the Electron binary is, or why there is none. Looks at the file only: requiring the
 * `electron` package would try to download the binary, which must not happen in tests.
 */
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DIST = process.env.ELECTRON_OVERRIDE_DIST_PATH ?? path.join(ROOT, 'node_modules/electron/dist');

export const ELECTRON_BINARY = path.join(
  DIST,
  process.platform === 'darwin'
    ? 'Electron.app/Contents/MacOS/Electron'
    : process.platform === 'win32'
      ? 'electron.exe'
      : 'electron',
);

/** Null when the binary exists, else the reason the Electron specs skip. */
export const NO_ELECTRON: string | null = fs.existsSync(ELECTRON_BINARY)
  ? null
  : `no Electron binary at ${ELECTRON_BINARY} (set ELECTRON_OVERRIDE_DIST_PATH, or run \`node node_modules/electron/install.js\` where the network allows)`;
