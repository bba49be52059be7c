/**
 * CAA evaluation (RFC 8659) for one identifier, as a CA would do it. Pure: the caller looks the
 * records up and hands them in.
 */

export interface CaaRecord {
  /** The flags octet; bit 128 is "issuer critical". */
  critical: number;
  tag: string;
  value: string;
}

/** The relevant record set of an identifier: the first non-empty CAA set climbing from it to the TLD. */
export interface RelevantCaaSet {
  /** The name the records live at (the identifier itself or an ancestor). */
  owner: string;
  records: CaaRecord[];
}

export type CaaVerdict =
  /** No applicable `issue`/`issuewild` property restricts issuance, or one names the CA. */
  | { kind: 'allowed'; tag?: 'issue' | 'issuewild'; issuer?: string }
  /** The CA may not issue. `tag` is the property that decided (`issue` or `issuewild`). */
  | { kind: 'forbidden'; reason: 'not-listed'; tag: 'issue' | 'issuewild'; listed: string[] }
  | { kind: 'forbidden'; reason: 'validation-method'; tag: 'issue' | 'issuewild'; issuer: string; methods: string[] }
  | { kind: 'forbidden'; reason: 'critical-tag'; criticalTag: string }
  /** Restricting records exist but the CA's identity is unknown, so the outcome cannot be told. */
  | { kind: 'unknown-ca'; tag: 'issue' | 'issuewild'; listed: string[] };

const ISSUER_CRITICAL = 128;
// Tags a CA understands; a critical flag on any other tag makes a conforming CA refuse (RFC 8659 §4.1).
const KNOWN_TAGS = new Set(['issue', 'issuewild', 'iodef', 'issuemail', 'issuevmc', 'contactemail', 'contactphone']);

/** Every proper ancestor-or-self of `name` down to (and including) the TLD: `a.b.c` → `a.b.c`, `b.c`, `c`. */
export function caaLookupChain(name: string): string[] {
  const labels = name.split('.');
  return labels.map((_, i) => labels.slice(i).join('.'));
}

interface ParsedIssueValue {
  /** Lower-cased issuer domain; empty for `;` (no CA may issue). */
  issuer: string;
  params: Map<string, string>;
}

/** `letsencrypt.org; validationmethods=dns-01` → issuer and parameters (RFC 8659 §4.2, RFC 8657). */
export function parseIssueValue(value: string): ParsedIssueValue {
  const [issuerPart, ...paramParts] = value.split(';');
  const params = new Map<string, string>();
  for (const part of paramParts) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    params.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  return { issuer: issuerPart.trim().toLowerCase().replace(/\.$/, ''), params };
}

/**
 * Whether a CA known by `identities` may issue for an identifier whose relevant CAA set is `records`,
 * for dns-01 validation. `wildcard` selects `issuewild` when the set has any, else `issue` (RFC 8659
 * §4.3). An empty set allows any CA.
 */
export function evaluateCaa(records: CaaRecord[], opts: { wildcard: boolean; identities: string[] }): CaaVerdict {
  const tagged = records.map((r) => ({ ...r, tag: r.tag.toLowerCase() }));
  const unknownCritical = tagged.find((r) => (r.critical & ISSUER_CRITICAL) !== 0 && !KNOWN_TAGS.has(r.tag));
  if (unknownCritical) return { kind: 'forbidden', reason: 'critical-tag', criticalTag: unknownCritical.tag };

  const tag: 'issue' | 'issuewild' = opts.wildcard && tagged.some((r) => r.tag === 'issuewild') ? 'issuewild' : 'issue';
  const applicable = tagged.filter((r) => r.tag === tag).map((r) => parseIssueValue(r.value));
  if (applicable.length === 0) return { kind: 'allowed' };

  const listed = [...new Set(applicable.map((p) => p.issuer).filter(Boolean))];
  const identities = opts.identities.map((i) => i.toLowerCase());
  if (identities.length === 0) return { kind: 'unknown-ca', tag, listed };

  let excludedMethods: { issuer: string; methods: string[] } | undefined;
  for (const p of applicable) {
    if (!identities.includes(p.issuer)) continue;
    const methods = p.params.get('validationmethods');
    if (methods === undefined) return { kind: 'allowed', tag, issuer: p.issuer };
    const list = methods.split(',').map((m) => m.trim().toLowerCase()).filter(Boolean);
    if (list.includes('dns-01')) return { kind: 'allowed', tag, issuer: p.issuer };
    excludedMethods ??= { issuer: p.issuer, methods: list };
  }
  if (excludedMethods) return { kind: 'forbidden', reason: 'validation-method', tag, ...excludedMethods };
  return { kind: 'forbidden', reason: 'not-listed', tag, listed };
}
