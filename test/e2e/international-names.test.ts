/**
 * Issue 9 item 2, end to end on the testbed: a Unicode name is accepted by the CLI, stored as A-labels,
 * ordered from pebble as A-labels (pebble's DNS lookups go to `_acme-challenge.xn--…`), imported into
 * the ACM emulator, and shown in Unicode beside the A-label by `list`, `show` and the mail.
 */
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { runOptions, startPipeline, type Pipeline } from '../support/pipeline.js';

let p: Pipeline;
let zone: string;

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: p.tb.env,
  });
  return { code, stdout, stderr };
}

/** The DNS questions challtestsrv (the authoritative DNS pebble validates against) received for `host`. */
async function dnsQuestions(host: string): Promise<Array<{ Question: { Name: string; Qtype: number } }>> {
  const res = await fetch(`${p.tb.challtestsrv.managementUrl}/dns-request-history`, { method: 'POST', body: JSON.stringify({ host }) });
  expect(res.ok).toBe(true);
  return ((await res.json()) as Array<{ Question: { Name: string; Qtype: number } }> | null) ?? [];
}

beforeAll(async () => {
  p = await startPipeline({ insyncAfterMs: 50 });
  zone = await p.tb.route53.createZone('idn.test');
});
afterAll(async () => {
  await p?.stop();
});

describe('international names', () => {
  it('CLI add accepts Unicode, collapses spelling variants with a note, stores A-labels', async () => {
    const r = await cli([
      'add', 'books',
      '--name', 'bücher.idn.test',
      '--name', '*.BÜCHER.idn.test.',
      '--name', 'xn--bcher-kva.idn.test',
      '--ca', p.tb.directoryUrl,
      '--owner', 'books@example.test',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'note: --name #3 (names[2]): "xn--bcher-kva.idn.test" is bücher.idn.test (xn--bcher-kva.idn.test) again, as names[0] "bücher.idn.test"; kept once',
    );
    expect(r.stdout).toContain('added books: bücher.idn.test (xn--bcher-kva.idn.test), *.bücher.idn.test (*.xn--bcher-kva.idn.test)');
    const stored = await p.inventory.get('books');
    expect(stored?.names).toEqual(['xn--bcher-kva.idn.test', '*.xn--bcher-kva.idn.test']);
  });

  it('pebble issues it: challenge at _acme-challenge.xn--…, SANs in A-labels, imported into ACM', async () => {
    const summary = await p.service().run(runOptions());
    expect(summary.failed).toEqual([]);
    expect(summary.renewed.map((x) => x.id)).toEqual(['books']);

    // pebble's validation lookups reached the A-label record (the only form DNS knows).
    const txt = (await dnsQuestions('_acme-challenge.xn--bcher-kva.idn.test')).map((q) => q.Question).filter((q) => q.Qtype === 16);
    expect(txt.length).toBeGreaterThan(0);
    expect(txt.every((q) => q.Name === '_acme-challenge.xn--bcher-kva.idn.test.')).toBe(true);
    // Cleaned up afterwards.
    expect(p.tb.route53.records(zone).filter((rs) => rs.type === 'TXT')).toEqual([]);

    const record = (await p.inventory.get('books'))!;
    const inAcm = p.tb.acm.certificates().find((c) => c.arn === record.acmArn)!;
    const sans = new X509Certificate(inAcm.certificatePem).subjectAltName ?? '';
    expect(sans.split(', ').sort()).toEqual(['DNS:*.xn--bcher-kva.idn.test', 'DNS:xn--bcher-kva.idn.test']);
    expect(record.issuedNames?.sort()).toEqual(['*.xn--bcher-kva.idn.test', 'xn--bcher-kva.idn.test']);
  });

  it('list, show and the mail show the Unicode name beside its A-label', async () => {
    const list = await cli(['list']);
    expect(list.code).toBe(0);
    // The 80-column table shortens the names cell; it starts with the Unicode form, `show` has both in full.
    expect(list.stdout).toMatch(/^books +bücher\.idn\.\S* \+1 +active/m);
    const show = await cli(['show', 'books']);
    expect(show.stdout).toMatch(/names +bücher\.idn\.test \(xn--bcher-kva\.idn\.test\), \*\.bücher\.idn\.test \(\*\.xn--bcher-kva\.idn\.test\)/);

    const mails = (await p.tb.ses.mails()).filter((m) => m.to.includes('books@example.test'));
    expect(mails).toHaveLength(1);
    expect(mails[0].subject).toMatch(/^Issued: bücher\.idn\.test \(xn--bcher-kva\.idn\.test\) \(\+1 name\)/);
    expect(mails[0].text).toContain('*.bücher.idn.test (*.xn--bcher-kva.idn.test)');
    expect(mails[0].html).toContain('bücher.idn.test (xn--bcher-kva.idn.test)');
  });

  it('refuses a Unicode name UTS #46 refuses, naming the option and the fix; nothing is written', async () => {
    const r = await cli(['add', 'bad', '--name', 'a\u200cb.idn.test', '--ca', p.tb.directoryUrl]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--name #1 \(names\[0\]\): "a\u200cb\.idn\.test" is not a valid international domain name .*give its xn-- form/);
    expect(await p.inventory.get('bad')).toBeUndefined();
  });
});
