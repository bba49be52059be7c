/**
 * `npm run demo` as CI runs it: the exported `runDemo` on a fresh testbed into a temporary folder.
 * Two certificates are issued and then renewed under the same ARN, one fails for its visible reason,
 * and every mail lands as .html and as an .eml that an independent MIME parser reads back.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo, type DemoResult } from '../../scripts/demo.js';

let dir: string;
let result: DemoResult;
let output = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'certbeat-demo-'));
  const capture = { write: (s: string) => (output += s) };
  result = await runDemo({ outDir: join(dir, 'mails'), io: { stdout: capture, stderr: capture } });
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('npm run demo', () => {
  it('issues two certificates, then renews them under the same ARN with new serials', () => {
    const [first, second] = result.runs;
    expect(first.renewed.map((r) => [r.id, r.firstIssuance]).sort()).toEqual([['shop', true], ['web', true]]);
    expect(second.renewed.map((r) => [r.id, r.firstIssuance]).sort()).toEqual([['shop', false], ['web', false]]);
    for (const renewed of second.renewed) {
      const issued = first.renewed.find((r) => r.id === renewed.id)!;
      expect(renewed.arn).toBe(issued.arn);
      expect(renewed.serial).not.toBe(issued.serial);
    }
  });

  it('fails the third certificate in both runs, naming the wrong delegation', () => {
    for (const run of result.runs) {
      expect(run.failed).toHaveLength(1);
      expect(run.failed[0]).toMatchObject({ id: 'legacy', errorClass: 'ConfigurationError' });
      expect(run.failed[0].message).toMatch(/registrar points another\.test at ns1\.old-dns-host\.example/);
    }
  });

  it('prints the outcome table and the wall time', () => {
    expect(output).toMatch(/^RUN +ID +OUTCOME +SERIAL +EXPIRY +NEXT \(UTC\) +ARN \/ CAUSE$/m);
    // The table fits 80 columns: ARNs shortened to the start of the certificate id, causes cut with …
    const table = output.slice(output.indexOf('RUN '), output.indexOf('\n\n', output.indexOf('RUN ')));
    for (const line of table.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    for (const r of result.runs[1].renewed) expect(output).toMatch(new RegExp(`^2 +${r.id} +renewed .*…/${r.arn.slice(r.arn.lastIndexOf('/') + 1, r.arn.lastIndexOf('/') + 9)}…$`, 'm'));
    expect(output).toMatch(/^1 +legacy +failed .*pre-flight checks/m);
    expect(output).toMatch(/demo finished in \d+\.\d s/);
    expect(result.wallMs).toBeLessThan(60_000);
  });

  it('writes every mail as .html and as a multipart/alternative .eml carrying the ARN', async () => {
    const files = await readdir(result.outDir);
    // Four success mails (issued and renewed, twice two) and the first failure's mail.
    expect(result.mails).toHaveLength(5);
    expect(files.filter((f) => f.endsWith('.html') && f !== 'index.html')).toHaveLength(5);
    expect(files.filter((f) => f.endsWith('.eml'))).toHaveLength(5);
    expect(files).toContain('index.html');

    for (const r of result.runs[1].renewed) {
      const mails = result.mails.filter((m) => m.subject.startsWith('Renewed:') && m.to.includes(`${r.id}-team@example.test`));
      expect(mails).toHaveLength(1);
      const html = await readFile(mails[0].htmlFile, 'utf8');
      expect(html).toContain(r.arn);
      const eml = await readFile(mails[0].emlFile);
      expect(eml.toString('latin1')).toMatch(/^Content-Type: multipart\/alternative; boundary=/m);
      const parsed = await simpleParser(eml);
      expect(parsed.subject).toBe(mails[0].subject);
      expect(parsed.html).toBe(html);
      expect(parsed.text).toContain(r.arn);
    }

    const failure = result.mails.find((m) => m.to.includes('ops@another.test'))!;
    const parsed = await simpleParser(await readFile(failure.emlFile));
    expect(parsed.text).toMatch(/Update the name servers of another\.test at the registrar/);
  });
});
