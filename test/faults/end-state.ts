/**
 * The end state every fault scenario asserts (issue 7): the certificate renewed, exactly one ACM
 * certificate per id, no TXT value left, and the owner got exactly the mails due. Read from the
 * emulators' and SES capture's own views, not through the code under test.
 */
import type { Pipeline } from '../support/pipeline.js';

/** The ACM certificates tagged with this certbeat id. */
export function acmCertificatesOf(p: Pipeline, id: string) {
  return p.tb.acm.certificates().filter((c) => c.tags.some((t) => t.Key === 'certbeat:id' && t.Value === id));
}

/** Every TXT record set left in these hosted zones. */
export function txtLeft(p: Pipeline, zoneIds: string[]) {
  return zoneIds.flatMap((z) => p.tb.route53.records(z).filter((r) => r.type === 'TXT'));
}

/** Mails captured for this address, oldest first. */
export async function mailsTo(p: Pipeline, address: string) {
  return (await p.tb.ses.mails()).filter((m) => m.to.includes(address));
}

/** A clock `ms` ahead of the real one. */
export function clockAheadMs(ms: number) {
  return { now: () => new Date(Date.now() + ms) };
}

/** Waits until `probe` returns a truthy value (polled), or fails after `timeoutMs`. */
export async function eventually<T>(probe: () => T | Promise<T>, timeoutMs = 30_000, what = 'condition'): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
