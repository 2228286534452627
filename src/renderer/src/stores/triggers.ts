/**
 * Reversed triggers as displayable images (PNG bytes -> object URLs, cached per scan and class), what
 * the models answer on images stamped with them (scans/stamped-predictions, on request), and the
 * comparison basket: classes of any scans, models or cases put side by side.
 */
import { defineStore } from 'pinia';
import { reactive, ref } from 'vue';
import type { ClassImages, Result, StampedPrediction, StampedPredictions } from '../../../shared/api.ts';
import { call } from '../lib/api.ts';
import { actionGuard } from '../lib/guard.ts';

export interface TriggerUrls {
  mask: string;
  pattern: string;
  stamped: string[];
}

export interface CompareKey {
  scanId: number;
  classIndex: number;
}

export type CompareRow = Result<'scans/compare'>[number] & { urls: TriggerUrls };

/** Stamped predictions with their images as object URLs. */
export type PredictionsView = Omit<StampedPredictions, 'examples'> & {
  examples: (Omit<StampedPrediction, 'clean' | 'stamped'> & { clean: string; stamped: string })[];
};

const keyOf = (k: CompareKey): string => `${k.scanId}:${k.classIndex}`;
const COMPARE_KEY = 'uma.compare';
const COMPARE_MAX = 32;

function pngUrl(bytes: Uint8Array): string {
  return URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'image/png' }));
}

function readBasket(): CompareKey[] {
  try {
    const v = JSON.parse(sessionStorage.getItem(COMPARE_KEY) ?? '[]') as CompareKey[];
    return Array.isArray(v) ? v.filter((k) => Number.isInteger(k.scanId) && Number.isInteger(k.classIndex)) : [];
  } catch {
    return [];
  }
}

export const useTriggersStore = defineStore('triggers', () => {
  const images = reactive(new Map<string, TriggerUrls>());
  const predictions = reactive(new Map<string, PredictionsView>());
  const basket = ref<CompareKey[]>(readBasket());
  const rows = ref<CompareRow[]>([]);
  const { busy: loading, error, guarded } = actionGuard();

  /** Stores one class's images, replacing (and releasing) what was cached for it. */
  function put(img: ClassImages): TriggerUrls {
    const k = keyOf(img);
    const old = images.get(k);
    if (old) [old.mask, old.pattern, ...old.stamped].forEach((u) => URL.revokeObjectURL(u));
    const urls = { mask: pngUrl(img.mask), pattern: pngUrl(img.pattern), stamped: img.stamped.map(pngUrl) };
    images.set(k, urls);
    return urls;
  }

  function get(k: CompareKey): TriggerUrls | undefined {
    return images.get(keyOf(k));
  }

  async function fetch(k: CompareKey): Promise<TriggerUrls | undefined> {
    return images.get(keyOf(k)) ?? guarded(async () => put(await call('scans/artifacts', k)));
  }

  /**
   * Runs the suspect model (and a supplied reference) on clean images stamped with the class's trigger.
   * Throws the ApiError: the card that asked shows it beside its button, not at the top of the gallery.
   */
  async function predict(k: CompareKey, count = 6): Promise<PredictionsView> {
    const got = await call('scans/stamped-predictions', { scanId: k.scanId, classIndex: k.classIndex, count });
    const old = predictions.get(keyOf(k));
    old?.examples.forEach((e) => [e.clean, e.stamped].forEach((u) => URL.revokeObjectURL(u)));
    const view = {
      ...got,
      examples: got.examples.map((e) => ({ ...e, clean: pngUrl(e.clean), stamped: pngUrl(e.stamped) })),
    };
    predictions.set(keyOf(k), view);
    return view;
  }

  function saveBasket(): void {
    sessionStorage.setItem(COMPARE_KEY, JSON.stringify(basket.value));
  }

  const inBasket = (k: CompareKey): boolean => basket.value.some((b) => keyOf(b) === keyOf(k));

  function toggle(k: CompareKey): void {
    if (inBasket(k)) basket.value = basket.value.filter((b) => keyOf(b) !== keyOf(k));
    else if (basket.value.length < COMPARE_MAX)
      basket.value = [...basket.value, { scanId: k.scanId, classIndex: k.classIndex }];
    saveBasket();
  }

  function clear(): void {
    basket.value = [];
    rows.value = [];
    saveBasket();
  }

  const loadCompare = () =>
    guarded(async () => {
      const got = basket.value.length ? await call('scans/compare', { items: basket.value }) : [];
      rows.value = got.map((r) => ({ ...r, urls: put(r.images) }));
    });

  return {
    images,
    predictions,
    basket,
    rows,
    error,
    loading,
    put,
    get,
    fetch,
    predict,
    inBasket,
    toggle,
    clear,
    loadCompare,
  };
});
