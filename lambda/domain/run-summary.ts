/** What one run did, per certificate id: returned by the handler, printed by the CLI. */
export interface RunSummary {
  renewed: Array<{ id: string; firstIssuance: boolean; arn: string; serial: string; notAfter: string }>;
  notDue: Array<{ id: string; reason: string; nextCheckAt: string }>;
  failed: Array<{ id: string; errorClass: string; message: string; nextAttemptAt: string }>;
  skipped: Array<{ id: string; reason: string }>;
  invalid: Array<{ id: string; problems: string[] }>;
}

export function emptySummary(): RunSummary {
  return { renewed: [], notDue: [], failed: [], skipped: [], invalid: [] };
}
