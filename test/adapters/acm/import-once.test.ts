/**
 * Exactly one ACM certificate per certbeat id: an import whose answer is lost is never sent twice, is
 * reported as "outcome unknown", and `findByTag` then finds what ACM committed. ACM is the emulator; the
 * lost answer comes from a loopback proxy that forwards each request to it and can replace the answer to
 * ImportCertificate (after ACM committed it) with a 500 or a dropped connection. A throttled import, which
 * ACM never processed, is sent again: those tests use the testbed's fault proxy in front of the emulator.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { ACMClient, AddTagsToCertificateCommand, ImportCertificateCommand } from '@aws-sdk/client-acm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AcmCertificateStore } from '../../../lambda/adapters/acm/acm-certificate-store.js';
import { sendOnce } from '../../../lambda/adapters/acm/send-once.js';
import { ImportOutcomeUnknownError, TransientError } from '../../../lambda/domain/errors.js';
import { startAcmEmulator, type AcmEmulator } from '../../testbed/acm-emulator.js';
import { startTestbed, type Testbed, type TestbedFaults } from '../../testbed/testbed.js';
import { makeCertificates } from './test-certificates.js';

const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };
const keyBody = (pem: string) => pem.split('\n').find((l) => l.length > 40 && !l.startsWith('-----'))!;
/** Backoff small enough for tests; the sends are what is counted. */
const quick = { importBackoffBaseMs: 1, importBackoffCapMs: 5 };

type Mode = 'forward' | 'commit-then-500' | 'commit-then-drop' | 'throttle';

/** Forwards to ACM; counts ImportCertificate requests; for imports, answers as `mode` says. */
async function startProxy(target: string) {
  let mode: Mode = 'forward';
  let imports = 0;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const isImport = String(req.headers['x-amz-target']).endsWith('.ImportCertificate');
      if (isImport) imports++;
      if (isImport && mode === 'throttle') {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }));
        return;
      }
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k)) as Array<[string, string]>,
      );
      const answer = await fetch(target, { method: 'POST', headers, body: Buffer.concat(chunks) });
      const body = await answer.text();
      if (isImport && mode === 'commit-then-500') {
        res.writeHead(500, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ __type: 'InternalFailure', message: 'We encountered an internal error.' }));
        return;
      }
      if (isImport && mode === 'commit-then-drop') {
        res.socket?.destroy();
        return;
      }
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/x-amz-json-1.1' });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    set mode(m: Mode) {
      mode = m;
    },
    get imports() {
      return imports;
    },
    reset() {
      imports = 0;
      mode = 'forward';
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

let dir: string;
let certs: Awaited<ReturnType<typeof makeCertificates>>;
let acm: AcmEmulator;
let proxy: Awaited<ReturnType<typeof startProxy>>;
let client: ACMClient;
let store: AcmCertificateStore;

const withId = (id: string) => acm.certificates().filter((c) => c.tags.some((t) => t.Key === 'certbeat:id' && t.Value === id));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'certbeat-acm-once-'));
  [certs, acm] = await Promise.all([makeCertificates(dir), startAcmEmulator()]);
  proxy = await startProxy(acm.endpoint);
  // The SDK's default: 3 attempts. The adapter must not depend on the caller having lowered it.
  client = new ACMClient({ endpoint: proxy.endpoint, region: 'us-east-1', credentials, maxAttempts: 3 });
  store = new AcmCertificateStore(client, { listPageSize: 2 });
});
afterEach(() => proxy.reset());
afterAll(async () => {
  client?.destroy();
  await proxy?.close();
  await acm?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a first import whose answer is lost', () => {
  it('is sent once, reported as outcome unknown, and found by its tag', async () => {
    proxy.mode = 'commit-then-500';
    const err = await store.import({ ...certs.ec1, chainPem: certs.chainPem, tags: { 'certbeat:id': 'lost-500' } }).catch((e) => e);
    expect(err).toBeInstanceOf(ImportOutcomeUnknownError);
    expect(err).toBeInstanceOf(TransientError);
    expect(err.targetArn).toBeUndefined();
    expect(err.message).toMatch(/import of a new certificate may or may not have been committed by ACM \(InternalFailure, HTTP 500\)/);
    expect(proxy.imports).toBe(1);
    expect(withId('lost-500')).toHaveLength(1);

    proxy.mode = 'forward';
    const found = await store.findByTag('lost-500');
    const x509 = new X509Certificate(certs.ec1.certificatePem);
    expect(found).toEqual([
      {
        arn: withId('lost-500')[0].arn,
        keyAlgorithm: 'ec256',
        notBefore: new Date(x509.validFrom),
        notAfter: new Date(x509.validTo),
        serial: expect.any(String),
        issuer: expect.any(String),
        inUseBy: [],
        type: 'IMPORTED',
        names: (x509.subjectAltName ?? '').split(', ').map((s) => s.replace(/^DNS:/, '')),
      },
    ]);
    expect(found[0].serial!.replace(/:/g, '').toUpperCase()).toBe(x509.serialNumber.toUpperCase());
  });

  it('is sent once when the connection drops after ACM committed it', async () => {
    proxy.mode = 'commit-then-drop';
    const err = await store.import({ ...certs.ec1, chainPem: certs.chainPem, tags: { 'certbeat:id': 'lost-drop' } }).catch((e) => e);
    expect(err).toBeInstanceOf(ImportOutcomeUnknownError);
    expect(proxy.imports).toBe(1);
    proxy.mode = 'forward';
    expect((await store.findByTag('lost-drop')).map((c) => c.arn)).toEqual(withId('lost-drop').map((c) => c.arn));
  });

  it('a re-import whose answer is lost names its ARN (re-importing again is safe)', async () => {
    const arn = await store.import({ ...certs.ec1, chainPem: certs.chainPem, tags: { 'certbeat:id': 'again' } });
    proxy.reset();
    proxy.mode = 'commit-then-500';
    const err = await store.import({ arn, ...certs.ec2, chainPem: certs.chainPem, tags: {} }).catch((e) => e);
    expect(err).toBeInstanceOf(ImportOutcomeUnknownError);
    expect(err.targetArn).toBe(arn);
    expect(err.remediation).toBe(`Nothing to do: re-importing into ${arn} again is safe, and the next attempt does so.`);
    expect(proxy.imports).toBe(1);
    expect(acm.certificates().find((c) => c.arn === arn)?.importCount).toBe(2);
  });
});

describe('a definite refusal', () => {
  it('is not "outcome unknown", and each send is one request even when the SDK would retry it (throttling)', async () => {
    proxy.mode = 'throttle';
    const err = await new AcmCertificateStore(client, { ...quick, importMaxSends: 2 })
      .import({ ...certs.ec1, chainPem: certs.chainPem, tags: { 'certbeat:id': 'throttled' } })
      .catch((e) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect(err).not.toBeInstanceOf(ImportOutcomeUnknownError);
    // 2 sends of 1 request each; the client's own retries (maxAttempts 3) would have made 6.
    expect(proxy.imports).toBe(2);
    expect(withId('throttled')).toEqual([]);
  });
});

describe('a throttled import (testbed fault proxy in front of the ACM emulator)', () => {
  let tb: Testbed & { faults: TestbedFaults };
  let throttledStore: AcmCertificateStore;
  const tagged = (id: string) => tb.acm.certificates().filter((c) => c.tags.some((t) => t.Key === 'certbeat:id' && t.Value === id));
  const imports = () => tb.faults.acm.calls('ImportCertificate');

  beforeAll(async () => {
    tb = await startTestbed({ faults: true });
    // The testbed's client has maxAttempts 2: each send must still be one request.
    throttledStore = new AcmCertificateStore(tb.clients().acm, { ...quick, importMaxSends: 4 });
  });
  afterEach(() => {
    tb.faults.acm.clear();
    tb.faults.acm.resetCalls();
  });
  afterAll(async () => {
    await tb?.stop();
  });

  it('a first import throttled on its first 2 sends is sent a 3rd time: one certificate with its certbeat:id, its ARN returned', async () => {
    const throttle = tb.faults.acm.inject({ operation: 'ImportCertificate', fault: 'throttle', times: 2 });
    const arn = await throttledStore.import({ ...certs.ec1, chainPem: certs.chainPem, tags: { 'certbeat:id': 'throttled-new' } });
    expect(throttle.fired).toBe(2);
    expect(imports()).toBe(3);
    expect(tb.faults.acm.requests('ImportCertificate').map((c) => c.forwarded)).toEqual([false, false, true]);
    expect(tagged('throttled-new').map((c) => c.arn)).toEqual([arn]);
  });

  it('a throttled re-import is sent again and replaces the certificate under the same ARN', async () => {
    const arn = await throttledStore.import({ ...certs.ec1, chainPem: certs.chainPem, tags: { 'certbeat:id': 'throttled-again' } });
    const before = await throttledStore.describe(arn);
    tb.faults.acm.resetCalls();
    tb.faults.acm.inject({ operation: 'ImportCertificate', fault: 'throttle', times: 1 });
    expect(await throttledStore.import({ arn, ...certs.ec2, chainPem: certs.chainPem, tags: {} })).toBe(arn);
    expect(imports()).toBe(2);
    const after = await throttledStore.describe(arn);
    expect(after!.serial).not.toBe(before!.serial);
    expect(after!.serial!.replace(/:/g, '').toUpperCase()).toBe(new X509Certificate(certs.ec2.certificatePem).serialNumber.toUpperCase());
    expect(tagged('throttled-again').map((c) => [c.arn, c.importCount])).toEqual([[arn, 2]]);
  });

  it('throttled on every send: TransientError after exactly importMaxSends sends, no certificate, no key in the error', async () => {
    tb.faults.acm.inject({ operation: 'ImportCertificate', fault: 'throttle' });
    const err = await throttledStore.import({ ...certs.ec1, chainPem: certs.chainPem, tags: { 'certbeat:id': 'throttled-always' } }).catch((e) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect(err).not.toBeInstanceOf(ImportOutcomeUnknownError);
    expect(err.message).toMatch(/^ACM throttled the request to import a certificate: Rate exceeded/);
    expect(`${err.message} ${err.remediation} ${err.cause?.message}`).not.toContain(keyBody(certs.ec1.privateKeyPem));
    expect(imports()).toBe(4);
    expect(tb.faults.acm.requests('ImportCertificate').every((c) => !c.forwarded)).toBe(true);
    expect(tagged('throttled-always')).toEqual([]);
  });

  it('a 5xx after ACM committed is not sent again, also after a throttled send', async () => {
    tb.faults.acm.inject({ operation: 'ImportCertificate', fault: 'errorAfterCommit', times: 1 });
    const lost = await throttledStore.import({ ...certs.ec1, chainPem: certs.chainPem, tags: { 'certbeat:id': 'committed-500' } }).catch((e) => e);
    expect(lost).toBeInstanceOf(ImportOutcomeUnknownError);
    expect(imports()).toBe(1);
    expect(tagged('committed-500')).toHaveLength(1);

    tb.faults.acm.resetCalls();
    tb.faults.acm.inject({ operation: 'ImportCertificate', fault: 'throttle', times: 1 });
    tb.faults.acm.inject({ operation: 'ImportCertificate', fault: 'errorAfterCommit', times: 1 });
    const err = await throttledStore.import({ ...certs.ec1, chainPem: certs.chainPem, tags: { 'certbeat:id': 'throttled-then-500' } }).catch((e) => e);
    expect(err).toBeInstanceOf(ImportOutcomeUnknownError);
    expect(tb.faults.acm.requests('ImportCertificate').map((c) => c.fault)).toEqual(['throttle', 'errorAfterCommit']);
    expect(tagged('throttled-then-500')).toHaveLength(1);
  });
});

describe('sendOnce', () => {
  it('refuses a second attempt even when the client retries through a middleware of another name', async () => {
    const retrying = new ACMClient({ endpoint: proxy.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    // A retry loop the override cannot replace (another name), as a future SDK or a custom plugin might add.
    retrying.middlewareStack.add(
      (next) => async (args) => {
        let last: unknown;
        for (let i = 0; i < 3; i++) {
          try {
            return await next(args);
          } catch (e) {
            last = e;
          }
        }
        throw last;
      },
      { name: 'someOtherRetry', step: 'finalizeRequest', priority: 'high' },
    );
    proxy.mode = 'commit-then-500';
    const err = await new AcmCertificateStore(retrying)
      .import({ ...certs.ec1, chainPem: certs.chainPem, tags: { 'certbeat:id': 'guarded' } })
      .catch((e) => e);
    retrying.destroy();
    expect(proxy.imports).toBe(1);
    expect(withId('guarded')).toHaveLength(1);
    // The error reported is the first attempt's (the 500), not the guard's refusal.
    expect(err).toBeInstanceOf(ImportOutcomeUnknownError);
    expect(err.message).toMatch(/InternalFailure, HTTP 500/);
  });

  it('leaves other commands of the same client retrying as configured', async () => {
    proxy.mode = 'commit-then-500';
    const cmd = new ImportCertificateCommand({ Certificate: Buffer.from(certs.ec1.certificatePem), PrivateKey: Buffer.from(certs.ec1.privateKeyPem) });
    await expect(client.send(cmd)).rejects.toMatchObject({ $metadata: { attempts: 3 } });
    expect(proxy.imports).toBe(3);
    proxy.reset();
    proxy.mode = 'commit-then-500';
    await expect(client.send(sendOnce(new ImportCertificateCommand(cmd.input)))).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
    expect(proxy.imports).toBe(1);
  });
});

describe('findByTag', () => {
  it('finds every certificate with the id across pages and key types, and only those', async () => {
    const ids = ['twin', 'twin', 'single'];
    const arns: string[] = [];
    for (const [i, id] of ids.entries()) {
      const leaf = i === 1 ? certs.rsa : certs.ec1;
      arns.push(await store.import({ ...leaf, chainPem: certs.chainPem, tags: { 'certbeat:id': id } }));
    }
    // One imported without certbeat's tag, one with a look-alike tag key.
    const other = await store.import({ ...certs.ec1, chainPem: certs.chainPem, tags: { owner: 'twin' } });
    await client.send(new AddTagsToCertificateCommand({ CertificateArn: other, Tags: [{ Key: 'certbeat:idx', Value: 'twin' }] }));

    const twins = await store.findByTag('twin');
    expect(twins.map((c) => c.arn).sort()).toEqual([arns[0], arns[1]].sort());
    expect(twins.map((c) => c.keyAlgorithm).sort()).toEqual(['ec256', 'rsa2048']);
    expect((await store.findByTag('single')).map((c) => c.arn)).toEqual([arns[2]]);
    expect(await store.findByTag('nobody')).toEqual([]);
  });

  it('narrows by names: a certificate that lists all its SANs and shares none is not a candidate', async () => {
    const arn = await store.import({ ...certs.ec1, chainPem: certs.chainPem, tags: { 'certbeat:id': 'named' } });
    expect((await store.findByTag('named', ['example.test', 'www.example.test'])).map((c) => c.arn)).toEqual([arn]);
    expect((await store.findByTag('named', ['*.EXAMPLE.test'])).map((c) => c.arn)).toEqual([arn]);
    expect(await store.findByTag('named', ['elsewhere.test'])).toEqual([]);
  });
});

describe('certificateIdOf', () => {
  it("reads the certbeat:id tag, and is undefined for other certificates and ARNs ACM does not know", async () => {
    const mine = await store.import({ ...certs.ec1, chainPem: certs.chainPem, tags: { 'certbeat:id': 'shop' } });
    const theirs = await store.import({ ...certs.ec1, chainPem: certs.chainPem, tags: { team: 'web' } });
    expect(await store.certificateIdOf(mine)).toBe('shop');
    expect(await store.certificateIdOf(theirs)).toBeUndefined();
    expect(await store.certificateIdOf('arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-4000-8000-000000000000')).toBeUndefined();
    expect(await store.certificateIdOf('arn:aws:cloudfront::123456789012:distribution/E2ABC')).toBeUndefined();
  });
});
