/**
 * What acme-client's own modules use of its `crypto` module, on node:crypto alone. The Lambda bundle
 * puts this in place of acme-client/src/crypto/index.js (cdk/bundle/renewer-bundle.ts), whose
 * @peculiar/x509 stack certbeat does not need (certbeat makes its keys and requests in csr.ts).
 *
 * acme-client's client.js and http.js call `getJwk` (the account key's JWK in JWS headers and the key
 * authorization) and `getPemBodyAsB64u` (the CSR at finalization); util.js calls `splitPemChain` and
 * `readCertificateInfo` only to choose among alternate chains (`preferredChain`), which certbeat does not
 * ask for. Each function here answers as acme-client's does (test/adapters/acme/acme-crypto-lite.test.ts
 * compares them); everything else throws a message saying why it is missing.
 */
import { createPublicKey, type JsonWebKey } from 'node:crypto';

/** The public JWK of a PEM key, members sorted by name (RFC 7638 thumbprints hash them in this order). */
export function getJwk(keyPem: string | Buffer): JsonWebKey {
  const jwk = createPublicKey(keyPem).export({ format: 'jwk' });
  return Object.fromEntries(Object.keys(jwk).sort().map((k) => [k, jwk[k as keyof JsonWebKey]])) as JsonWebKey;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** Every PEM block of `chainPem`, each re-encoded with its header (base64 in 64-character lines). */
export function splitPemChain(chainPem: string | Buffer): string[] {
  return [...chainPem.toString().matchAll(PEM_BLOCK)].map(([, label, body]) => {
    const b64 = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('base64');
    return `-----BEGIN ${label}-----\n${b64.replace(/.{1,64}/g, '$&\n')}-----END ${label}-----`;
  });
}

/** The DER body of the first PEM block of `pem`, base64url. */
export function getPemBodyAsB64u(pem: string | Buffer): string {
  const first = [...pem.toString().matchAll(PEM_BLOCK)][0];
  if (!first) throw new Error('Unable to parse PEM body from string');
  return Buffer.from(first[2].replace(/\s+/g, ''), 'base64').toString('base64url');
}

function missing(name: string): () => never {
  return () => {
    throw new Error(
      `acme-client crypto.${name} is not in the certbeat Lambda bundle (certbeat makes keys and requests in lambda/adapters/acme/csr.ts and asks for no alternate chain); see cdk/bundle/renewer-bundle.ts`,
    );
  };
}

export const createPrivateRsaKey = missing('createPrivateRsaKey');
export const createPrivateKey = missing('createPrivateKey');
export const createPrivateEcdsaKey = missing('createPrivateEcdsaKey');
export const getPublicKey = missing('getPublicKey');
export const readCsrDomains = missing('readCsrDomains');
export const readCertificateInfo = missing('readCertificateInfo');
export const createCsr = missing('createCsr');
export const createAlpnCertificate = missing('createAlpnCertificate');
export const isAlpnCertificateAuthorizationValid = missing('isAlpnCertificateAuthorizationValid');
