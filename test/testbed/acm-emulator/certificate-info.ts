/**
 * What ACM reads out of an imported certificate, and the checks it makes on import, with node:crypto:
 * one PEM certificate, an unencrypted private key that matches it, a chain that parses and whose first
 * certificate issued the leaf, and a validity window around now.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { AwsJsonError } from '../emulator-support/json-service.js';

export interface CertificateInfo {
  certificatePem: string;
  chainPem?: string;
  domainName: string;
  subjectAlternativeNames: string[];
  serial: string;
  subject: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  keyAlgorithm: string;
  signatureAlgorithm?: string;
  extendedKeyUsages: Array<{ Name: string; OID: string }>;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** Largest private key ACM accepts (5 KB, per the ImportCertificate reference). */
const MAX_PRIVATE_KEY_BYTES = 5120;

const EKU: Record<string, string> = {
  '1.3.6.1.5.5.7.3.1': 'TLS_WEB_SERVER_AUTHENTICATION',
  '1.3.6.1.5.5.7.3.2': 'TLS_WEB_CLIENT_AUTHENTICATION',
  '1.3.6.1.5.5.7.3.3': 'CODE_SIGNING',
  '1.3.6.1.5.5.7.3.4': 'EMAIL_PROTECTION',
  '1.3.6.1.5.5.7.3.8': 'TIME_STAMPING',
  '1.3.6.1.5.5.7.3.9': 'OCSP_SIGNING',
};

// DER-encoded AlgorithmIdentifier OIDs; the TBSCertificate repeats the outer signature algorithm.
const SIGNATURE_OIDS: Array<[string, string]> = [
  ['06082a8648ce3d040302', 'SHA256WITHECDSA'],
  ['06082a8648ce3d040303', 'SHA384WITHECDSA'],
  ['06082a8648ce3d040304', 'SHA512WITHECDSA'],
  ['06092a864886f70d01010b', 'SHA256WITHRSA'],
  ['06092a864886f70d01010c', 'SHA384WITHRSA'],
  ['06092a864886f70d01010d', 'SHA512WITHRSA'],
  ['06092a864886f70d010105', 'SHA1WITHRSA'],
];

const invalid = (message: string) => new AwsJsonError('ValidationException', message);

function pemBlocks(pem: string): Array<{ label: string; text: string }> {
  return [...pem.matchAll(PEM_BLOCK)].map((m) => ({ label: m[1], text: m[0] }));
}

/** The ACM key algorithm name for a public key, or undefined when ACM does not support it. */
export function keyAlgorithmOf(key: KeyObject): string | undefined {
  const d = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa' && d?.modulusLength && [1024, 2048, 3072, 4096].includes(d.modulusLength)) {
    return `RSA_${d.modulusLength}`;
  }
  if (key.asymmetricKeyType === 'ec' && d?.namedCurve && ['prime256v1', 'secp384r1', 'secp521r1'].includes(d.namedCurve)) {
    return `EC_${d.namedCurve}`;
  }
  return undefined;
}

/** ACM's serial format: lower-case hex byte pairs joined by colons. */
function acmSerial(hex: string): string {
  const even = hex.length % 2 === 1 ? `0${hex}` : hex;
  return even.toLowerCase().match(/../g)!.join(':');
}

function dnField(dn: string, field: string): string | undefined {
  return dn
    .split('\n')
    .find((line) => line.startsWith(`${field}=`))
    ?.slice(field.length + 1);
}

function parseCertificate(pem: string, what: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw invalid(`Could not parse ${what}. Please ensure it is PEM-encoded.`);
  }
}

/**
 * Validates an ImportCertificate request's three blobs (already decoded to text) and returns what
 * ACM stores. The private key is only used for the match check; nothing of it is returned.
 */
export function inspectImport(certificateText: string, privateKeyText: string, chainText: string | undefined, now: Date): CertificateInfo {
  const certBlocks = pemBlocks(certificateText).filter((b) => b.label === 'CERTIFICATE');
  if (certBlocks.length === 0) throw invalid('Could not parse certificate. Please ensure it is PEM-encoded.');
  if (certBlocks.length > 1) {
    throw invalid('The certificate field contains more than one certificate. You can specify only one certificate in this field.');
  }
  const leaf = parseCertificate(certBlocks[0].text, 'certificate');

  if (Buffer.byteLength(privateKeyText) > MAX_PRIVATE_KEY_BYTES) throw invalid('The private key length is not supported. The key must be no larger than 5 KB.');
  if (/ENCRYPTED/.test(privateKeyText)) throw invalid('The private key is not supported. Only unencrypted private keys can be imported.');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(privateKeyText);
  } catch {
    throw invalid('The private key is not supported.');
  }
  const keyAlgorithm = keyAlgorithmOf(leaf.publicKey);
  if (!keyAlgorithm) throw invalid('The certificate key algorithm is not supported.');
  if (!leaf.checkPrivateKey(privateKey)) throw invalid('The private key does not match the public key in the certificate.');

  let chainPem: string | undefined;
  if (chainText !== undefined && chainText.trim() !== '') {
    const blocks = pemBlocks(chainText).filter((b) => b.label === 'CERTIFICATE');
    if (blocks.length === 0) throw invalid('Could not parse the certificate chain. Please ensure it is PEM-encoded.');
    const chain = blocks.map((b) => parseCertificate(b.text, 'the certificate chain'));
    if (!leaf.checkIssued(chain[0]) || !leaf.verify(chain[0].publicKey)) {
      throw invalid(
        `The certificate chain does not start with the issuer of the certificate: the certificate's issuer is "${leaf.issuer.replace(/\n/g, ', ')}", the chain's first subject is "${chain[0].subject.replace(/\n/g, ', ')}".`,
      );
    }
    chainPem = blocks.map((b) => `${b.text}\n`).join('');
  }

  if (leaf.issuer.trim() === '') throw invalid('The certificate Issuer field must not be empty.');
  const notBefore = new Date(leaf.validFrom);
  const notAfter = new Date(leaf.validTo);
  if (now < notBefore) throw invalid('The certificate is not valid yet: the current time is before its Not Before date.');
  if (now > notAfter) throw invalid('The certificate has expired: the current time is after its Not After date.');

  const sans = (leaf.subjectAltName ?? '')
    .split(/,\s*/)
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4));
  const cn = dnField(leaf.subject, 'CN');
  const domainName = cn ?? sans[0];
  if (!domainName) throw invalid('The certificate must contain at least one domain name.');
  const der = leaf.raw.toString('hex');
  return {
    certificatePem: `${certBlocks[0].text}\n`,
    chainPem,
    domainName,
    subjectAlternativeNames: sans.includes(domainName) ? sans : [domainName, ...sans],
    serial: acmSerial(leaf.serialNumber),
    subject: leaf.subject.split('\n').join(','),
    issuer: dnField(leaf.issuer, 'O') ?? dnField(leaf.issuer, 'CN') ?? leaf.issuer,
    notBefore,
    notAfter,
    keyAlgorithm,
    signatureAlgorithm: SIGNATURE_OIDS.find(([oid]) => der.includes(oid))?.[1],
    extendedKeyUsages: (leaf.keyUsage ?? []).map((oid) => ({ Name: EKU[oid] ?? 'CUSTOM', OID: oid })),
  };
}
