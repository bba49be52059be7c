/**
 * The inventory commands: `list`, `show`, `pause`, `resume`, `remove`. Unknown ids are refused with
 * exit 2 before anything is written.
 */
import type { CertificateRecord } from '../../lambda/domain/model.js';
import type { Inventory } from '../../lambda/domain/ports.js';
import { daysLeft } from '../../lambda/domain/renewal-policy.js';
import type { CliContext } from '../context.js';
import { EXIT, UsageError, type ExitCode } from '../exit-codes.js';
import { LIST_HEADERS, NONE, daysLeftCell, listRow, nextCheckText, outcomeCell, stateCell, timeText } from '../format.js';

/** The record, or a `UsageError` (exit 2) saying the id is unknown and how to find the right one. */
export async function existing(inventory: Inventory, id: string): Promise<CertificateRecord> {
  const record = await inventory.get(id);
  if (!record) {
    throw new UsageError(`no certificate with id '${id}'; nothing was changed`, {
      remediation: '`certbeat list` shows the ids; `certbeat add` registers a new certificate.',
    });
  }
  return record;
}

/** A record as `--json` shows it: configuration, runtime state and days left. */
export function recordJson(record: CertificateRecord, now: Date) {
  // Owed mails without their bodies: what, to whom, since when, why not sent.
  const owedMails = (record.owedMails ?? []).map(({ html: _h, text: _t, ...m }) => m);
  return { ...record, owedMails, daysLeft: daysLeft(record.notAfter, now) ?? null };
}

export async function listCommand(ctx: CliContext, opts: { json?: boolean }): Promise<ExitCode> {
  const { inventory } = await ctx.adapters();
  const batch = await inventory.listAll();
  const now = ctx.clock.now();
  const records = [...batch.records].sort((a, b) => a.id.localeCompare(b.id));
  if (opts.json) {
    ctx.out.json({ certificates: records.map((r) => recordJson(r, now)), invalid: batch.invalid });
    return EXIT.ok;
  }
  if (records.length === 0 && batch.invalid.length === 0) {
    ctx.out.line('no certificates yet; add one with: certbeat add <id> --name example.com --name "*.example.com"');
    return EXIT.ok;
  }
  ctx.out.table(LIST_HEADERS, [
    ...records.map((r) => listRow(r, now)),
    ...batch.invalid.map((i) => [i.id, NONE, { text: 'invalid', style: 'red' as const }, NONE, NONE, i.problems[0] ?? '', NONE]),
  ]);
  for (const item of batch.invalid) ctx.out.note(`invalid ${item.id}: ${item.problems.join('; ')}`, 'red');
  const owing = records.filter((r) => r.owedMails?.length);
  if (owing.length > 0) {
    ctx.out.note(`mail not delivered yet for ${owing.map((r) => r.id).join(', ')} (SES refused it; sent again by the next runs) — certbeat show <id>`, 'yellow');
  }
  return EXIT.ok;
}

export async function showCommand(ctx: CliContext, id: string, opts: { json?: boolean }): Promise<ExitCode> {
  const { inventory, store } = await ctx.adapters();
  const record = await existing(inventory, id);
  const now = ctx.clock.now();
  const acm = record.acmArn ? await store.describe(record.acmArn) : undefined;
  if (opts.json) {
    const { lease, ...rest } = recordJson(record, now);
    ctx.out.json({ ...rest, lease: lease ?? null, acm: acm ?? null });
    return EXIT.ok;
  }
  const { out } = ctx;
  const left = daysLeftCell(record.notAfter, now);
  const state = stateCell(record);
  const outcome = outcomeCell(record.lastOutcome);
  const rows: Array<[string, string]> = [
    ['names', record.names.join(', ')],
    ['state', out.paint(typeof state === 'string' ? undefined : state.style, typeof state === 'string' ? state : state.text)],
    ['CA', record.directoryUrl],
    ...(record.profile ? [['profile', `${record.profile}${record.profileFallback ? ` (if refused: ${record.profileFallback})` : ''}`] as [string, string]] : []),
    ['key type', record.keyType + (acm?.keyAlgorithm && acm.keyAlgorithm !== record.keyType ? ` (ACM has ${acm.keyAlgorithm})` : '')],
    ['owners', record.owners.length ? record.owners.join(', ') : 'the default recipients'],
    ['zones', Object.keys(record.zones).length ? Object.entries(record.zones).map(([n, z]) => `${n}=${z}`).join(', ') : 'found by name'],
    ['ACM ARN', record.acmArn ?? NONE],
    ['in use by', acm ? (acm.inUseBy.length ? acm.inUseBy.join(', ') : 'nothing yet') : NONE],
    ['serial', record.serial ?? NONE],
    ['expiry', record.notAfter ? `${timeText(record.notAfter)} (${typeof left === 'string' ? left : left.text} days left)` : NONE],
    ['last outcome', out.paint(typeof outcome === 'string' ? undefined : outcome.style, typeof outcome === 'string' ? outcome : outcome.text)],
    ['next check', nextCheckText(record, now)],
  ];
  if (record.eabSecretId) rows.splice(3, 0, ['EAB secret', record.eabSecretId]);
  if (record.lastOutcome?.result === 'failed' && record.lastOutcome.message) rows.push(['cause', record.lastOutcome.message]);
  if (record.failureCount > 0) rows.push(['failures in a row', String(record.failureCount)]);
  if (record.renewalWindow) rows.push(['ARI window', `${timeText(record.renewalWindow.start)} – ${timeText(record.renewalWindow.end)}`]);
  if (record.forceRenewal) rows.push(['renew now', 'requested']);
  if (record.lease) rows.push(['lease', `held by ${record.lease.owner} until ${timeText(record.lease.until)} (a dead run's lease: certbeat unlock ${record.id})`]);
  for (const m of record.owedMails ?? []) {
    rows.push(['mail owed', `"${m.subject}" to ${m.to.join(', ')}: not delivered since ${timeText(m.since)}, ${m.attempts} attempt(s), last: ${m.lastError}`]);
  }
  if (record.pendingOrderUrl) rows.push(['order to resume', record.pendingOrderUrl]);
  if (record.importingSerial) rows.push(['import to confirm', `serial ${record.importingSerial} (the next run looks for it in ACM)`]);
  if (record.published?.length) rows.push(['TXT values left', `${record.published.length} (removed by the next run)`]);
  out.line(out.paint('bold', record.id));
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) out.line(`  ${k.padEnd(width)}  ${v}`);
  return EXIT.ok;
}

export async function setStatusCommand(ctx: CliContext, id: string, status: 'active' | 'paused'): Promise<ExitCode> {
  const { inventory } = await ctx.adapters();
  const record = await existing(inventory, id);
  if (record.status === status) {
    ctx.out.line(`${id} is ${status === 'paused' ? 'paused' : 'active'} already`);
    return EXIT.ok;
  }
  await inventory.setStatus(id, status);
  ctx.out.line(
    status === 'paused'
      ? `paused ${id}: no renewals and no mails until \`certbeat resume ${id}\``
      : `resumed ${id}: the next run looks at it again`,
  );
  return EXIT.ok;
}

export async function removeCommand(ctx: CliContext, id: string): Promise<ExitCode> {
  const { inventory } = await ctx.adapters();
  const record = await existing(inventory, id);
  await inventory.remove(id);
  ctx.out.line(`removed ${id} from the inventory; certbeat no longer renews it`);
  if (record.acmArn) {
    ctx.out.line(`  the certificate stays in ACM (${record.acmArn}): delete it there once nothing uses it`);
  }
  return EXIT.ok;
}
