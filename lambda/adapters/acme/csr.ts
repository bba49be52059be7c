/**
 * Certificate keys and PKCS#10 certificate requests (RFC 2986) on node:crypto alone.
 *
 * Why not acme-client's `crypto.createCsr`: it builds the request with @peculiar/x509, which drags
 * asn1js, tsyringe and reflect-metadata (~240 KB, a quarter of the Lambda bundle, and much of its cold
 * start) into a function that needs one fixed structure: a subject CN, the key, one subjectAltName
 * extension of dNSNames, and a signature. That structure is encoded here; the tests check it against
 * acme-client's own parser and a real CA (pebble) that verifies the signature.
 */
import { createPrivateKey, createPublicKey, generateKeyPair, sign, type KeyObject } from 'node:crypto';
import type { KeyType } from '../../domain/model.js';

/** A fresh private key of `keyType`, PKCS#8 PEM. */
export function generatePrivateKey(keyType: KeyType): Promise<string> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, _publicKey: string, privateKey: string) => (err ? reject(err) : resolve(privateKey));
    const encoding = { publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } } as const;
    if (keyType === 'ec256' || keyType === 'ec384') {
      generateKeyPair('ec', { namedCurve: keyType === 'ec256' ? 'P-256' : 'P-384', ...encoding }, done);
    } else {
      generateKeyPair('rsa', { modulusLength: Number(keyType.slice(3)), ...encoding }, done);
    }
  });
}

// ---- DER (X.690), just what a CSR needs ----

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

const sequence = (...content: Buffer[]) => tlv(0x30, ...content);
const set = (...content: Buffer[]) => tlv(0x31, ...content);

function objectId(dotted: string): Buffer {
  const [first, second, ...rest] = dotted.split('.').map(Number);
  const bytes = [40 * first + second];
  for (const arc of rest) {
    const base128 = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) base128.unshift(0x80 | (v & 0x7f));
    bytes.push(...base128);
  }
  return tlv(0x06, Buffer.from(bytes));
}

const OID = {
  commonName: '2.5.4.3',
  extensionRequest: '1.2.840.113549.1.9.14',
  subjectAltName: '2.5.29.17',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  sha256WithRsa: '1.2.840.113549.1.1.11',
} as const;

/** The signature algorithm (AlgorithmIdentifier) and digest for a key. */
function signatureAlgorithm(key: KeyObject): { identifier: Buffer; digest: string } {
  if (key.asymmetricKeyType === 'rsa') return { identifier: sequence(objectId(OID.sha256WithRsa), Buffer.from([0x05, 0x00])), digest: 'sha256' };
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return { identifier: sequence(objectId(OID.ecdsaWithSha256)), digest: 'sha256' };
    if (curve === 'secp384r1') return { identifier: sequence(objectId(OID.ecdsaWithSha384)), digest: 'sha384' };
  }
  throw new Error(`certbeat makes certificate requests for RSA, P-256 and P-384 keys, not ${key.asymmetricKeyType} ${key.asymmetricKeyDetails?.namedCurve ?? ''}`.trim());
}

/** RFC 5280: a CN is at most 64 characters; a longer first name goes only into subjectAltName. */
const MAX_CN_LENGTH = 64;

/**
 * A PEM certificate request for `names` (ASCII, A-labels; the first also the subject CN when it fits),
 * signed with `keyPem`: SHA-256 with RSA or P-256, SHA-384 with P-384.
 */
export function createCsr(names: readonly string[], keyPem: string): string {
  if (names.length === 0) throw new Error('a certificate request needs at least one name');
  for (const name of names) {
    if (!/^[\x21-\x7e]+$/.test(name)) throw new Error(`${JSON.stringify(name)} is not an ASCII DNS name (give internationalized names as A-labels, xn--…)`);
  }
  const key = createPrivateKey(keyPem);
  const { identifier, digest } = signatureAlgorithm(key);
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const subject = names[0].length <= MAX_CN_LENGTH ? sequence(set(sequence(objectId(OID.commonName), tlv(0x0c, Buffer.from(names[0], 'ascii'))))) : sequence();
  // GeneralName dNSName is [2] IMPLICIT IA5String.
  const altNames = sequence(...names.map((n) => tlv(0x82, Buffer.from(n, 'ascii'))));
  const extensions = sequence(sequence(objectId(OID.subjectAltName), tlv(0x04, altNames)));
  const attributes = tlv(0xa0, sequence(objectId(OID.extensionRequest), set(extensions)));
  const info = sequence(Buffer.from([0x02, 0x01, 0x00]), subject, spki, attributes);
  const signature = sign(digest, info, key);
  const der = sequence(info, identifier, tlv(0x03, Buffer.from([0x00]), signature));
  const body = der.toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE REQUEST-----\n${body}-----END CERTIFICATE REQUEST-----\n`;
}
