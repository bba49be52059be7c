/**
 * Issue 9 item 1, end to end on the testbed: a certificate someone imported into ACM before certbeat is
 * adopted by ARN (`certbeat add --arn`), checked, tagged, and renewed by pebble under the same ARN; an
 * Amazon-issued certificate and one with other names are refused with the field and the fix; `remove`
 * confirms and prints how to adopt again, which works.
 */
import { X509Certificate } from 'node:crypto';
import { ImportCertificateCommand } from '@aws-sdk/client-acm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { runOptions, startPipeline, type Pipeline } from '../support/pipeline.js';
import { makeTestCa, type TestCa, type TestCertificate } from '../support/test-certificates.js';

let p: Pipeline;
let legacyCa: TestCa;

async function cli(args: string[], io: { tty?: boolean; answer?: string } = {}) {
  let stdout = '';
  let stderr = '';
  const asked: string[] = [];
  const code = await main(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: p.tb.env,
    stdin: { isTTY: io.tty },
    prompt: async (q) => {
      asked.push(q);
      return io.answer ?? '';
    },
  });
  return { code, stdout, stderr, asked };
}

/** Imports a certificate into the ACM emulator the way a person did before certbeat: no certbeat tags. */
async function importByHand(c: TestCertificate): Promise<string> {
  const out = await p.tb.clients().acm.send(
    new ImportCertificateCommand({
      Certificate: Buffer.from(c.certificatePem),
      PrivateKey: Buffer.from(c.privateKeyPem),
      CertificateChain: Buffer.from(c.chainPem),
    }),
  );
  return out.CertificateArn!;
}

const inAcm = (arn: string) => p.tb.acm.certificates().find((c) => c.arn === arn)!;
const serialOf = (pem: string) => new X509Certificate(pem).serialNumber;

beforeAll(async () => {
  p = await startPipeline({ insyncAfterMs: 50 });
  await p.tb.route53.createZone('adopt.test');
  legacyCa = await makeTestCa('legacy');
});
afterAll(async () => {
  await p?.stop();
  await legacyCa?.dispose();
});

describe('adopting an imported certificate by ARN', () => {
  let arn: string;
  let legacySerial: string;

  it('add --arn checks the certificate, takes its key type, tags it certbeat:id and records the ARN', async () => {
    const legacy = await legacyCa.issue(['shop.adopt.test', 'www.shop.adopt.test'], 'ec384');
    legacySerial = serialOf(legacy.certificatePem);
    arn = await importByHand(legacy);

    const r = await cli(['add', 'shop', '--arn', arn, '--name', 'shop.adopt.test', '--name', 'WWW.shop.adopt.test', '--ca', p.tb.directoryUrl, '--owner', 'shop@example.test']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`adopted ${arn} (tagged certbeat:id=shop): renewals re-import under this ARN`);
    const record = (await p.inventory.get('shop'))!;
    expect(record).toMatchObject({ acmArn: arn, keyType: 'ec384', names: ['shop.adopt.test', 'www.shop.adopt.test'] });
    expect(record.serial).toBeUndefined();
    expect(inAcm(arn).tags).toContainEqual({ Key: 'certbeat:id', Value: 'shop' });
    expect(inAcm(arn).importCount).toBe(1);

    const doctor = await cli(['doctor', 'shop']);
    expect(doctor.code, doctor.stdout).toBe(0);
    expect(doctor.stdout).toContain(`✓ ${arn} is an imported certificate: certbeat re-imports the renewal under this ARN`);
    expect(doctor.stdout).toContain(`✓ ${arn} carries exactly the configured names`);
  });

  it('the first run renews it from pebble and re-imports under the same ARN', async () => {
    const summary = await p.service().run(runOptions());
    expect(summary.failed).toEqual([]);
    expect(summary.renewed).toMatchObject([{ id: 'shop', firstIssuance: false, arn }]);

    const cert = inAcm(arn);
    expect(cert.importCount).toBe(2);
    expect(p.tb.acm.certificates()).toHaveLength(1);
    const x509 = new X509Certificate(cert.certificatePem);
    expect(x509.serialNumber).not.toBe(legacySerial);
    expect(x509.issuer).not.toContain('legacy Test CA');
    expect(x509.publicKey.asymmetricKeyDetails?.namedCurve).toBe('secp384r1');

    const record = (await p.inventory.get('shop'))!;
    expect(record.acmArn).toBe(arn);
    expect(record.serial?.toLowerCase().replace(/:/g, '')).toBe(x509.serialNumber.toLowerCase());
    expect(record.lastOutcome?.result).toBe('renewed');
    const mails = (await p.tb.ses.mails()).filter((m) => m.to.includes('shop@example.test'));
    expect(mails).toHaveLength(1);
    expect(mails[0].subject).toMatch(/^Renewed: shop\.adopt\.test/);
    expect(mails[0].text).toContain(arn);
  });

  it('refuses an Amazon-issued certificate, naming acmArn and the fix; nothing is written or tagged', async () => {
    const amazonArn = p.tb.acm.addAmazonIssued(await legacyCa.issue(['amazon.adopt.test']));
    const r = await cli(['add', 'amz', '--arn', amazonArn, '--name', 'amazon.adopt.test', '--ca', p.tb.directoryUrl]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`acmArn: ${amazonArn} is not an imported certificate (ACM reports Type AMAZON_ISSUED)`);
    expect(r.stderr).toContain(`fix: Leave ${amazonArn} to ACM's managed renewal and remove acmArn from 'amz'`);
    expect(await p.inventory.get('amz')).toBeUndefined();
    expect(inAcm(amazonArn).tags).toEqual([]);
  });

  it('refuses a certificate whose names differ, naming names and the fix', async () => {
    const otherArn = await importByHand(await legacyCa.issue(['a.adopt.test', 'b.adopt.test']));
    const r = await cli(['add', 'diff', '--arn', otherArn, '--name', 'a.adopt.test', '--name', 'c.adopt.test', '--ca', p.tb.directoryUrl]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`names: the configured names (a.adopt.test, c.adopt.test) differ from the names of ${otherArn} (a.adopt.test, b.adopt.test)`);
    expect(r.stderr).toContain("fix: Set names of 'diff' to the certificate's names (--name a.adopt.test --name b.adopt.test)");
    expect(await p.inventory.get('diff')).toBeUndefined();
  });

  it('refuses an explicit --key-type other than the certificate\'s', async () => {
    const rsaArn = await importByHand(await legacyCa.issue(['rsa.adopt.test'], 'rsa2048'));
    const r = await cli(['add', 'rsa', '--arn', rsaArn, '--name', 'rsa.adopt.test', '--key-type', 'ec256', '--ca', p.tb.directoryUrl]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`keyType: ${rsaArn} has key type rsa2048, not ec256; ACM refuses a different key algorithm on re-import`);
    expect(r.stderr).toContain('fix: Give --key-type rsa2048');
    expect(await p.inventory.get('rsa')).toBeUndefined();
  });

  it('pre-flight in every run blocks an adopted ARN that is Amazon-issued (config path): no order, no import', async () => {
    const amazonArn = p.tb.acm.addAmazonIssued(await legacyCa.issue(['cfg.adopt.test']));
    // What the deploy-time seed writes for `"acmArn"` in certbeat.config.json.
    await p.add({ id: 'cfg', names: ['cfg.adopt.test'] });
    await p.inventory.adopt('cfg', amazonArn);
    const summary = await p.service().run({ ...runOptions(), ids: ['cfg'] });
    expect(summary.renewed).toEqual([]);
    expect(summary.failed).toMatchObject([{ id: 'cfg', errorClass: 'ConfigurationError' }]);
    expect(summary.failed[0].message).toContain(`acmArn: ${amazonArn} is not an imported certificate (ACM reports Type AMAZON_ISSUED)`);
    expect(inAcm(amazonArn).importCount).toBe(0);
    expect(inAcm(amazonArn).tags).toEqual([]);
    // As ACM does, the emulator refuses a re-import into an Amazon-issued certificate.
    const again = await legacyCa.issue(['cfg.adopt.test']);
    const refused = await p.tb.clients().acm
      .send(new ImportCertificateCommand({ CertificateArn: amazonArn, Certificate: Buffer.from(again.certificatePem), PrivateKey: Buffer.from(again.privateKeyPem), CertificateChain: Buffer.from(again.chainPem) }))
      .catch((e: Error) => e);
    expect(refused).toMatchObject({ name: 'ValidationException', message: expect.stringContaining('was issued by ACM and cannot be re-imported') });
  });
});

describe('remove confirms and says how to adopt again', () => {
  it('refuses without a terminal and without --yes; nothing is removed', async () => {
    const r = await cli(['remove', 'shop']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("remove asks for confirmation, and there is no terminal to ask on; 'shop' was not removed");
    expect(r.stderr).toContain('certbeat remove shop --yes');
    expect(await p.inventory.get('shop')).toBeDefined();
  });

  it('asks on a terminal; "n" keeps it', async () => {
    const r = await cli(['remove', 'shop'], { tty: true, answer: 'n' });
    expect(r.code).toBe(0);
    expect(r.asked).toEqual([expect.stringMatching(/^remove shop \(shop\.adopt\.test, www\.shop\.adopt\.test\) from the inventory; arn:aws:acm:\S+ stays in ACM but is no longer renewed\? \[y\/N\] $/)]);
    expect(r.stdout).toContain('not removed: shop stays in the inventory');
    expect(await p.inventory.get('shop')).toBeDefined();
  });

  it('"y" removes it and prints the command that adopts the same ARN again, which works', async () => {
    const arn = (await p.inventory.get('shop'))!.acmArn!;
    const r = await cli(['remove', 'shop'], { tty: true, answer: 'y' });
    expect(r.code).toBe(0);
    expect(await p.inventory.get('shop')).toBeUndefined();
    const again = r.stdout.split('\n').map((l) => l.trim()).find((l) => l.startsWith('certbeat add '));
    expect(again).toBe(
      `certbeat add shop --arn ${arn} --name shop.adopt.test --name www.shop.adopt.test --key-type ec384 --ca ${p.tb.directoryUrl} --owner shop@example.test`,
    );
    const readd = await cli(again!.split(' ').slice(1));
    expect(readd.code, readd.stderr).toBe(0);
    expect((await p.inventory.get('shop'))?.acmArn).toBe(arn);
    expect(p.tb.acm.certificates().filter((c) => c.tags.some((t) => t.Key === 'certbeat:id' && t.Value === 'shop'))).toHaveLength(1);
  });

  it('--yes removes without asking', async () => {
    const r = await cli(['remove', 'shop', '--yes'], { tty: true, answer: 'n' });
    expect(r.code).toBe(0);
    expect(r.asked).toEqual([]);
    expect(await p.inventory.get('shop')).toBeUndefined();
  });
});
