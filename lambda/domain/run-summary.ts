/** What one run did, per certificate id: returned by the handler, printed by the CLI. */
export interface RunSummary {
  renewed: Array<{ id: string; firstIssuance: boolean; arn: string; serial: string; notAfter: string }>;
  notDue: Array<{ id: string; reason: string; nextCheckAt: string }>;
  failed: Array<{ id: string; errorClass: string; message: string; nextAttemptAt: string; fix?: string }>;
  /** `dryRun` runs: certificates the CA issued and certbeat checked, then dropped (nothing imported or recorded). */
  dryRun?: Array<{ id: string; serial: string; notAfter: string; directoryUrl: string }>;
  skipped: Array<{ id: string; reason: string }>;
  invalid: Array<{ id: string; problems: string[] }>;
  /** Mails SES did not take in this run; `kept`: in the outbox, sent again by a later run. */
  mailsNotSent: Array<{ id: string; kind: string; error: string; kept: boolean }>;
}

/** The reason a run gives certificates it left for lack of time (a continuation picks them up). */
export const OUT_OF_TIME_REASON = 'out of time: left for the next run';

export function emptySummary(): RunSummary {
  return { renewed: [], notDue: [], failed: [], skipped: [], invalid: [], mailsNotSent: [] };
}
