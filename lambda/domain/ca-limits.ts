/**
 * The order limits of an ACME CA that the budget (budget.ts) keeps certbeat inside, by directory URL.
 *
 * Only Let's Encrypt's limits are built in. Other CAs (DigiCert, Sectigo, GlobalSign, ZeroSSL, Google
 * Trust Services, a private CA, pebble) have none by default: LE's per-domain limit is LE's own, and
 * holding them to it refused certificates their CA would have issued. Their orders are still counted
 * and shown; the CA, if it has a limit, says so itself (a rate-limited failure with Retry-After). The
 * deployment's `caLimits` (certbeat.config.json → CERTBEAT_CA_LIMITS) gives a CA's limits or overrides
 * a built-in one, key by key.
 */
import { LETS_ENCRYPT_PRODUCTION, LETS_ENCRYPT_STAGING } from './model.js';
import { LOOPBACK_HOSTS } from './record-validation.js';

/** A CA's limits; an absent key means none is known: counted, never refused. */
export interface CaLimits {
  /** New orders per ACME account (directory + EAB credentials) per 3 hours. */
  ordersPer3Hours?: number;
  /** New certificates per registered domain per 7 days, whichever account of the CA orders them. */
  certificatesPerDomainPerWeek?: number;
}

/** Directory URL → limits, as configured (`caLimits`). */
export type CaLimitsByDirectory = Readonly<Record<string, CaLimits>>;

export const CA_LIMIT_KEYS = ['ordersPer3Hours', 'certificatesPerDomainPerWeek'] as const;

/**
 * Sources: letsencrypt.org/docs/rate-limits (production) and letsencrypt.org/docs/staging-environment
 * (staging, lastmod 2026-04-10). The staging page gives its per-domain value as "30000 per second"; its
 * earlier version said 30,000 per week, and a week is what this budget counts (the stricter reading).
 */
export const KNOWN_CA_LIMITS: CaLimitsByDirectory = {
  [LETS_ENCRYPT_PRODUCTION]: { ordersPer3Hours: 300, certificatesPerDomainPerWeek: 50 },
  [LETS_ENCRYPT_STAGING]: { ordersPer3Hours: 1500, certificatesPerDomainPerWeek: 30000 },
};

/** The URL as the table keys compare it: parsed (host case, default port), else as written. */
function directoryKey(url: string): string {
  try {
    return new URL(url.trim()).href;
  } catch {
    return url.trim();
  }
}

function lookup(table: CaLimitsByDirectory, directoryUrl: string): CaLimits | undefined {
  const key = directoryKey(directoryUrl);
  return Object.entries(table).find(([url]) => directoryKey(url) === key)?.[1];
}

/** The limits for `directoryUrl`: the built-in ones, each replaced by a configured value when given. */
export function caLimitsFor(directoryUrl: string, configured: CaLimitsByDirectory = {}): CaLimits {
  const limits: CaLimits = { ...lookup(KNOWN_CA_LIMITS, directoryUrl) };
  const own = lookup(configured, directoryUrl) ?? {};
  for (const key of CA_LIMIT_KEYS) if (own[key] !== undefined) limits[key] = own[key];
  return limits;
}

const WHAT: Record<(typeof CA_LIMIT_KEYS)[number], string> = {
  ordersPer3Hours: 'how many new orders the CA allows one account in 3 hours, e.g. 300',
  certificatesPerDomainPerWeek: 'how many new certificates the CA issues per registered domain in 7 days, e.g. 50',
};

const EXAMPLE = '{ "https://acme.example-ca.com/directory": { "ordersPer3Hours": 300, "certificatesPerDomainPerWeek": 50 } }';

/** One problem of a `caLimits` value: where (directory URL, then key) and what to do. */
export interface CaLimitsProblem {
  path: string[];
  message: string;
}

/**
 * Checks a `caLimits` value (the config file's, or CERTBEAT_CA_LIMITS parsed): an object of CA
 * directory URL (https; http only on loopback, as for certificates) to `{ ordersPer3Hours?,
 * certificatesPerDomainPerWeek? }`, each a positive whole number, at least one given. Every problem is
 * reported, each with its path and the fix. Shared by cdk/config.ts and lambda/config.ts.
 */
export function checkCaLimits(input: unknown): { ok: true; value: Record<string, CaLimits> } | { ok: false; problems: CaLimitsProblem[] } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, problems: [{ path: [], message: `must be an object of CA directory URL to limits, e.g. ${EXAMPLE}` }] };
  }
  const problems: CaLimitsProblem[] = [];
  const value: Record<string, CaLimits> = {};
  for (const [url, limits] of Object.entries(input)) {
    const before = problems.length;
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (!parsed || !(parsed.protocol === 'https:' || (parsed.protocol === 'http:' && LOOPBACK_HOSTS.has(parsed.hostname)))) {
      problems.push({ path: [url], message: `"${url}" is not an https URL; key each entry by the CA's ACME directory URL as the certificates give it, e.g. "https://acme.example-ca.com/directory"` });
      continue;
    }
    if (typeof limits !== 'object' || limits === null || Array.isArray(limits)) {
      problems.push({ path: [url], message: 'must be an object such as { "ordersPer3Hours": 300, "certificatesPerDomainPerWeek": 50 }' });
      continue;
    }
    const unknown = Object.keys(limits).filter((k) => !(CA_LIMIT_KEYS as readonly string[]).includes(k));
    if (unknown.length > 0) {
      problems.push({ path: [url], message: `unknown key(s) ${unknown.map((k) => `"${k}"`).join(', ')}; use ordersPer3Hours and/or certificatesPerDomainPerWeek` });
    }
    const out: CaLimits = {};
    for (const key of CA_LIMIT_KEYS) {
      const n = (limits as Record<string, unknown>)[key];
      if (n === undefined) continue;
      if (typeof n === 'number' && Number.isSafeInteger(n) && n > 0) out[key] = n;
      else problems.push({ path: [url, key], message: `${JSON.stringify(n)} is not a positive whole number; give ${WHAT[key]}` });
    }
    if (problems.length === before && Object.keys(out).length === 0) {
      problems.push({ path: [url], message: 'gives no limit; set ordersPer3Hours and/or certificatesPerDomainPerWeek, or remove the entry' });
    }
    if (problems.length === before) value[url] = out;
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value };
}
