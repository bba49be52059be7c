/**
 * International domain names (IDNA). certbeat stores, orders, publishes and imports names as A-labels
 * (`xn--bcher-kva.example.test`), the only form the CA, Route 53 and ACM take, and shows them to people
 * in Unicode beside the A-label (`bücher.example.test (xn--bcher-kva.example.test)`).
 *
 * The conversion is node's `url.domainToASCII`, the WHATWG URL "domain to ASCII" algorithm: UTS #46
 * processing with Transitional_Processing=false (`faß.de` → `xn--fa-hia.de`, not `fass.de`, as IDNA2008
 * registries and browsers do), CheckBidi and CheckJoiners on, and mapping (case folding, full-width
 * dots). It does not enforce STD3 rules or DNS lengths: the LDH and length rules in names.ts run on its
 * output, so a converted name passes exactly the checks an ASCII name does.
 */
import { domainToASCII, domainToUnicode } from 'node:url';

/** True when `s` has a character outside ASCII (a U-label, or a Unicode dot such as `。`). */
export function hasNonAscii(s: string): boolean {
  return /[^\u0000-\u007f]/.test(s);
}

/**
 * The A-label form of a name (the `*.` wildcard label kept), lower case, without a trailing dot; or
 * `undefined` when UTS #46 processing refuses it (a disallowed character, a bad joiner or bidi mix,
 * an invalid `xn--` label).
 */
export function toALabel(name: string): string | undefined {
  const wildcard = name.startsWith('*.');
  const rest = wildcard ? name.slice(2) : name;
  // A host ending in a number is parsed as IPv4 by the URL algorithm: never ours to convert.
  const ascii = domainToASCII(rest);
  if (ascii === '') return undefined;
  return `${wildcard ? '*.' : ''}${ascii.replace(/\.$/, '')}`;
}

/** The Unicode form of a stored (A-label) name; the name itself when it has no `xn--` label or does not decode. */
export function toUnicode(name: string): string {
  if (!/(^|\.)xn--/i.test(name)) return name;
  const wildcard = name.startsWith('*.');
  const unicode = domainToUnicode(wildcard ? name.slice(2) : name);
  return unicode === '' ? name : `${wildcard ? '*.' : ''}${unicode}`;
}

/** Whether every `xn--` label of an ASCII name decodes and encodes back to itself (a valid A-label). */
export function aLabelsValid(name: string): boolean {
  if (!/(^|\.)xn--/i.test(name)) return true;
  const base = name.startsWith('*.') ? name.slice(2) : name;
  const unicode = domainToUnicode(base);
  return unicode !== '' && domainToASCII(unicode) === base.toLowerCase();
}

/**
 * How a person reads a stored name: `bücher.example.test (xn--bcher-kva.example.test)` for an
 * international name, the name alone otherwise.
 */
export function displayName(name: string): string {
  const unicode = toUnicode(name);
  return unicode === name ? name : `${unicode} (${name})`;
}
