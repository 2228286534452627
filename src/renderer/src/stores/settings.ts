/**
 * Settings. Per browser (localStorage): the theme (system by default, or forced dark/light), applied
 * as data-theme on <html> where theme.css reads it, and the recently opened cases. From the service:
 * the examiner name reports are signed under, and the app facts (version, backend).
 */
import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import type { AppInfo } from '../../../shared/api.ts';
import { call } from '../lib/api.ts';

export type ThemeChoice = 'system' | 'dark' | 'light';
const THEME_KEY = 'uma.theme';
const RECENT_KEY = 'uma.recentCases';
const RECENT_MAX = 6;

function readRecent(): number[] {
  try {
    const v = JSON.parse(localStorage.getItem(RECENT_KEY) ?? '[]') as unknown;
    return Array.isArray(v) ? v.filter((x): x is number => Number.isInteger(x)) : [];
  } catch {
    return [];
  }
}

export const useSettingsStore = defineStore('settings', () => {
  const stored = localStorage.getItem(THEME_KEY);
  const theme = ref<ThemeChoice>(stored === 'dark' || stored === 'light' ? stored : 'system');
  const media = window.matchMedia?.('(prefers-color-scheme: light)');
  const systemLight = ref(media?.matches ?? false);
  media?.addEventListener?.('change', (e) => (systemLight.value = e.matches));

  const effectiveTheme = computed<'dark' | 'light'>(() =>
    theme.value === 'system' ? (systemLight.value ? 'light' : 'dark') : theme.value,
  );

  watch(effectiveTheme, (t) => document.documentElement.setAttribute('data-theme', t), { immediate: true });
  watch(theme, (t) => (t === 'system' ? localStorage.removeItem(THEME_KEY) : localStorage.setItem(THEME_KEY, t)));

  /** system -> the opposite of what the system shows -> the other one -> system. */
  function cycleTheme(): void {
    if (theme.value === 'system') theme.value = systemLight.value ? 'dark' : 'light';
    else if ((theme.value === 'light') === systemLight.value) theme.value = 'system';
    else theme.value = theme.value === 'light' ? 'dark' : 'light';
  }

  const recentCases = ref<number[]>(readRecent());
  function touchCase(id: number): void {
    recentCases.value = [id, ...recentCases.value.filter((x) => x !== id)].slice(0, RECENT_MAX);
    localStorage.setItem(RECENT_KEY, JSON.stringify(recentCases.value));
  }

  /** The service's settings and facts: the examiner name reports are signed under, the backend. */
  const examiner = ref('');
  const info = ref<AppInfo | null>(null);
  async function loadService(): Promise<void> {
    const [settings, appInfo] = await Promise.all([call('settings/get', {}), call('app/info', {})]);
    examiner.value = settings.examinerName;
    info.value = appInfo;
  }
  async function saveExaminer(name: string): Promise<void> {
    examiner.value = (await call('settings/set', { examinerName: name.trim() })).examinerName;
  }

  return { theme, effectiveTheme, cycleTheme, recentCases, touchCase, examiner, info, loadService, saveExaminer };
});
