/**
 * The events that start a run: the schedule, ACM's "approaching expiration" event, the post-deploy run,
 * and "renew now" (CLI `renew --remote`). Anything else is refused with a message saying what is accepted.
 */
import * as z from './zod.js';
import { ConfigurationError } from './domain/errors.js';
import type { CertificateStore } from './domain/ports.js';

const renew = z.object({ action: z.literal('renew'), certificateId: z.string().check(z.minLength(1)) });
const digest = z.object({ action: z.literal('digest') });
const ariCheck = z.object({ action: z.literal('ari-check') });
const run = z.object({
  action: z.literal('run'),
  reason: z.optional(z.string()),
  /** Which follow-up invocation of the day's run this is (1 = the first); see `nextContinuation`. */
  continuation: z.optional(z.int().check(z.minimum(1), z.maximum(1000))),
});
const acmExpiry = z.object({
  source: z.literal('aws.acm'),
  'detail-type': z.string(),
  resources: z._default(z.array(z.string()), []),
});
const schedule = z.looseObject({ source: z.string() });

export interface RunRequest {
  trigger: 'schedule' | 'deploy' | 'renew-now' | 'acm-expiry' | 'manual' | 'digest' | 'ari-check' | 'continuation';
  /** Only these certificates; absent means every due certificate. */
  ids?: string[];
  /** Renew even outside the window ("renew now"). */
  force?: boolean;
  /** The ACM certificates an `acm-expiry` event is about (its `resources`); see `certbeatIdsOf`. */
  arns?: string[];
  /** For a continuation: how many follow-up invocations came before this one, itself included. */
  continuation?: number;
}

/**
 * At most this many follow-up invocations continue one day's run: 1 + 12 runs of 15 minutes is more
 * than 3 hours of renewals, far past any fleet certbeat is sized for; a chain that still has work left
 * after that stops and the rest waits for the next schedule, so a fault can never invoke forever.
 */
export const MAX_CONTINUATIONS = 12;

/** The event a run that stopped for time sends to its own function, or undefined when the chain is at its bound. */
export function nextContinuation(request: RunRequest): { action: 'run'; reason: 'continuation'; continuation: number } | undefined {
  if (request.trigger === 'digest' || request.trigger === 'renew-now' || request.trigger === 'acm-expiry') return undefined;
  const n = (request.continuation ?? 0) + 1;
  return n > MAX_CONTINUATIONS ? undefined : { action: 'run', reason: 'continuation', continuation: n };
}

export function parseEvent(event: unknown): RunRequest {
  const r = renew.safeParse(event);
  if (r.success) return { trigger: 'renew-now', ids: [r.data.certificateId], force: true };
  if (digest.safeParse(event).success) return { trigger: 'digest' };
  // The 6-hourly light check: the same due query (ARI certificates are due when their ARI is to be asked
  // again, see nextLookAt in renewal-policy.ts); invalid items are not mailed again.
  if (ariCheck.safeParse(event).success) return { trigger: 'ari-check' };
  const m = run.safeParse(event);
  if (m.success) {
    if (m.data.reason === 'continuation') return { trigger: 'continuation', continuation: m.data.continuation ?? 1 };
    return { trigger: m.data.reason === 'deploy' ? 'deploy' : 'manual' };
  }
  // ACM sends this event daily for every certificate in the account close to expiry, certbeat's or not:
  // the ARNs let the handler run only certbeat's own (see certbeatIdsOf) instead of a full run per event.
  const a = acmExpiry.safeParse(event);
  if (a.success) return { trigger: 'acm-expiry', arns: a.data.resources };
  if (schedule.safeParse(event).success || event === undefined || (typeof event === 'object' && event !== null && Object.keys(event).length === 0)) {
    return { trigger: 'schedule' };
  }
  throw new ConfigurationError('unrecognised event', {
    remediation: 'Invoke with {"action":"run"}, {"action":"renew","certificateId":"<id>"}, {"action":"digest"}, {"action":"ari-check"}, or from the schedule.',
  });
}

/**
 * The certbeat ids of the certificates an ACM event names (their `certbeat:id` tags), without duplicates.
 * Empty when none is certbeat's: the event is then none of certbeat's business.
 */
export async function certbeatIdsOf(arns: readonly string[], store: Pick<CertificateStore, 'certificateIdOf'>): Promise<string[]> {
  const ids: string[] = [];
  for (const arn of new Set(arns)) {
    const id = await store.certificateIdOf(arn);
    if (id !== undefined && !ids.includes(id)) ids.push(id);
  }
  return ids;
}
