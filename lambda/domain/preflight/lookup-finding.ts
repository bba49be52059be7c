import type { Finding } from '../notices.js';

/** The non-blocking `<check>-lookup` finding for a lookup that failed: the check could not be made. */
export function lookupFinding(check: string, what: string, error: unknown): Finding {
  const reason = error instanceof Error ? error.message : String(error);
  return {
    check: `${check}-lookup`,
    ok: false,
    message: `could not check: ${what} failed (${reason})`,
    fix: 'Nothing to change if it passes on the next run; if it keeps failing, check that the DNS resolver (or Route 53) certbeat uses is reachable.',
  };
}
