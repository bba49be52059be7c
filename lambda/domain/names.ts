/**
 * DNS name rules for certificate identifiers. Pure functions; the inventory schema, the CLI and the
 * DNS solver all use these so that a name means the same thing everywhere.
 */

import { aLabelsValid, hasNonAscii, toALabel } from './idn.js';

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * Lower-cases and drops a trailing dot; an international name becomes its A-labels (UTS #46, see
 * idn.ts), so `BÜCHER.example.test.`, `bücher.example.test` and `xn--bcher-kva.example.test` are one name.
 * A Unicode name UTS #46 refuses is returned lower-cased, for `nameProblem` to report.
 */
export function normalizeName(name: string): string {
  const trimmed = name.trim();
  if (hasNonAscii(trimmed)) {
    const ascii = toALabel(trimmed.replace(/\.$/, ''));
    if (ascii !== undefined) return ascii;
  }
  return trimmed.toLowerCase().replace(/\.$/, '');
}

/** `*.example.com` → `example.com`; other names unchanged. */
export function baseName(name: string): string {
  return name.startsWith('*.') ? name.slice(2) : name;
}

export function isWildcard(name: string): boolean {
  return name.startsWith('*.');
}

/** The dns-01 record name: apex and wildcard share `_acme-challenge.example.com`. */
export function challengeRecordName(name: string): string {
  return `_acme-challenge.${baseName(normalizeName(name))}`;
}

/**
 * Why a name cannot be on a certificate, or `undefined` when it can. The message says how to fix it.
 * Accepts LDH names with at least two labels and a single leading `*.` wildcard label.
 */
export function nameProblem(raw: string): string | undefined {
  if (typeof raw !== 'string' || raw.trim() === '') return 'is empty; give a DNS name such as www.example.com';
  const name = normalizeName(raw);
  if (/[\r\n\t ]/.test(raw.trim())) return `"${printable(raw)}" contains white space or a line break; remove it`;
  if (hasNonAscii(name)) {
    return `"${printable(raw)}" is not a valid international domain name (UTS #46 refuses it: a character that is not allowed, or a bad mix of scripts or joiners); check the spelling, or give its xn-- form`;
  }
  if (name.length > 253) return `"${printable(raw)}" is longer than 253 characters`;
  if (name.includes('*') && !/^\*\.[^*]+$/.test(name)) {
    return `"${printable(raw)}" misuses the wildcard: only a whole leftmost label may be "*", as in *.example.com`;
  }
  const labels = baseName(name).split('.');
  if (labels.length < 2) return `"${printable(raw)}" is not a fully qualified name; use e.g. ${labels[0] || 'www'}.example.com`;
  if (isWildcard(name) && labels.length < 2) return `"${printable(raw)}" is a wildcard on a top-level domain, which no CA issues`;
  for (const label of labels) {
    if (!LABEL.test(label)) {
      return `"${printable(raw)}" has an invalid label "${printable(label)}": use letters, digits and inner hyphens, 1–63 characters (IDNs in xn-- form)`;
    }
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1])) return `"${printable(raw)}" looks like an IP address; ACME dns-01 needs a DNS name`;
  if (!aLabelsValid(name)) return `"${printable(raw)}" has an xn-- label that is not a valid A-label (punycode of an allowed Unicode label); give the name in Unicode and certbeat converts it`;
  return undefined;
}

/** Quotes control characters so a bad value can be shown without breaking a log line or a mail. */
export function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`).slice(0, 120);
}

/** True when `name` equals `zone` or lies below it. Both normalized. */
export function isWithinZone(name: string, zone: string): boolean {
  const n = baseName(normalizeName(name));
  const z = normalizeName(zone);
  return n === z || n.endsWith(`.${z}`);
}

/** Whether two lists hold the same names, normalized, whatever their order and repeats. */
export function sameNames(a: readonly string[], b: readonly string[]): boolean {
  const x = new Set(a.map(normalizeName));
  const y = new Set(b.map(normalizeName));
  return x.size === y.size && [...x].every((n) => y.has(n));
}
