/**
 * Real DNSSEC zone keys for tests: ECDSA P-256 (algorithm 13) public keys in DNSKEY form, generated
 * with node:crypto, so DS digests and key tags are computed over genuine key material.
 */
import { generateKeyPairSync } from 'node:crypto';

export interface TestDnskey {
  flags: number;
  algorithm: number;
  publicKey: string;
}

/** A new key; flags 257 (zone key + secure entry point) makes it a KSK, 256 a ZSK. */
export function newDnskey(flags = 257): TestDnskey {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  // RFC 6605 §4: the public key is Q = x | y, 64 bytes for P-256.
  const q = Buffer.concat([Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  return { flags, algorithm: 13, publicKey: q.toString('base64') };
}
