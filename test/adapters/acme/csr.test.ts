/**
 * csr.ts against acme-client's own parser (built on @peculiar/x509). That a CA accepts the requests, and
 * their signatures, is shown by acme-certificate-authority.test.ts, which has pebble issue for each key type.
 */
import { spawnSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { crypto as acmeCrypto } from 'acme-client';
import { describe, expect, it } from 'vitest';
import type { KeyType } from '../../../lambda/domain/model.js';
import { createCsr, generatePrivateKey } from '../../../lambda/adapters/acme/csr.js';

/** What `openssl req -verify` says of a request (OpenSSL 3 exits 0 either way and reports on stderr). */
function opensslVerify(csr: string): string {
  const out = spawnSync('openssl', ['req', '-verify', '-noout'], { input: csr, encoding: 'utf8' });
  return `${out.stdout}${out.stderr}`;
}

describe('generatePrivateKey', () => {
  it.each<[KeyType, string, number | string]>([
    ['ec256', 'ec', 'prime256v1'],
    ['ec384', 'ec', 'secp384r1'],
    ['rsa2048', 'rsa', 2048],
    ['rsa3072', 'rsa', 3072],
  ])('%s: a PKCS#8 PEM key of that type', async (keyType, type, detail) => {
    const pem = await generatePrivateKey(keyType);
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const key = createPrivateKey(pem);
    expect(key.asymmetricKeyType).toBe(type);
    expect(type === 'ec' ? key.asymmetricKeyDetails?.namedCurve : key.asymmetricKeyDetails?.modulusLength).toBe(detail);
  });
});

describe('createCsr', () => {
  it.each<KeyType>(['ec256', 'ec384', 'rsa2048'])('%s: the first name is the CN, every name a dNSName, as acme-client reads it', async (keyType) => {
    const names = ['example.test', '*.example.test', 'www.other.test'];
    const csr = createCsr(names, await generatePrivateKey(keyType));
    expect(csr).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----\n([A-Za-z0-9+/=]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END CERTIFICATE REQUEST-----\n$/);
    expect(acmeCrypto.readCsrDomains(csr)).toEqual({ commonName: 'example.test', altNames: names });
    // openssl checks the self-signature with the request's own public key.
    expect(opensslVerify(csr)).toMatch(/self-signature verify OK/);
  });

  it('fails openssl\'s signature check when a byte of the request is changed (the check is real)', async () => {
    const csr = createCsr(['example.test'], await generatePrivateKey('ec256'));
    const der = Buffer.from(csr.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    der[der.indexOf(Buffer.from('example.test')) + 1] ^= 0x01;
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    expect(opensslVerify(tampered)).toMatch(/self-signature verify failure/);
  });

  it('leaves the CN out when the first name is longer than 64 characters (RFC 5280), keeping it in subjectAltName', async () => {
    const long = `${'a'.repeat(60)}.example.test`;
    const csr = createCsr([long, 'example.test'], await generatePrivateKey('ec256'));
    expect(acmeCrypto.readCsrDomains(csr)).toEqual({ commonName: null, altNames: [long, 'example.test'] });
  });

  it('encodes long lengths (many names) in the DER long form', async () => {
    const names = Array.from({ length: 100 }, (_, i) => `host-${i}.example.test`);
    const csr = createCsr(names, await generatePrivateKey('ec256'));
    expect(acmeCrypto.readCsrDomains(csr).altNames).toEqual(names);
  });

  it('refuses a name that is not ASCII, and an empty list', async () => {
    const key = await generatePrivateKey('ec256');
    expect(() => createCsr(['bücher.example'], key)).toThrow(/A-labels, xn--/);
    expect(() => createCsr([], key)).toThrow(/at least one name/);
  });
});
