/**
 * One certificate's work within a run (`Job`), the run's shared state, and the small helpers the parts
 * of the renewal service (renewal-service.ts) share.
 */
import { InterruptedError, type CertbeatError } from './errors.js';
import type { CertificateRecord, IssuedCertificate, OwedMail, PublishedTxt, RenewalWindow } from './model.js';
import type { Finding } from './notices.js';
import type { OrderBudget } from './budget.js';
import type { DnsChallenge, PendingOrder } from './ports.js';
import { RateLimitGate } from './rate-limit-gate.js';
import type { RunOptions } from './renewal-service.js';
import type { RunSummary } from './run-summary.js';

/** One run's shared state. */
export interface RunState {
  options: RunOptions;
  summary: RunSummary;
  gate: RateLimitGate;
  budget?: OrderBudget;
  /** Order keys being deleted after their certificates became safe; awaited at the end of the wave. */
  releases: Promise<void>[];
}

/** One certificate's way through a run: what preparation found, its order and certificate, how it ended. */
export interface Job {
  record: CertificateRecord;
  findings: Finding[];
  renewalWindow?: RenewalWindow;
  order?: PendingOrder;
  challenges: DnsChallenge[];
  /** TXT values a dead run left (its journal): removed in this run's change. */
  stale: PublishedTxt[];
  /** ACM was checked for the record's unfinished import and does not hold it: the journal entry goes. */
  importChecked?: boolean;
  /** ACM refused the import outright: the serial is certainly not there, no need to look next run. */
  importRefused?: boolean;
  /** The run was stopped while its change may still be landing: keep the TXT journal for a later run. */
  journalOpen?: boolean;
  /** Where ACM said the current certificate is used, when pre-flight described it (a re-import keeps it). */
  inUseBy?: string[];
  /** This run journaled `published` on the record. */
  journaled?: PublishedTxt[];
  /** The outbox after re-sending (absent: the record owed nothing, leave the field alone). */
  owed?: OwedMail[];
  issued?: IssuedCertificate;
  /** `issued` came from the pending-import slot, not from a new order. */
  fromPending?: boolean;
  /** `issued` is (still) kept in the pending-import slot after a failed import. */
  keptPending?: boolean;
  /** A stale pending-import slot was emptied. */
  slotCleared?: boolean;
  /** Several regions: the ARNs after a partial import, and the regions still missing the certificate. */
  regional?: { acmArns: Record<string, string>; pending: string[] };
  /** Several regions: ARNs found holding an unfinished import's serial (regions that still lack it import again). */
  foundArns?: Record<string, string>;
  error?: CertbeatError;
  /** Nothing more to do: ended early (not due, lease held, paused) or already finished. */
  done?: boolean;
}

/** The facts of a certificate now in ACM, from the CA (just issued) or from ACM (adopted). */
export interface Installed {
  arn: string;
  serial: string;
  names: string[];
  notBefore: Date;
  notAfter: Date;
  issuer: string;
  ariCertId?: string;
}

/** The rate-limit gate's key for the record's CA account. */
export function gateKey(record: CertificateRecord): string {
  return RateLimitGate.key(record.directoryUrl, record.eabSecretId);
}

/** The error of a certificate the run was stopped before it was finished. */
export function interrupted(): InterruptedError {
  return new InterruptedError('the run was stopped before this certificate was finished', {
    remediation: 'Nothing to do: it is due again and the next run picks it up, resuming its order.',
  });
}
