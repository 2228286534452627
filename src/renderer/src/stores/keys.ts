/**
 * The keys report verification trusts: this examiner's own signing key (shown as PEM with its
 * fingerprint, to hand to whoever verifies their reports), the other examiners' keys the analyst
 * trusts, and trusting or untrusting one. A key is trusted only after the analyst has seen its
 * fingerprint (keys/inspect first, then keys/trust).
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { KeyInfo, Result } from '../../../shared/api.ts';
import { ApiError, call } from '../lib/api.ts';
import { saveBytes } from '../lib/files.ts';
import { actionGuard } from '../lib/guard.ts';

export interface OwnKey {
  examiner: string;
  /** Null while the examiner has no key yet (one is made at their first signed report, or on request). */
  key: KeyInfo | null;
  pem: string | null;
}

/** A pasted key checked and waiting for the analyst's confirmation. */
export interface PendingTrust {
  pem: string;
  name: string;
  inspected: Result<'keys/inspect'>;
}

const decoder = new TextDecoder();

export const useKeysStore = defineStore('keys', () => {
  const list = ref<KeyInfo[]>([]);
  const own = ref<OwnKey | null>(null);
  const pending = ref<PendingTrust | null>(null);
  /** What the last action did, in words (trusted, untrusted, copied). */
  const done = ref('');
  const { busy, error, guarded } = actionGuard();

  /** The examiner's key by name (the service maps the name to its key file); NOT_FOUND means none yet. */
  async function loadOwn(examiner: string): Promise<void> {
    let pem: string;
    try {
      pem = decoder.decode((await call('keys/export', { examiner })).bytes);
    } catch (err) {
      if (err instanceof ApiError && err.info.code === 'NOT_FOUND') {
        own.value = { examiner, key: null, pem: null };
        return;
      }
      throw err;
    }
    own.value = { examiner, key: (await call('keys/inspect', { publicKeyPem: pem })).known, pem };
  }

  /** The list, and the examiner's own key when an examiner name is set. */
  const load = (examiner: string) =>
    guarded(async () => {
      list.value = await call('keys/list', {});
      if (examiner.trim()) await loadOwn(examiner.trim());
      else own.value = null;
    });

  const createOwn = (examiner: string) =>
    guarded(async () => {
      await call('keys/create', { examiner });
      list.value = await call('keys/list', {});
      await loadOwn(examiner);
      done.value = `Made a signing key for ${examiner}.`;
    });

  /** Checks a pasted key and holds it for confirmation; nothing is trusted yet. */
  const inspect = (pem: string, name: string) =>
    guarded(async () => {
      done.value = '';
      pending.value = { pem, name: name.trim(), inspected: await call('keys/inspect', { publicKeyPem: pem }) };
    });

  const confirmTrust = () =>
    guarded(async () => {
      if (!pending.value) return;
      const key = await call('keys/trust', { publicKeyPem: pending.value.pem, name: pending.value.name });
      pending.value = null;
      list.value = await call('keys/list', {});
      done.value =
        key.source === 'examiner'
          ? `${key.name}'s key is this workstation's own examiner key: trusted already.`
          : `Trusted key ${key.keyid.slice(0, 16)}… as “${key.name}”.`;
    });

  const untrust = (keyid: string) =>
    guarded(async () => {
      const key = await call('keys/untrust', { keyid });
      list.value = await call('keys/list', {});
      done.value = `No longer trusted: “${key.name}” (${key.keyid.slice(0, 16)}…).`;
    });

  const download = (keyid: string) =>
    guarded(async () => {
      const file = await call('keys/export', { examiner: keyid });
      saveBytes(file.name, file.bytes, 'application/x-pem-file');
    });

  return { list, own, pending, done, busy, error, load, createOwn, inspect, confirmTrust, untrust, download };
});
