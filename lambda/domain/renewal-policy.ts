/**
 * Is a certificate due, and why? When should it be looked at next? Pure: the clock is a parameter.
 *
 * Renewal follows the certificate's own lifetime and the CA's advice rather than a fixed 30 days:
 * - the CA's ARI window (RFC 9773) when it offers one: renew at a point inside the window, spread per
 *   certificate so that a fleet does not hit the CA at once;
 * - otherwise when ⅓ of the lifetime remains (30 days of a 90-day certificate), ½ for lifetimes under
 *   10 days (a 6-day certificate renews with 3 days left).
 */
import type { CertificateRecord, RenewalWindow } from './model.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export type DueReason = 'forced' | 'never-issued' | 'names-changed' | 'ari-window' | 'renewal-window' | 'retry';
export type NotDueReason = 'paused' | 'scheduled' | 'valid';

export type PolicyDecision =
  | { due: true; reason: DueReason; detail: string }
  | { due: false; reason: NotDueReason; detail: string; nextCheckAt: Date };

/**
 * Retry ladder after consecutive failures: gentle on the CA, faster again as expiry nears. The last step
 * is a little under a day so that it lands before the next daily run, not minutes after it.
 */
export const RETRY_LADDER_MS = [1 * HOUR, 2 * HOUR, 4 * HOUR, 8 * HOUR, 12 * HOUR, 23 * HOUR];
/**
 * How often a valid certificate is looked at even when its window is far (ARI may move it). A little
 * under a day: the next check is written minutes after the daily schedule fired, so "now + 24 h" would
 * land just after the next run and wait a day more (the year simulation's finding).
 */
export const MAX_CHECK_INTERVAL_MS = 23 * HOUR;
/** How often the CA's ARI is asked for a certificate with an ARI id when the CA sent no Retry-After. */
export const ARI_CHECK_INTERVAL_MS = 6 * HOUR;
/**
 * A check may ask renewalInfo this much before the CA's Retry-After: the 6-hourly check fires minutes
 * before the time the last answer arrived plus Retry-After, and waiting for the check after it would
 * double the CA's cadence.
 */
export const ARI_EARLY_MS = 15 * 60_000;
/** Lifetimes under this renew at half-life instead of at a third. */
export const SHORT_LIFETIME_MS = 10 * DAY;

export function decide(record: CertificateRecord, now: Date): PolicyDecision {
  if (record.status === 'paused') {
    return { due: false, reason: 'paused', detail: 'paused by its owner', nextCheckAt: farFuture(now) };
  }
  if (record.forceRenewal) return { due: true, reason: 'forced', detail: 'renewal requested ("renew now")' };
  if (record.failureCount > 0 && new Date(record.nextCheckAt).getTime() > now.getTime()) {
    // Respect the retry ladder even when a trigger other than the schedule asks.
    return { due: false, reason: 'scheduled', detail: 'waiting for the next retry after a failure', nextCheckAt: new Date(record.nextCheckAt) };
  }
  if (!record.acmArn || !record.notAfter) {
    return { due: true, reason: 'never-issued', detail: 'no certificate has been issued yet' };
  }
  if (namesChanged(record)) {
    return { due: true, reason: 'names-changed', detail: 'the configured names differ from the certificate\u2019s names' };
  }
  const renewAt = renewalTime(record);
  if (now.getTime() >= renewAt.time.getTime()) {
    const reason: DueReason = record.failureCount > 0 ? 'retry' : renewAt.source;
    return { due: true, reason, detail: renewAt.detail };
  }
  if (new Date(record.nextCheckAt).getTime() > now.getTime()) {
    return { due: false, reason: 'scheduled', detail: 'next check not reached', nextCheckAt: new Date(record.nextCheckAt) };
  }
  const next = nextLookAt(record, renewAt.time, now).getTime();
  return { due: false, reason: 'valid', detail: `renewal planned from ${renewAt.time.toISOString()} (${renewAt.detail})`, nextCheckAt: new Date(next) };
}

/**
 * When a valid certificate is looked at next: at its renewal time, within `MAX_CHECK_INTERVAL_MS`, and
 * for a certificate with an ARI id when the CA's ARI is to be asked again (`ariAskAt`), so that the
 * 6-hourly check finds it in the due index.
 */
export function nextLookAt(record: Pick<CertificateRecord, 'ariCertId' | 'renewalWindow'>, renewAt: Date, now: Date): Date {
  let next = Math.min(renewAt.getTime(), now.getTime() + MAX_CHECK_INTERVAL_MS);
  if (record.ariCertId) next = Math.min(next, ariAskAt(record.renewalWindow, now).getTime());
  return new Date(next);
}

/** When the CA's renewalInfo may be asked again: its Retry-After (less `ARI_EARLY_MS`), else in 6 h. */
export function ariAskAt(window: RenewalWindow | undefined, now: Date): Date {
  const retryAfter = window?.retryAfter ? new Date(window.retryAfter).getTime() : now.getTime() + ARI_CHECK_INTERVAL_MS;
  return new Date(Math.max(retryAfter - ARI_EARLY_MS, now.getTime() + 60_000));
}

/** Whether the CA's renewalInfo may be asked now (its Retry-After, less `ARI_EARLY_MS`, has passed). */
export function mayAskAri(window: RenewalWindow | undefined, now: Date): boolean {
  return !window?.retryAfter || new Date(window.retryAfter).getTime() - ARI_EARLY_MS <= now.getTime();
}

/** When this certificate should be renewed, and on whose advice. */
export function renewalTime(record: Pick<CertificateRecord, 'id' | 'notBefore' | 'notAfter' | 'renewalWindow'>): {
  time: Date;
  source: 'ari-window' | 'renewal-window';
  detail: string;
} {
  if (record.renewalWindow) {
    return { time: pointInWindow(record.id, record.renewalWindow), source: 'ari-window', detail: 'inside the CA\u2019s suggested renewal window (ARI)' };
  }
  const notAfter = new Date(record.notAfter!).getTime();
  const notBefore = record.notBefore ? new Date(record.notBefore).getTime() : notAfter - 90 * DAY;
  const lifetime = Math.max(notAfter - notBefore, HOUR);
  const share = lifetime < SHORT_LIFETIME_MS ? 1 / 2 : 1 / 3;
  return {
    time: new Date(notAfter - lifetime * share),
    source: 'renewal-window',
    detail: `${share === 0.5 ? 'half' : 'a third'} of the ${formatDuration(lifetime)} lifetime remains`,
  };
}

/**
 * The next attempt after the n-th consecutive failure (n ≥ 1). Honours a CA's Retry-After, and never
 * waits longer than a quarter of the time left so that a short-lived certificate still gets tries in.
 */
export function nextAttemptAfterFailure(
  failureCount: number,
  now: Date,
  options: { notAfter?: string; retryAfter?: Date } = {},
): Date {
  let delay = RETRY_LADDER_MS[Math.min(Math.max(failureCount, 1), RETRY_LADDER_MS.length) - 1];
  if (options.notAfter) {
    const left = new Date(options.notAfter).getTime() - now.getTime();
    if (left > 0) delay = Math.min(delay, Math.max(15 * 60_000, left / 4));
  }
  let next = now.getTime() + delay;
  if (options.retryAfter) next = Math.max(next, options.retryAfter.getTime());
  return new Date(next);
}

/** How loud a failure mail should be. */
export function urgency(notAfter: string | undefined, now: Date): 'notice' | 'warning' | 'final' {
  const left = daysLeft(notAfter, now);
  if (left === undefined) return 'notice';
  if (left < 7) return 'final';
  if (left < 14) return 'warning';
  return 'notice';
}

export function daysLeft(notAfter: string | undefined, now: Date): number | undefined {
  if (!notAfter) return undefined;
  return Math.floor((new Date(notAfter).getTime() - now.getTime()) / DAY);
}

/**
 * Whether a failure deserves a mail: the first one, every escalation of urgency, every attempt in the
 * final week, and otherwise every fourth, so owners hear of trouble without being flooded.
 */
export function shouldMailFailure(failureCount: number, previous: 'notice' | 'warning' | 'final' | undefined, current: 'notice' | 'warning' | 'final'): boolean {
  if (failureCount <= 1) return true;
  if (current === 'final') return true;
  if (previous !== undefined && previous !== current) return true;
  return failureCount % 4 === 0;
}

function namesChanged(record: CertificateRecord): boolean {
  if (!record.issuedNames) return false;
  const a = new Set(record.names.map((n) => n.toLowerCase()));
  const b = new Set(record.issuedNames.map((n) => n.toLowerCase()));
  return a.size !== b.size || [...a].some((n) => !b.has(n));
}

/** A stable point in the window for this certificate (FNV-1a of its id), per RFC 9773 §4.2's spreading. */
function pointInWindow(id: string, window: RenewalWindow): Date {
  const start = new Date(window.start).getTime();
  const end = new Date(window.end).getTime();
  if (!(end > start)) return new Date(start);
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return new Date(start + Math.floor(((end - start) * h) / 0x1_0000_0000));
}

function farFuture(now: Date): Date {
  return new Date(now.getTime() + 365 * DAY);
}

function formatDuration(ms: number): string {
  return ms >= 2 * DAY ? `${Math.round(ms / DAY)}-day` : `${Math.round(ms / HOUR)}-hour`;
}
