/**
 * Within one run, a CA account that refused an order for rate limits gets no new orders: every further
 * order would be refused too, and some CAs count refused attempts against the limit.
 */
import { RateLimitedError } from './errors.js';

export class RateLimitGate {
  private readonly refused = new Map<string, RateLimitedError>();

  /** The account: directory plus EAB credentials (one ACME account each). */
  static key(directoryUrl: string, eabSecretId?: string): string {
    return `${directoryUrl} ${eabSecretId ?? ''}`;
  }

  /** Remembers a refusal; only rate limits close the gate. */
  note(key: string, error: unknown): void {
    if (error instanceof RateLimitedError && !this.refused.has(key)) this.refused.set(key, error);
  }

  /** Throws (without asking the CA) when an earlier order of this run was refused for rate limits. */
  check(key: string, directoryUrl: string): void {
    const first = this.refused.get(key);
    if (!first) return;
    throw new RateLimitedError(`not ordered: ${directoryUrl} refused an earlier order of this run for rate limits (${first.message})`, {
      cause: first,
      retryAfter: first.retryAfter,
      remediation: first.remediation,
    });
  }
}
