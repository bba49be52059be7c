/**
 * ACME Renewal Information (RFC 9773): the certificate identifier and the renewalInfo answer.
 *
 * The identifier is base64url(AKI keyIdentifier) "." base64url(serial number DER content octets),
 * both read straight from the certificate's DER: Node's X509Certificate exposes neither the AKI nor the
 * serial's exact encoding.
 */
import { X509Certificate } from 'node:crypto';
import { TransientError } from '../../domain/errors.js';
import type { RenewalWindow } from '../../domain/model.js';
import { parseRetryAfter } from './acme-problems.js';

interface Tlv {
  tag: number;
  /** First content byte. */
  start: number;
  /** One past the last content byte. */
  end: number;
}

/** Reads one DER TLV at `offset`. Definite lengths only (DER has no other). */
function readTlv(der: Uint8Array, offset: number): Tlv {
  if (offset + 2 > der.length) throw new Error('truncated DER');
  const tag = der[offset];
  let length = der[offset + 1];
  let start = offset + 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (octets === 0 || octets > 4) throw new Error('unsupported DER length');
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + der[start + i];
    start += octets;
  }
  if (start + length > der.length) throw new Error('truncated DER');
  return { tag, start, end: start + length };
}

function children(der: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.start; at < parent.end; ) {
    const tlv = readTlv(der, at);
    out.push(tlv);
    at = tlv.end;
  }
  return out;
}

const OID_AUTHORITY_KEY_IDENTIFIER = Buffer.from([0x06, 0x03, 0x55, 0x1d, 0x23]);

/** The serial's DER content octets and the AKI keyIdentifier, from a certificate's DER. */
export function ariParts(der: Uint8Array): { serial: Buffer; keyIdentifier?: Buffer } {
  const bytes = Buffer.from(der);
  const certificate = readTlv(bytes, 0);
  const tbs = children(bytes, certificate)[0];
  const fields = children(bytes, tbs);
  // tbsCertificate: [0] version (optional), serialNumber INTEGER, ...
  const serialTlv = fields.find((f) => f.tag === 0x02);
  if (!serialTlv) throw new Error('certificate has no serial number');
  const serial = bytes.subarray(serialTlv.start, serialTlv.end);
  let keyIdentifier: Buffer | undefined;
  const extensionsWrapper = fields.find((f) => f.tag === 0xa3);
  if (extensionsWrapper) {
    const list = children(bytes, extensionsWrapper)[0];
    for (const ext of children(bytes, list)) {
      const parts = children(bytes, ext);
      const oid = bytes.subarray(ext.start, parts[0].end);
      if (!oid.equals(OID_AUTHORITY_KEY_IDENTIFIER)) continue;
      const value = parts[parts.length - 1]; // OCTET STRING holding AuthorityKeyIdentifier
      const aki = readTlv(bytes, value.start);
      const keyId = children(bytes, aki).find((c) => c.tag === 0x80); // [0] IMPLICIT KeyIdentifier
      if (keyId) keyIdentifier = Buffer.from(bytes.subarray(keyId.start, keyId.end));
    }
  }
  return { serial: Buffer.from(serial), keyIdentifier };
}

/**
 * The RFC 9773 certificate identifier of a certificate, or `undefined` when it has no Authority Key
 * Identifier (then the CA cannot be asked for renewal information about it).
 */
export function ariCertId(cert: X509Certificate | string): string | undefined {
  const x509 = typeof cert === 'string' ? new X509Certificate(cert) : cert;
  const { serial, keyIdentifier } = ariParts(x509.raw);
  if (!keyIdentifier) return undefined;
  return `${keyIdentifier.toString('base64url')}.${serial.toString('base64url')}`;
}

/** `<renewalInfo base>/<certId>` (RFC 9773 §4.1). */
export function renewalInfoUrl(base: string, certId: string): string {
  return `${base.replace(/\/+$/, '')}/${certId}`;
}

/** RFC 9773 §4.3: treat a Retry-After under a minute as a minute and over a day as a day. */
const MIN_RETRY_MS = 60_000;
const MAX_RETRY_MS = 86_400_000;

/**
 * Reads a renewalInfo answer: `suggestedWindow.start/end` (required, start before end), the optional
 * `explanationURL`, and Retry-After (clamped to one minute … one day from `now`).
 */
export function parseRenewalInfo(body: unknown, retryAfterHeader: string | undefined, now: Date, url: string): RenewalWindow {
  const window = (body as { suggestedWindow?: { start?: unknown; end?: unknown } } | null)?.suggestedWindow;
  const start = typeof window?.start === 'string' ? new Date(window.start) : undefined;
  const end = typeof window?.end === 'string' ? new Date(window.end) : undefined;
  if (!start || !end || Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end.getTime() < start.getTime()) {
    throw new TransientError(`the renewalInfo answer of ${url} has no valid suggestedWindow`, {
      remediation: 'certbeat falls back to its own renewal window and asks the CA again on the next run.',
    });
  }
  const result: RenewalWindow = { start: start.toISOString(), end: end.toISOString() };
  const retryAfter = parseRetryAfter(retryAfterHeader, now);
  if (retryAfter) {
    const delta = Math.min(MAX_RETRY_MS, Math.max(MIN_RETRY_MS, retryAfter.getTime() - now.getTime()));
    result.retryAfter = new Date(now.getTime() + delta).toISOString();
  }
  const explanation = (body as { explanationURL?: unknown }).explanationURL;
  if (typeof explanation === 'string' && /^https?:\/\//.test(explanation)) result.explanationUrl = explanation;
  return result;
}
