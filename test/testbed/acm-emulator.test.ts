import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACMClient,
  AddTagsToCertificateCommand,
  DeleteCertificateCommand,
  DescribeCertificateCommand,
  GetCertificateCommand,
  ImportCertificateCommand,
  ListCertificatesCommand,
  ListTagsForCertificateCommand,
  type ImportCertificateCommandInput,
} from '@aws-sdk/client-acm';
import { startAcmEmulator, type AcmEmulator } from './acm-emulator.js';

const run = promisify(execFile);
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

type KeySpec = 'ec256' | 'ec384' | 'rsa2048';
interface Issued {
  certPem: string;
  keyPem: string;
  chainPem: string;
}

/** A throwaway CA made with openssl; `issue` signs a leaf for the names with a fresh key of the given type. */
async function makeCa(dir: string, label: string) {
  const p = (n: string) => join(dir, `${label}-${n}`);
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', p('ca.key'), '-out', p('ca.pem'),
    '-days', '2', '-subj', `/O=certbeat test/CN=${label} Test CA`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const caPem = await readFile(p('ca.pem'), 'utf8');
  let n = 0;
  return {
    caPem,
    async issue(key: KeySpec, names: string[]): Promise<Issued> {
      const id = `${label}-leaf${++n}`;
      const f = (x: string) => join(dir, `${id}.${x}`);
      const keyArgs = key === 'rsa2048' ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', `ec_paramgen_curve:${key === 'ec256' ? 'P-256' : 'P-384'}`];
      await run('openssl', ['req', '-new', ...keyArgs, '-nodes', '-keyout', f('key'), '-out', f('csr'), '-subj', `/CN=${names[0]}`]);
      await writeFile(f('ext'), `subjectAltName=${names.map((d) => `DNS:${d}`).join(',')}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n`);
      await run('openssl', [
        'x509', '-req', '-in', f('csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', f('ext'), '-out', f('pem'),
      ]);
      return { certPem: await readFile(f('pem'), 'utf8'), keyPem: await readFile(f('key'), 'utf8'), chainPem: caPem };
    },
  };
}

function importInput(c: Issued, extra: Partial<ImportCertificateCommandInput> = {}): ImportCertificateCommandInput {
  return {
    Certificate: Buffer.from(c.certPem),
    PrivateKey: Buffer.from(c.keyPem),
    CertificateChain: Buffer.from(c.chainPem),
    ...extra,
  };
}

async function failure(p: Promise<unknown>): Promise<Error & { name: string; $metadata: { httpStatusCode?: number } }> {
  try {
    await p;
  } catch (e) {
    return e as never;
  }
  throw new Error('expected the call to fail');
}

describe('ACM emulator through @aws-sdk/client-acm', () => {
  let dir: string;
  let emu: AcmEmulator;
  let acm: ACMClient;
  let ca: Awaited<ReturnType<typeof makeCa>>;
  let otherCa: Awaited<ReturnType<typeof makeCa>>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'certbeat-acm-emu-'));
    [ca, otherCa, emu] = await Promise.all([makeCa(dir, 'main'), makeCa(dir, 'other'), startAcmEmulator()]);
    acm = new ACMClient({ endpoint: emu.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  });
  afterAll(async () => {
    acm?.destroy();
    await emu?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('imports a certificate and describes it as ACM does', async () => {
    const leaf = await ca.issue('ec256', ['www.example.test', 'example.test']);
    const { CertificateArn } = await acm.send(new ImportCertificateCommand(importInput(leaf, { Tags: [{ Key: 'certbeat:id', Value: 'c1' }] })));
    expect(CertificateArn).toMatch(/^arn:aws:acm:us-east-1:123456789012:certificate\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

    const { Certificate: d } = await acm.send(new DescribeCertificateCommand({ CertificateArn }));
    const x509 = new X509Certificate(leaf.certPem);
    const hex = x509.serialNumber.toLowerCase().padStart(Math.ceil(x509.serialNumber.length / 2) * 2, '0');
    expect(d).toMatchObject({
      CertificateArn,
      DomainName: 'www.example.test',
      SubjectAlternativeNames: ['www.example.test', 'example.test'],
      Serial: hex.match(/../g)!.join(':'),
      KeyAlgorithm: 'EC_prime256v1',
      SignatureAlgorithm: 'SHA256WITHECDSA',
      Type: 'IMPORTED',
      Status: 'ISSUED',
      InUseBy: [],
      Issuer: 'certbeat test',
      ExtendedKeyUsages: [{ Name: 'TLS_WEB_SERVER_AUTHENTICATION', OID: '1.3.6.1.5.5.7.3.1' }],
    });
    expect(d?.NotAfter?.getTime()).toBe(new Date(x509.validTo).getTime());
    expect(d?.NotBefore?.getTime()).toBe(new Date(x509.validFrom).getTime());
    expect(d?.ImportedAt).toBeInstanceOf(Date);

    const got = await acm.send(new GetCertificateCommand({ CertificateArn }));
    expect(new X509Certificate(got.Certificate!).fingerprint256).toBe(x509.fingerprint256);
    expect(new X509Certificate(got.CertificateChain!).subject).toBe(new X509Certificate(ca.caPem).subject);
    expect((await acm.send(new ListTagsForCertificateCommand({ CertificateArn }))).Tags).toEqual([{ Key: 'certbeat:id', Value: 'c1' }]);
    // The emulator keeps no private key.
    expect(JSON.stringify(emu.certificates())).not.toMatch(/PRIVATE KEY/);
  });

  it('re-imports into the same ARN, keeping tags; refuses tags and a key algorithm change on re-import', async () => {
    const first = await ca.issue('ec384', ['api.example.test']);
    const { CertificateArn } = await acm.send(new ImportCertificateCommand(importInput(first, { Tags: [{ Key: 'team', Value: 'web' }] })));
    expect((await acm.send(new DescribeCertificateCommand({ CertificateArn }))).Certificate?.KeyAlgorithm).toBe('EC_secp384r1');

    const second = await ca.issue('ec384', ['api.example.test', 'api2.example.test']);
    const again = await acm.send(new ImportCertificateCommand(importInput(second, { CertificateArn })));
    expect(again.CertificateArn).toBe(CertificateArn);
    const d = (await acm.send(new DescribeCertificateCommand({ CertificateArn }))).Certificate!;
    expect(d.SubjectAlternativeNames).toEqual(['api.example.test', 'api2.example.test']);
    expect(emu.certificates().find((c) => c.arn === CertificateArn)).toMatchObject({
      importCount: 2,
      certificatePem: second.certPem,
      tags: [{ Key: 'team', Value: 'web' }],
    });

    const tagged = await failure(acm.send(new ImportCertificateCommand(importInput(second, { CertificateArn, Tags: [{ Key: 'x', Value: 'y' }] }))));
    expect(tagged.name).toBe('ValidationException');
    expect(tagged.message).toBe('Tagging is not permitted on re-import.');

    const rsa = await ca.issue('rsa2048', ['api.example.test']);
    const changed = await failure(acm.send(new ImportCertificateCommand(importInput(rsa, { CertificateArn }))));
    expect(changed.name).toBe('ValidationException');
    expect(changed.message).toMatch(/key algorithm .*does not match/);
    expect(emu.certificates().find((c) => c.arn === CertificateArn)?.importCount).toBe(2);

    const unknown = await failure(
      acm.send(new ImportCertificateCommand(importInput(second, { CertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000' }))),
    );
    expect(unknown.name).toBe('ResourceNotFoundException');
  });

  it('refuses a key that does not match, a chain from another issuer, and several certificates in one field', async () => {
    const a = await ca.issue('ec256', ['a.example.test']);
    const b = await ca.issue('ec256', ['b.example.test']);
    const mismatch = await failure(acm.send(new ImportCertificateCommand(importInput({ ...a, keyPem: b.keyPem }))));
    expect(mismatch.name).toBe('ValidationException');
    expect(mismatch.message).toMatch(/private key does not match/);

    const wrongChain = await failure(acm.send(new ImportCertificateCommand(importInput({ ...a, chainPem: otherCa.caPem }))));
    expect(wrongChain.name).toBe('ValidationException');
    expect(wrongChain.message).toMatch(/issuer/);

    const fullChain = await failure(acm.send(new ImportCertificateCommand(importInput({ ...a, certPem: a.certPem + ca.caPem }))));
    expect(fullChain.message).toBe(
      'The certificate field contains more than one certificate. You can specify only one certificate in this field.',
    );
    const garbage = await failure(acm.send(new ImportCertificateCommand(importInput({ ...a, keyPem: 'not a key' }))));
    expect(garbage.name).toBe('ValidationException');
  });

  it('lists only RSA_1024/RSA_2048 by default, others through Includes.keyTypes, page by page', async () => {
    const rsa = await ca.issue('rsa2048', ['rsa.example.test']);
    const { CertificateArn: rsaArn } = await acm.send(new ImportCertificateCommand(importInput(rsa)));
    expect((await acm.send(new DescribeCertificateCommand({ CertificateArn: rsaArn }))).Certificate?.KeyAlgorithm).toBe('RSA_2048');

    const byDefault = await acm.send(new ListCertificatesCommand({}));
    expect(byDefault.CertificateSummaryList!.map((c) => c.CertificateArn)).toEqual([rsaArn]);

    const keyTypes = ['RSA_2048', 'EC_prime256v1', 'EC_secp384r1'] as const;
    const seen: string[] = [];
    let NextToken: string | undefined;
    do {
      const page = await acm.send(new ListCertificatesCommand({ Includes: { keyTypes: [...keyTypes] }, MaxItems: 1, NextToken }));
      expect(page.CertificateSummaryList!.length).toBe(1);
      seen.push(page.CertificateSummaryList![0].CertificateArn!);
      NextToken = page.NextToken;
    } while (NextToken);
    expect(seen.sort()).toEqual(emu.certificates().map((c) => c.arn).sort());
  });

  it('lists at most 100 SANs per certificate and flags the rest, as ACM does; DescribeCertificate has them all', async () => {
    const names = Array.from({ length: 101 }, (_, i) => `n${i}.many.example.test`);
    const leaf = await ca.issue('ec256', names);
    const { CertificateArn } = await acm.send(new ImportCertificateCommand(importInput(leaf)));
    const list = await acm.send(new ListCertificatesCommand({ Includes: { keyTypes: ['EC_prime256v1'] } }));
    const summary = list.CertificateSummaryList!.find((c) => c.CertificateArn === CertificateArn)!;
    expect(summary.SubjectAlternativeNameSummaries).toEqual(names.slice(0, 100));
    expect(summary.HasAdditionalSubjectAlternativeNames).toBe(true);
    expect(summary.Type).toBe('IMPORTED');
    const described = await acm.send(new DescribeCertificateCommand({ CertificateArn }));
    expect(described.Certificate?.SubjectAlternativeNames).toHaveLength(101);
    await acm.send(new DeleteCertificateCommand({ CertificateArn }));
  });

  it('answers ListTagsForCertificate for an unknown ARN with ResourceNotFoundException', async () => {
    const err = await failure(
      acm.send(new ListTagsForCertificateCommand({ CertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-4000-8000-000000000000' })),
    );
    expect(err.name).toBe('ResourceNotFoundException');
    expect(err.$metadata.httpStatusCode).toBe(400);
  });

  it('tags, reports InUseBy, and refuses to delete a certificate in use', async () => {
    const leaf = await ca.issue('ec256', ['used.example.test']);
    const { CertificateArn } = await acm.send(new ImportCertificateCommand(importInput(leaf)));
    await acm.send(new AddTagsToCertificateCommand({ CertificateArn, Tags: [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }] }));
    await acm.send(new AddTagsToCertificateCommand({ CertificateArn, Tags: [{ Key: 'a', Value: '3' }] }));
    expect((await acm.send(new ListTagsForCertificateCommand({ CertificateArn }))).Tags).toEqual([
      { Key: 'a', Value: '3' },
      { Key: 'b', Value: '2' },
    ]);

    const distribution = 'arn:aws:cloudfront::123456789012:distribution/E2EXAMPLE';
    emu.setInUseBy(CertificateArn!, [distribution]);
    expect((await acm.send(new DescribeCertificateCommand({ CertificateArn }))).Certificate?.InUseBy).toEqual([distribution]);
    const inUse = await failure(acm.send(new DeleteCertificateCommand({ CertificateArn })));
    expect(inUse.name).toBe('ResourceInUseException');

    emu.setInUseBy(CertificateArn!, []);
    await acm.send(new DeleteCertificateCommand({ CertificateArn }));
    const gone = await failure(acm.send(new DescribeCertificateCommand({ CertificateArn })));
    expect(gone.name).toBe('ResourceNotFoundException');
    expect(gone.$metadata.httpStatusCode).toBe(400);
  });

  it('requires an Authorization header like the real endpoint', async () => {
    const res = await fetch(emu.endpoint, {
      method: 'POST',
      headers: { 'x-amz-target': 'CertificateManager.ListCertificates', 'content-type': 'application/x-amz-json-1.1' },
      body: '{}',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { __type: string }).__type).toBe('MissingAuthenticationTokenException');
  });
});
