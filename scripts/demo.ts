/**
 * `npm run demo`: certbeat end to end on this machine, no AWS account, no internet.
 *
 * Starts the testbed (pebble, DNS, DynamoDB, Route 53 / ACM / SES emulators), creates three hosted
 * zones, registers three certificates with `certbeat add`, runs twice (first issuance, then a forced
 * renewal of all), prints what happened, and writes every mail sent as .html and .eml into a folder.
 *
 *   npm run demo -- [--out DIR]      (default ./demo-out)
 *
 * The third certificate fails on purpose: the registrar of another.test still points at the old DNS
 * host, so the CA could never see the challenge records. certbeat finds that before ordering and the
 * failure mail says what to change.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { main } from '../cli/main.js';
import { CliContext } from '../cli/context.js';
import { SUMMARY_HEADERS, SUMMARY_SHRINKABLE, summaryRows } from '../cli/format.js';
import { colorEnabled, painter, renderTable, type CliIo, type Cell } from '../cli/output.js';
import { progressLog } from '../cli/progress.js';
import type { RunSummary } from '../lambda/domain/run-summary.js';
import { Route53DnsSolver } from '../lambda/adapters/route53/route53-dns-solver.js';
import { startTestbed, type Testbed } from '../test/testbed/testbed.js';
import { escapeHtml } from '../lambda/domain/mail/render.js';
import { buildEml } from './demo/eml.js';

export interface DemoOptions {
  /** Where the mails go; created if missing. Default `./demo-out`. */
  outDir?: string;
  /** Where the narration goes (default: this process's stdout and stderr). */
  io?: Pick<CliIo, 'stdout' | 'stderr'>;
}

export interface DemoMail {
  subject: string;
  to: string[];
  htmlFile: string;
  emlFile: string;
}

export interface DemoResult {
  outDir: string;
  /** The two runs: first issuance, then the forced renewal of all. */
  runs: [RunSummary, RunSummary];
  mails: DemoMail[];
  wallMs: number;
}

/** The certificates the demo registers, as `certbeat add` arguments (the CA is the testbed's pebble). */
export const DEMO_CERTIFICATES = [
  { id: 'web', args: ['--name', 'example.test', '--name', '*.example.test', '--owner', 'web-team@example.test'] },
  {
    id: 'shop',
    args: ['--name', 'shop.example.test', '--name', 'www.shop.example.test', '--name', 'api.example.test', '--owner', 'shop-team@example.test'],
  },
  { id: 'legacy', args: ['--name', 'another.test', '--name', 'www.another.test', '--owner', 'ops@another.test'] },
] as const;

/** Runs the whole demo and stops the testbed, whatever happens. */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const started = Date.now();
  const io = options.io ?? { stdout: process.stdout, stderr: process.stderr };
  const paint = painter(colorEnabled(io.stdout, process.env));
  const say = (text = '') => io.stdout.write(`${text}\n`);
  const outDir = resolve(options.outDir ?? 'demo-out');

  say(paint('bold', 'certbeat demo') + paint('dim', ' — local testbed: pebble (ACME), Route 53 / ACM / SES emulators, DynamoDB'));
  say(paint('dim', 'starting the testbed…'));
  const tb = await startTestbed({ certificateValiditySeconds: 90 * 86_400, insyncAfterMs: 100 });
  try {
    const env = { ...tb.env };
    const cliIo: CliIo = { stdout: io.stdout, stderr: io.stderr, env };
    await createZones(tb, say, paint);

    say();
    for (const cert of DEMO_CERTIFICATES) {
      const args = ['add', cert.id, ...cert.args, '--ca', tb.directoryUrl];
      say(paint('cyan', `$ certbeat ${args.map(shellWord).join(' ').replace(tb.directoryUrl, '<pebble>')}`));
      const code = await main(args, cliIo);
      if (code !== 0) throw new Error(`certbeat add ${cert.id} failed (exit ${code})`);
    }

    const ctx = new CliContext(cliIo);
    try {
      const service = await ctx.service(progressLog(ctx.out));
      say();
      say(paint('bold', 'run 1: first issuance'));
      const first = await service.run(ctx.runOptions());

      say();
      say(paint('bold', 'run 2: forced renewal of all ("renew now" on every certificate)'));
      const { inventory } = await ctx.adapters();
      for (const cert of DEMO_CERTIFICATES) await inventory.requestRenewal(cert.id, ctx.clock.now());
      const second = await service.run(ctx.runOptions());

      say();
      const rows: Cell[][] = [
        ...summaryRows(first).map((r): Cell[] => ['1', ...r]),
        ...summaryRows(second).map((r): Cell[] => ['2', ...r]),
      ];
      const fit = { width: 80, shrinkable: SUMMARY_SHRINKABLE.map((i) => i + 1) };
      for (const line of renderTable(['RUN', ...SUMMARY_HEADERS], rows, paint, fit)) say(line);

      const mails = await writeMails(tb, outDir);
      say();
      say(`${paint('bold', String(mails.length))} mails written to ${paint('bold', outDir)} (.html and .eml; open index.html):`);
      for (const m of mails) say(`  ${m.htmlFile.slice(outDir.length + 1).replace(/\.html$/, '')}  ${paint('dim', `→ ${m.to.join(', ')}`)}  ${m.subject}`);

      const wallMs = Date.now() - started;
      say();
      say(`demo finished in ${(wallMs / 1000).toFixed(1)} s`);
      return { outDir, runs: [first, second], mails, wallMs };
    } finally {
      await ctx.close();
    }
  } finally {
    await tb.stop();
  }
}

/**
 * example.test and its delegated sub-zone shop.example.test are published correctly; another.test
 * exists in Route 53 but its registrar still names the old DNS host, so the CA never sees its records.
 */
async function createZones(tb: Testbed, say: (s?: string) => void, paint: ReturnType<typeof painter>): Promise<void> {
  const solver = new Route53DnsSolver({ client: tb.clients().route53, clock: { now: () => new Date() } });
  for (const name of ['example.test', 'shop.example.test']) {
    const id = await tb.route53.createZone(name);
    tb.dns.setRecords(name, 'NS', (await solver.zoneDetails(id)).nameServers);
    say(`hosted zone ${paint('bold', name)} ${id}, delegated to it`);
  }
  const id = await tb.route53.createZone('another.test', { delegated: false });
  tb.dns.setRecords('another.test', 'NS', ['ns1.old-dns-host.example', 'ns2.old-dns-host.example']);
  say(`hosted zone ${paint('bold', 'another.test')} ${id}, ${paint('yellow', 'but the registrar still names ns1/ns2.old-dns-host.example')}`);
}

async function writeMails(tb: Testbed, outDir: string): Promise<DemoMail[]> {
  await mkdir(outDir, { recursive: true });
  const captured = await tb.ses.mails();
  const mails: DemoMail[] = [];
  for (const [i, mail] of captured.entries()) {
    const base = `${String(i + 1).padStart(2, '0')}-${slug(mail.subject)}`;
    const htmlFile = resolve(outDir, `${base}.html`);
    const emlFile = resolve(outDir, `${base}.eml`);
    await writeFile(htmlFile, mail.html ?? '', 'utf8');
    await writeFile(
      emlFile,
      buildEml({ from: mail.from, to: mail.to, subject: mail.subject, text: mail.text ?? '', html: mail.html ?? '', date: new Date(mail.at * 1000), messageId: mail.messageId }),
      'utf8',
    );
    mails.push({ subject: mail.subject, to: mail.to, htmlFile, emlFile });
  }
  const items = mails
    .map((m) => {
      const name = m.htmlFile.slice(outDir.length + 1);
      return `<li><a href="${escapeHtml(name)}">${escapeHtml(m.subject)}</a> → ${escapeHtml(m.to.join(', '))} (<a href="${escapeHtml(name.replace(/\.html$/, '.eml'))}">.eml</a>)</li>`;
    })
    .join('\n');
  await writeFile(resolve(outDir, 'index.html'), `<!doctype html><meta charset="utf-8"><title>certbeat demo mails</title>\n<h1>certbeat demo mails</h1>\n<ul>\n${items}\n</ul>\n`, 'utf8');
  return mails;
}

function slug(s: string): string {
  return s.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'mail';
}

function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function isEntryPoint(): boolean {
  try {
    return !!process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  const { values } = parseArgs({ options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    process.stdout.write('usage: npm run demo -- [--out DIR]   (default ./demo-out)\n');
  } else {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    runDemo({ outDir: values.out }).then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`demo failed: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exit(1);
      },
    );
  }
}
