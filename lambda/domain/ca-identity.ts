/**
 * Which CAA issuer domain names (RFC 8659 `issue` / `issuewild` values) stand for an ACME CA.
 * Pure data and lookups; the CAA pre-flight check uses it to decide whether a domain's CAA records
 * allow the CA a certificate is ordered from.
 */

/** A known ACME CA: its display name and the issuer domains it honours in CAA, primary first. */
export interface CaIdentity {
  name: string;
  /** CAA issuer domain names the CA accepts as authorising it; the first is the one to recommend. */
  caaDomains: string[];
}

interface KnownCa extends CaIdentity {
  /** Directory URL hosts this CA serves from: exact host, or any host below it. */
  hosts: string[];
}

// Sources: each CA's published CAA guidance (e.g. ZeroSSL issues through Sectigo, so `sectigo.com`).
const KNOWN_CAS: KnownCa[] = [
  { name: "Let's Encrypt", hosts: ['letsencrypt.org'], caaDomains: ['letsencrypt.org'] },
  {
    name: 'ZeroSSL',
    hosts: ['zerossl.com'],
    caaDomains: ['sectigo.com', 'comodoca.com', 'comodo.com', 'usertrust.com', 'trust-provider.com'],
  },
  {
    name: 'Sectigo',
    hosts: ['sectigo.com'],
    caaDomains: ['sectigo.com', 'comodoca.com', 'comodo.com', 'usertrust.com', 'trust-provider.com'],
  },
  { name: 'Google Trust Services', hosts: ['pki.goog'], caaDomains: ['pki.goog'] },
  {
    name: 'DigiCert',
    hosts: ['digicert.com'],
    caaDomains: [
      'digicert.com',
      'www.digicert.com',
      'digicert.ne.jp',
      'cybertrust.ne.jp',
      'symantec.com',
      'thawte.com',
      'geotrust.com',
      'rapidssl.com',
    ],
  },
  { name: 'Buypass', hosts: ['buypass.com', 'buypass.no'], caaDomains: ['buypass.com', 'buypass.no'] },
  { name: 'SSL.com', hosts: ['ssl.com'], caaDomains: ['ssl.com'] },
  { name: 'Actalis', hosts: ['actalis.com', 'actalis.it'], caaDomains: ['actalis.it'] },
  { name: 'GlobalSign', hosts: ['globalsign.com'], caaDomains: ['globalsign.com'] },
  { name: 'JPRS', hosts: ['jprs.jp'], caaDomains: ['jprs.jp'] },
];

function hostOf(directoryUrl: string): string | undefined {
  try {
    return new URL(directoryUrl).hostname.toLowerCase().replace(/\.$/, '');
  } catch {
    return undefined;
  }
}

/**
 * The CA behind an ACME directory URL, matched on the URL's host (the host or any name below one of
 * the CA's domains, so staging and production both match). `undefined` for an unknown CA (a private
 * CA, or pebble in tests).
 */
export function identifyCa(directoryUrl: string): CaIdentity | undefined {
  const host = hostOf(directoryUrl);
  if (!host) return undefined;
  const ca = KNOWN_CAS.find((c) => c.hosts.some((h) => host === h || host.endsWith(`.${h}`)));
  return ca && { name: ca.name, caaDomains: [...ca.caaDomains] };
}

/**
 * The CAA issuer domains that authorise the CA at `directoryUrl`, primary first. A non-empty
 * `override` (set per certificate, e.g. for a private CA or pebble in tests) replaces the built-in
 * table. Returns `[]` when the CA is unknown and no override is given: the caller cannot then decide
 * whether a CAA record set allows it.
 */
export function caaIdentitiesFor(directoryUrl: string, override?: readonly string[]): string[] {
  const cleaned = (override ?? []).map((d) => d.trim().toLowerCase().replace(/\.$/, '')).filter(Boolean);
  if (cleaned.length > 0) return [...new Set(cleaned)];
  return identifyCa(directoryUrl)?.caaDomains ?? [];
}
