/** Which audit-log entries belong to a case: its own, its evidence's, its scans' and its notes'. */
import type { AuditEntryInfo, CaseDetail } from '../../../shared/api.ts';

export function caseAuditEntries(entries: AuditEntryInfo[], detail: CaseDetail): AuditEntryInfo[] {
  const caseId = detail.case.id;
  const targets = new Set<string>([`case:${caseId}`]);
  for (const e of detail.evidence) targets.add(`evidence:${e.id}`);
  for (const s of detail.scans) targets.add(`scan:${s.id}`);
  for (const n of detail.notes) targets.add(`note:${n.id}`);
  // Deleted notes are no longer in the detail; their add entry still names the case.
  const noteIds = new Set(
    entries.filter((e) => e.action === 'note.add' && e.details.caseId === caseId).map((e) => e.target),
  );
  return entries.filter((e) => targets.has(e.target) || noteIds.has(e.target));
}
