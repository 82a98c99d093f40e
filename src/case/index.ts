/** The case: its fields, the audit trail, retention and the legal hold. */
export { resolveAnalyst } from './analyst.ts';
export {
  AUDIT_FILE,
  type AuditEntry,
  type AuditTrail,
  appendAudit,
  readAudit,
} from './audit-trail.ts';
export { type CaseInfo, type CasePhase, casePaths, ensureCase, readCaseInfo } from './case-dir.ts';
export type { CaseEdit } from './case-edit.ts';
export {
  CASE_PHASES,
  type CaseChange,
  type CaseNote,
  type CaseTask,
  type LegalHold,
  MIN_RETENTION_DAYS,
  type RetentionPolicy,
} from './case-fields.ts';
export { closeCase, initCase, placeHold, releaseHold, setCase } from './case-lifecycle.ts';
export { purgeCase, type RetentionStatus, retentionStatus } from './retention.ts';
