import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ariCertId } from '../../../lambda/adapters/acme/ari.js';
import { checkCertificate, splitPemCertificates } from '../../../lambda/adapters/acme/certificate-check.js';
import { CertificateCheckError } from '../../../lambda/domain/errors.js';

const run = promisify(execFile);
let dir: string;
const pem: Record<string, string> = {};
const p = (name: string) => join(dir, name);
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/** A CA certificate made with openssl: self-signed when `issuer` is absent. */
async function makeCa(name: string, cn: string, issuer?: string): Promise<void> {
  if (!issuer) {
    await run('openssl', ['req', '-x509', ...EC, '-keyout', p(`${name}.key`), '-out', p(`${name}.pem`), '-days', '30', '-subj', `/CN=${cn}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign', '-addext', 'subjectKeyIdentifier=hash']);
  } else {
    await run('openssl', ['req', ...EC, '-keyout', p(`${name}.key`), '-out', p(`${name}.csr`), '-subj', `/CN=${cn}`]);
    await writeFile(p(`${name}.ext`), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
    await run('openssl', ['x509', '-req', '-in', p(`${name}.csr`), '-CA', p(`${issuer}.pem`), '-CAkey', p(`${issuer}.key`),
      '-set_serial', '0x1001', '-days', '30', '-extfile', p(`${name}.ext`), '-out', p(`${name}.pem`)]);
  }
  pem[name] = await readFile(p(`${name}.pem`), 'utf8');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'certbeat-check-'));
  await makeCa('root', 'Test Root');
  await makeCa('int', 'Test Intermediate', 'root');
  await makeCa('other', 'Unrelated Root');
  await run('openssl', ['req', ...EC, '-keyout', p('leaf.key'), '-out', p('leaf.csr'), '-subj', '/CN=a.example.com']);
  await writeFile(p('leaf.ext'), 'subjectAltName=DNS:a.example.com,DNS:*.a.example.com\nauthorityKeyIdentifier=keyid\nbasicConstraints=critical,CA:FALSE\n');
  // A serial with the high bit set: its DER content gets a leading 0x00, which the ARI id must keep.
  await run('openssl', ['x509', '-req', '-in', p('leaf.csr'), '-CA', p('int.pem'), '-CAkey', p('int.key'),
    '-set_serial', '0x80aabbccdd', '-days', '10', '-extfile', p('leaf.ext'), '-out', p('leaf.pem')]);
  pem.leaf = await readFile(p('leaf.pem'), 'utf8');
  pem.leafKey = await readFile(p('leaf.key'), 'utf8');
  pem.otherKey = await readFile(p('other.key'), 'utf8');
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const now = () => new Date();
const names = ['a.example.com', '*.a.example.com'];

function failure(fn: () => unknown): CertificateCheckError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CertificateCheckError);
    return err as CertificateCheckError;
  }
  throw new Error('expected a CertificateCheckError');
}

describe('checkCertificate', () => {
  it('accepts a good chain and reports serial, issuer, dates and the ARI id', async () => {
    const checked = checkCertificate({ chainPem: pem.leaf + pem.int, privateKeyPem: pem.leafKey, names, now: now() });
    expect(checked.serial).toBe('80AABBCCDD');
    expect(checked.issuer).toBe('CN=Test Intermediate');
    expect(checked.sanNames).toEqual(['a.example.com', '*.a.example.com']);
    expect(checked.certificatePem).toBe(splitPemCertificates(pem.leaf)[0]);
    expect(checked.chainPem).toBe(splitPemCertificates(pem.int)[0]);
    const leaf = new X509Certificate(pem.leaf);
    expect(checked.notAfter.getTime()).toBe(new Date(leaf.validTo).getTime());
    expect(checked.notAfter.getTime() - checked.notBefore.getTime()).toBe(10 * 86_400_000);

    // RFC 9773: AKI keyIdentifier (= the intermediate's SKI, as openssl prints it) "." serial DER content octets.
    const { stdout } = await run('openssl', ['x509', '-in', p('int.pem'), '-noout', '-ext', 'subjectKeyIdentifier']);
    const ski = Buffer.from(stdout.split('\n')[1].trim().replace(/:/g, ''), 'hex');
    expect(checked.ariCertId).toBe(`${ski.toString('base64url')}.${Buffer.from([0x00, 0x80, 0xaa, 0xbb, 0xcc, 0xdd]).toString('base64url')}`);
  });

  it('names a requested name that the certificate lacks', () => {
    const err = failure(() =>
      checkCertificate({ chainPem: pem.leaf + pem.int, privateKeyPem: pem.leafKey, names: [...names, 'b.example.com'], now: now() }),
    );
    expect(err.message).toContain('does not cover b.example.com');
  });

  it('refuses a certificate outside its validity by the given clock', () => {
    const leaf = new X509Certificate(pem.leaf);
    const after = new Date(new Date(leaf.validTo).getTime() + 1000);
    expect(failure(() => checkCertificate({ chainPem: pem.leaf + pem.int, privateKeyPem: pem.leafKey, names, now: after })).message).toContain(
      'already expired',
    );
    const before = new Date(new Date(leaf.validFrom).getTime() - 3_600_000);
    expect(failure(() => checkCertificate({ chainPem: pem.leaf + pem.int, privateKeyPem: pem.leafKey, names, now: before })).message).toContain(
      'not valid yet',
    );
  });

  it('refuses a certificate whose key is not ours', () => {
    const err = failure(() => checkCertificate({ chainPem: pem.leaf + pem.int, privateKeyPem: pem.otherKey, names, now: now() }));
    expect(err.message).toContain('public key does not match');
  });

  it('refuses a chain whose links do not verify', () => {
    expect(failure(() => checkCertificate({ chainPem: pem.leaf + pem.other, privateKeyPem: pem.leafKey, names, now: now() })).message).toContain(
      'the leaf certificate is not signed by the next certificate in the chain (CN=Unrelated Root)',
    );
    expect(
      failure(() => checkCertificate({ chainPem: pem.leaf + pem.int + pem.other, privateKeyPem: pem.leafKey, names, now: now() })).message,
    ).toContain('chain certificate 1 (CN=Test Intermediate) is not signed');
    // The full chain up to the root verifies.
    expect(checkCertificate({ chainPem: pem.leaf + pem.int + pem.root, privateKeyPem: pem.leafKey, names, now: now() }).chainPem).toBe(
      pem.int + pem.root,
    );
  });

  it('refuses a leaf without chain, and garbage', () => {
    expect(failure(() => checkCertificate({ chainPem: pem.leaf, privateKeyPem: pem.leafKey, names, now: now() })).message).toContain(
      'without its issuer chain',
    );
    expect(failure(() => checkCertificate({ chainPem: 'not a pem', privateKeyPem: pem.leafKey, names, now: now() })).message).toContain(
      'no certificate',
    );
  });
});

describe('ariCertId', () => {
  it('is undefined for a certificate without Authority Key Identifier', async () => {
    await run('openssl', ['req', '-x509', ...EC, '-keyout', p('noaki.key'), '-out', p('noaki.pem'), '-days', '1', '-subj', '/CN=no aki',
      '-addext', 'authorityKeyIdentifier=none']);
    const noAki = await readFile(p('noaki.pem'), 'utf8');
    const { stdout } = await run('openssl', ['x509', '-in', p('noaki.pem'), '-noout', '-text']);
    expect(stdout).not.toContain('Authority Key Identifier');
    expect(ariCertId(noAki)).toBeUndefined();
    // The root made without "none" carries an AKI (OpenSSL 3 adds it), so it has an id.
    expect(ariCertId(pem.root)).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  });
});
