/**
 * The analyst's preferences (examiner name, worker threads, theme): one JSON file beside the case
 * database, so every UI connected to this workstation sees the same ones.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Settings } from '../../shared/api.ts';

export interface SettingsStore {
  get(): Settings;
  set(patch: Partial<Settings>): Settings;
}

export function settingsStore(dataDir: string): SettingsStore {
  const file = path.join(dataDir, 'settings.json');
  const defaults: Settings = { examinerName: os.userInfo().username, workers: 0, theme: 'system' };
  const read = (): Settings => {
    if (!fs.existsSync(file)) return defaults;
    // A hand-edited file with bad values falls back field by field rather than failing the UI.
    const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    const parsed = Settings.partial().safeParse(raw);
    return { ...defaults, ...(parsed.success ? parsed.data : {}) };
  };
  return {
    get: read,
    set(patch) {
      const next = Settings.parse({ ...read(), ...patch });
      const tmp = `${file}.partial`;
      fs.writeFileSync(tmp, `${JSON.stringify(next, null, 2)}\n`);
      fs.renameSync(tmp, file);
      return next;
    },
  };
}
