/** Cases: the list (with search), the open case's detail, evidence intake, notes and the audit log. */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type {
  Args,
  AuditEntryInfo,
  AuditVerificationInfo,
  CaseDetail,
  CaseSummary,
  EvidenceInfo,
  ModelSourceRef,
} from '../../../shared/api.ts';
import { call } from '../lib/api.ts';
import { caseAuditEntries } from '../lib/audit.ts';
import { actionGuard } from '../lib/guard.ts';

export const useCasesStore = defineStore('cases', () => {
  const list = ref<CaseSummary[]>([]);
  const query = ref('');
  const loaded = ref(false);
  const detail = ref<CaseDetail | null>(null);
  const audit = ref<AuditEntryInfo[]>([]);
  const auditCheck = ref<AuditVerificationInfo | null>(null);
  const { busy, error, guarded } = actionGuard();

  const refresh = () => guarded(refreshList);

  const create = (input: { name: string; number?: string; examiner?: string; description?: string }) =>
    guarded(async () => {
      const c = await call('cases/create', input);
      await refreshList();
      return c;
    });

  async function refreshList(): Promise<void> {
    list.value = await call('cases/list', query.value.trim() ? { query: query.value.trim() } : {});
    loaded.value = true;
  }

  const open = (caseId: number) =>
    guarded(async () => {
      if (detail.value?.case.id !== caseId) {
        detail.value = null;
        audit.value = [];
        auditCheck.value = null;
      }
      detail.value = await call('cases/get', { caseId });
      return detail.value;
    });

  async function reload(): Promise<void> {
    if (detail.value) detail.value = await call('cases/get', { caseId: detail.value.case.id });
  }

  const addEvidence = (source: ModelSourceRef, extra: Omit<Args<'evidence/add'>, 'caseId' | 'source'> = {}) =>
    guarded(async (): Promise<EvidenceInfo> => {
      if (!detail.value) throw new Error('open a case first');
      const ev = await call('evidence/add', { caseId: detail.value.case.id, source, ...extra });
      await reload();
      return ev;
    });

  const rehash = (evidenceId: number) =>
    guarded(async () => {
      const r = await call('evidence/rehash', { evidenceId });
      await reload();
      return r;
    });

  const addNote = (text: string, at: { scanId?: number; classIndex?: number } = {}) =>
    guarded(async () => {
      if (!detail.value) throw new Error('open a case first');
      await call('notes/add', { caseId: detail.value.case.id, text, ...at });
      await reload();
    });

  const updateNote = (noteId: number, text: string) =>
    guarded(async () => {
      await call('notes/update', { noteId, text });
      await reload();
    });

  const deleteNote = (noteId: number) =>
    guarded(async () => {
      await call('notes/delete', { noteId });
      await reload();
    });

  /** The case's audit entries and a verification of the whole chain (the chain spans every case). */
  const loadAudit = () =>
    guarded(async () => {
      const [entries, check] = await Promise.all([call('audit/list', {}), call('audit/verify', {})]);
      audit.value = detail.value ? caseAuditEntries(entries, detail.value) : [];
      auditCheck.value = check;
    });

  return {
    list,
    query,
    loaded,
    detail,
    audit,
    auditCheck,
    busy,
    error,
    refresh,
    create,
    open,
    reload,
    addEvidence,
    rehash,
    addNote,
    updateNote,
    deleteNote,
    loadAudit,
  };
});
