import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { ACMClient, ListTagsForCertificateCommand } from '@aws-sdk/client-acm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcmCertificateStore, importTags, namesTagValue, tagValue } from '../../../lambda/adapters/acm/acm-certificate-store.js';
import { ConfigurationError, ImportFailedError, ImportOutcomeUnknownError, TransientError } from '../../../lambda/domain/errors.js';
import { startAcmEmulator, type AcmEmulator } from '../../testbed/acm-emulator.js';
import { makeCertificates } from './test-certificates.js';

const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };
const keyBody = (pem: string) => pem.split('\n').find((l) => l.length > 40 && !l.startsWith('-----'))!;

let dir: string;
let certs: Awaited<ReturnType<typeof makeCertificates>>;
let acm: AcmEmulator;
let client: ACMClient;
let store: AcmCertificateStore;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'certbeat-acm-test-'));
  [certs, acm] = await Promise.all([makeCertificates(dir), startAcmEmulator()]);
  client = new ACMClient({ endpoint: acm.endpoint, region: 'us-east-1', credentials });
  store = new AcmCertificateStore(client);
});

afterAll(async () => {
  client?.destroy();
  await acm?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('AcmCertificateStore against the ACM emulator', () => {
  it('imports a new certificate with its tags and re-imports under the same ARN', async () => {
    const arn = await store.import({ ...certs.ec1, chainPem: certs.chainPem, tags: { 'certbeat:id': 'shop', team: 'web shop' } });
    expect(arn).toMatch(/^arn:aws:acm:us-east-1:\d{12}:certificate\//);
    const tags = await client.send(new ListTagsForCertificateCommand({ CertificateArn: arn }));
    expect(tags.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'certbeat:id', Value: 'shop' },
        { Key: 'certbeat:names', Value: 'example.test _.example.test' },
        { Key: 'team', Value: 'web shop' },
      ]),
    );

    // Re-import: same ARN, and no tags sent (the emulator, like ACM, refuses tags on re-import).
    const again = await store.import({ arn, ...certs.ec2, chainPem: certs.chainPem, tags: { 'certbeat:id': 'shop' } });
    expect(again).toBe(arn);
    const stored = acm.certificates().find((c) => c.arn === arn)!;
    expect(stored.importCount).toBe(2);
    expect(stored.certificatePem.trim()).toBe(certs.ec2.certificatePem.trim());
    const described = await store.describe(arn);
    expect(BigInt(`0x${described!.serial!.replace(/:/g, '')}`)).toBe(BigInt(`0x${new X509Certificate(certs.ec2.certificatePem).serialNumber}`));
  });

  it('describes key type, expiry, serial and the resources using it', async () => {
    const ecArn = await store.import({ ...certs.ec1, chainPem: certs.chainPem, tags: {} });
    const rsaArn = await store.import({ ...certs.rsa, chainPem: certs.chainPem, tags: {} });
    const users = ['arn:aws:cloudfront::123456789012:distribution/E2ABC', 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/1'];
    acm.setInUseBy(ecArn, users);

    const ec = await store.describe(ecArn);
    const x509 = new X509Certificate(certs.ec1.certificatePem);
    expect(ec).toEqual({
      arn: ecArn,
      keyAlgorithm: 'ec256',
      notBefore: new Date(x509.validFrom),
      notAfter: new Date(x509.validTo),
      serial: expect.stringMatching(/^[0-9a-f]{2}(:[0-9a-f]{2})+$/),
      issuer: expect.any(String),
      inUseBy: users,
      type: 'IMPORTED',
      names: (x509.subjectAltName ?? '').split(', ').map((s) => s.replace(/^DNS:/, '')),
    });
    const rsa = await store.describe(rsaArn);
    expect(rsa?.keyAlgorithm).toBe('rsa2048');
    expect(rsa?.inUseBy).toEqual([]);
  });

  it('returns undefined for an ARN ACM does not know', async () => {
    expect(await store.describe('arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-4000-8000-000000000000')).toBeUndefined();
  });

  it('explains a key type change on re-import, naming the current type', async () => {
    const arn = await store.import({ ...certs.ec1, chainPem: certs.chainPem, tags: {} });
    const err = await store.import({ arn, ...certs.rsa, chainPem: certs.chainPem, tags: {} }).catch((e) => e);
    expect(err).toBeInstanceOf(ImportFailedError);
    expect(err.message).toContain('rsa2048');
    expect(err.message).toContain('ec256');
    expect(err.remediation).toContain("ACM refuses a different key algorithm on re-import: set the certificate's keyType to ec256 or import as a new certificate");
    expect(JSON.stringify({ m: err.message, r: err.remediation })).not.toContain(keyBody(certs.rsa.privateKeyPem));
    expect(acm.certificates().find((c) => c.arn === arn)?.importCount).toBe(1);
  });

  it('says how to recover when the ARN no longer exists', async () => {
    const gone = 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-4333-8444-555555555555';
    const err = await store.import({ arn: gone, ...certs.ec1, chainPem: certs.chainPem, tags: {} }).catch((e) => e);
    expect(err).toBeInstanceOf(ImportFailedError);
    expect(err.message).toContain(`${gone} no longer exists`);
    expect(err.remediation).toMatch(/Clear acmArn/);
  });

  it('passes on ACM’s reason for a chain that does not fit, without any key material', async () => {
    const err = await store.import({ ...certs.ec1, chainPem: certs.otherChainPem, tags: {} }).catch((e) => e);
    expect(err).toBeInstanceOf(ImportFailedError);
    expect(err.message).toMatch(/chain does not start with the issuer/);
    expect(err.remediation).toMatch(/chain/);
    expect(`${err.message} ${err.remediation}`).not.toMatch(/BEGIN|PRIVATE KEY/);
    expect(`${err.message}`).not.toContain(keyBody(certs.ec1.privateKeyPem));
  });

  it('refuses a malformed ARN as a configuration error on acmArn', async () => {
    const err = await store.import({ arn: 'arn:aws:acm:us-east-1:123:cert/nope', ...certs.ec1, chainPem: certs.chainPem, tags: {} }).catch((e) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err.field).toBe('acmArn');
  });
});

/** A server that answers every ACM call with one error, to see how each is classified over the real wire. */
async function failingAcm(type: string, status: number): Promise<{ client: ACMClient; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'test' });
      res.end(JSON.stringify({ __type: type, message: `${type} for this test` }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const c = new ACMClient({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials, maxAttempts: 1 });
  return { client: c, close: () => new Promise<void>((r) => { c.destroy(); server.close(() => r()); }) };
}

describe('AcmCertificateStore error classes', () => {
  it.each([
    ['LimitExceededException', 400, ImportFailedError, /quota/i],
    ['AccessDeniedException', 400, ConfigurationError, /acm:ImportCertificate/],
    ['ThrottlingException', 400, TransientError, /retries/],
    ['InternalServerException', 500, ImportOutcomeUnknownError, /looks in ACM for a certificate with this certbeat:id/],
    ['TooManyTagsException', 400, ImportFailedError, /tag/],
  ] as const)('%s (HTTP %i) becomes %o', async (type, status, errorClass, remediation) => {
    const acmFailing = await failingAcm(type, status);
    try {
      // Tiny backoff: a throttled import is sent again (import-once.test.ts counts the sends).
      const quick = new AcmCertificateStore(acmFailing.client, { importBackoffBaseMs: 1, importBackoffCapMs: 1 });
      const err = await quick.import({ ...certs.ec1, chainPem: certs.chainPem, tags: {} }).catch((e) => e);
      expect(err).toBeInstanceOf(errorClass);
      expect(err.remediation).toMatch(remediation);
      expect(err.cause).toBeDefined();
      expect(err.message).not.toContain(keyBody(certs.ec1.privateKeyPem));
    } finally {
      await acmFailing.close();
    }
  });

  it('a describe that is refused is a configuration error, not "unknown"', async () => {
    const acmFailing = await failingAcm('AccessDeniedException', 400);
    try {
      await expect(new AcmCertificateStore(acmFailing.client).describe('arn:aws:acm:us-east-1:123456789012:certificate/x')).rejects.toBeInstanceOf(ConfigurationError);
    } finally {
      await acmFailing.close();
    }
  });

  it('an unreachable ACM is a transient error', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((r) => server.close(() => r()));
    const c = new ACMClient({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials, maxAttempts: 1 });
    const err = await new AcmCertificateStore(c).import({ ...certs.ec1, chainPem: certs.chainPem, tags: {} }).catch((e) => e);
    c.destroy();
    expect(err).toBeInstanceOf(TransientError);
    // The connection was never made, so nothing can have been imported: a definite failure.
    expect(err).not.toBeInstanceOf(ImportOutcomeUnknownError);
    expect(err.message).toMatch(/could not reach ACM/);
  });
});

describe('ACM tag values', () => {
  it('encode names within ACM’s character set and 256 characters', () => {
    expect(namesTagValue(['example.com', '*.example.com'])).toBe('example.com _.example.com');
    const many = Array.from({ length: 40 }, (_, i) => `host-${i}.example.com`);
    const value = namesTagValue(many);
    expect(value.length).toBeLessThanOrEqual(256);
    expect(value).toMatch(/^host-0\.example\.com .* \+\d+ more$/);
    const shown = value.split(' ').filter((v) => v.endsWith('.example.com')).length;
    expect(value.endsWith(`+${40 - shown} more`)).toBe(true);
    expect(value).toMatch(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u);
  });

  it('make arbitrary values and keys acceptable and skip reserved keys', () => {
    expect(tagValue('a,b;c*d<e>')).toBe('a_b_c_d_e_');
    expect(Array.from(tagValue('é'.repeat(300)))).toHaveLength(256);
    const tags = importTags({ 'aws:owner': 'x', 'team name!': 'ops', ['k'.repeat(200)]: 'v' }, ['example.com']);
    expect(tags.map((t) => t.Key)).toEqual(['team name_', 'k'.repeat(128), 'certbeat:names']);
  });
});
