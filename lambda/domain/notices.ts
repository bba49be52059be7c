/**
 * What a mail says, before it is rendered. The renewal service builds these; `mail/` renders them
 * into subject, HTML and text. Pure data.
 */
import type { CertificateRecord, InvalidItem } from './model.js';

export interface RenewedNotice {
  kind: 'renewed';
  record: CertificateRecord;
  firstIssuance: boolean;
  arn: string;
  names: string[];
  serial: string;
  notAfter: Date;
  issuer: string;
  /** The CA's directory URL, shown as "CA". */
  directoryUrl: string;
  inUseBy: string[];
  nextCheckAt: Date;
  /** A certificate imported into several regions: each region's ARN and what uses it there. */
  regions?: Array<{ region: string; arn: string; inUseBy: string[] }>;
  /** The ACME profile ordered (absent: the CA's default). */
  profile?: string;
  /** The configured profile was refused and the fallback ordered: which and why. */
  profileNote?: string;
}

/** A pre-flight or post-failure finding: what is wrong, and how to fix it. */
export interface Finding {
  check: string;
  ok: boolean;
  message: string;
  fix?: string;
}

export interface FailedNotice {
  kind: 'failed';
  record: CertificateRecord;
  /** `CertbeatError` subclass name and its plain-words kind. */
  errorClass: string;
  errorKind: string;
  /** What happened, in a sentence (no stack). */
  message: string;
  /** The likely cause and the fix. */
  remediation: string;
  /** Whether time alone may clear it (`isRetryable`): "will retry" rather than "action needed". */
  retryable: boolean;
  /** ACME problem type, when the CA refused. */
  problemType?: string;
  findings: Finding[];
  failureCount: number;
  /** Days until the current certificate expires; undefined when never issued. */
  daysLeft?: number;
  notAfter?: Date;
  nextAttemptAt: Date;
  /** 'notice' normally, 'warning' under 14 days left, 'final' under 7. */
  urgency: 'notice' | 'warning' | 'final';
}

export interface InvalidItemNotice {
  kind: 'invalid';
  item: InvalidItem;
}

export type Notice = RenewedNotice | FailedNotice | InvalidItemNotice;
