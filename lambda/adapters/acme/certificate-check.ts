/**
 * Checks a certificate chain the CA returned before anyone relies on it: names, validity, key match,
 * issuer chain. Whatever fails is named in a `CertificateCheckError`.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { CertificateCheckError } from '../../domain/errors.js';
import { normalizeName } from '../../domain/names.js';
import { ariCertId } from './ari.js';

export interface CertificateCheckInput {
  /** The CA's answer: leaf first, then intermediates (PEM). */
  chainPem: string;
  /** The key the CSR was made with (PEM). */
  privateKeyPem: string;
  /** Every name that was ordered. */
  names: string[];
  now: Date;
}

/** What the checked certificate says about itself. */
export interface CheckedCertificate {
  certificatePem: string;
  /** Intermediates, leaf excluded (PEM, newline-joined). */
  chainPem: string;
  /** Upper-case hex, no separators. */
  serial: string;
  /** Issuer distinguished name, one line. */
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  /** DNS names in the subjectAltName. */
  sanNames: string[];
  ariCertId?: string;
}

/**
 * The CA's clock and ours may differ a little; a notBefore this far in our future is still accepted
 * (Let's Encrypt backdates notBefore by an hour for the same reason).
 */
export const CLOCK_SKEW_MS = 5 * 60_000;

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Splits a PEM bundle into its certificates, in order, each ending with a newline. */
export function splitPemCertificates(pem: string): string[] {
  return (pem.match(PEM_CERTIFICATE) ?? []).map((c) => `${c.trim()}\n`);
}

/** DNS names of a certificate's subjectAltName, lower-cased. */
export function sanDnsNames(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? '')
    .split(/,\s*/)
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => normalizeName(entry.slice(4)));
}

/**
 * Checks that the leaf's SAN covers every requested name, that `now` lies within its validity (with
 * `CLOCK_SKEW_MS` grace on notBefore), that its public key is the one of `privateKeyPem`, that the
 * leaf is issued and signed by the first chain certificate and each chain certificate by the next.
 * Throws `CertificateCheckError` naming the first failed check.
 */
export function checkCertificate(input: CertificateCheckInput): CheckedCertificate {
  const pems = splitPemCertificates(input.chainPem);
  if (pems.length === 0) throw fail('the CA returned no certificate');
  let certs: X509Certificate[];
  try {
    certs = pems.map((p) => new X509Certificate(p));
  } catch (err) {
    throw fail(`the CA returned a certificate that cannot be parsed: ${(err as Error).message}`, err);
  }
  const [leaf, ...chain] = certs;
  if (chain.length === 0) throw fail('the CA returned the leaf certificate without its issuer chain');

  const sanNames = sanDnsNames(leaf);
  const missing = input.names.map(normalizeName).filter((n) => !sanNames.includes(n));
  if (missing.length > 0) {
    throw fail(`the certificate does not cover ${missing.join(', ')} (its names: ${sanNames.join(', ') || 'none'})`);
  }

  const notBefore = new Date(leaf.validFrom);
  const notAfter = new Date(leaf.validTo);
  const now = input.now.getTime();
  if (notBefore.getTime() - CLOCK_SKEW_MS > now) {
    throw fail(`the certificate is not valid yet: notBefore ${notBefore.toISOString()} is after now (${input.now.toISOString()})`);
  }
  if (notAfter.getTime() < now) {
    throw fail(`the certificate has already expired: notAfter ${notAfter.toISOString()} is before now (${input.now.toISOString()})`);
  }

  let keyMatches: boolean;
  try {
    keyMatches = leaf.checkPrivateKey(createPrivateKey(input.privateKeyPem));
  } catch (err) {
    throw fail(`the certificate's public key could not be compared with our private key: ${(err as Error).message}`, err);
  }
  if (!keyMatches) throw fail("the certificate's public key does not match the private key of our certificate request");

  const all = [leaf, ...chain];
  for (let i = 0; i + 1 < all.length; i++) {
    const subject = all[i];
    const issuer = all[i + 1];
    const what = i === 0 ? 'the leaf certificate' : `chain certificate ${i} (${oneLine(subject.subject)})`;
    if (!subject.checkIssued(issuer) || !subject.verify(issuer.publicKey)) {
      throw fail(`${what} is not signed by the next certificate in the chain (${oneLine(issuer.subject)})`);
    }
  }

  return {
    certificatePem: pems[0],
    chainPem: pems.slice(1).join(''),
    serial: leaf.serialNumber.toUpperCase(),
    issuer: oneLine(leaf.issuer),
    notBefore,
    notAfter,
    sanNames,
    ariCertId: ariCertId(leaf),
  };
}

/** Node renders distinguished names one attribute per line. */
function oneLine(dn: string): string {
  return dn.split('\n').filter(Boolean).join(', ');
}

function fail(message: string, cause?: unknown): CertificateCheckError {
  return new CertificateCheckError(message, {
    cause,
    remediation: 'The CA returned a certificate certbeat will not import; certbeat orders again on the next run. If this repeats, report it to the CA.',
  });
}
