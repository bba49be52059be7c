/**
 * The inventory commands: `list`, `show`, `pause`, `resume`, `remove`. Unknown ids are refused with
 * exit 2 before anything is written.
 */
import type { CertificateRecord } from '../../lambda/domain/model.js';
import { displayName } from '../../lambda/domain/idn.js';
import type { Inventory } from '../../lambda/domain/ports.js';
import { daysLeft } from '../../lambda/domain/renewal-policy.js';
import type { CliContext } from '../context.js';
import { EXIT, UsageError, type ExitCode } from '../exit-codes.js';
import type { StoredCertificate } from '../../lambda/domain/model.js';
import { LIST_HEADERS, LIST_SHRINKABLE, NONE, byId, daysLeftCell, listRow, nextCheckText, normalSerial, outcomeCell, stateCell, terminalSafe, timeText } from '../format.js';
import { adoptAgainCommand, confirmRemoval } from '../confirm.js';
import { describeEveryRegion, orderByRegions, type RegionalAcm } from '../acm-by-region.js';
import { targetRegions } from '../../lambda/domain/regional-imports.js';

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

/**
 * Every field `--json` shows for a certificate, always present (null when unset), so scripts can
 * read `.serial` without asking first whether it exists. Order: configuration, then runtime state.
 */
const RECORD_FIELDS = [
  'id', 'names', 'zones', 'challengeAliases', 'regions', 'directoryUrl', 'eabSecretId', 'keyType', 'owners', 'status',
  'acmArn', 'acmArns', 'pendingRegions', 'notBefore', 'notAfter', 'serial', 'issuedNames', 'ariCertId', 'renewalWindow', 'lastOutcome',
  'failureCount', 'nextCheckAt', 'forceRenewal', 'pendingImport', 'importingSerial', 'pendingOrderUrl', 'published', 'lease',
] as const satisfies ReadonlyArray<keyof CertificateRecord>;

/** A record as `--json` shows it: every field (null when unset), one serial format, days left, owed mails. */
export function recordJson(record: CertificateRecord, now: Date) {
  const fields = Object.fromEntries(RECORD_FIELDS.map((k) => [k, record[k] ?? null])) as { [K in (typeof RECORD_FIELDS)[number]]: NonNullable<CertificateRecord[K]> | null };
  // Owed mails without their bodies: what, to whom, since when, why not sent.
  const owedMails = (record.owedMails ?? []).map(({ html: _h, text: _t, ...m }) => m);
  const lastOutcome = record.lastOutcome
    ? { at: record.lastOutcome.at, result: record.lastOutcome.result, errorClass: record.lastOutcome.errorClass ?? null, message: record.lastOutcome.message ?? null, fix: record.lastOutcome.fix ?? null }
    : null;
  return {
    ...fields,
    serial: normalSerial(record.serial) ?? null,
    importingSerial: normalSerial(record.importingSerial) ?? null,
    lastOutcome,
    owedMails,
    daysLeft: daysLeft(record.notAfter, now) ?? null,
  };
}

/** What ACM knows, as `show --json` shows it: every field present, dates ISO, the serial as in the record. */
export function acmJson(acm: StoredCertificate | undefined) {
  if (!acm) return null;
  return {
    arn: acm.arn,
    keyAlgorithm: acm.keyAlgorithm ?? null,
    notBefore: acm.notBefore?.toISOString() ?? null,
    notAfter: acm.notAfter?.toISOString() ?? null,
    serial: normalSerial(acm.serial) ?? null,
    issuer: acm.issuer ?? null,
    inUseBy: acm.inUseBy,
  };
}

export async function listCommand(ctx: CliContext, opts: { json?: boolean }): Promise<ExitCode> {
  const { inventory } = await ctx.adapters();
  const batch = await inventory.listAll();
  const now = ctx.clock.now();
  // Code-point order, as `sort` in a shell with LC_ALL=C: the same on every machine.
  const records = [...batch.records].sort(byId);
  const invalid = [...batch.invalid].sort(byId);
  if (opts.json) {
    ctx.out.json({ certificates: records.map((r) => recordJson(r, now)), invalid: invalid.map((i) => ({ id: i.id, problems: i.problems, owners: i.owners })) });
    return EXIT.ok;
  }
  if (records.length === 0 && batch.invalid.length === 0) {
    ctx.out.line('no certificates yet; add one with: certbeat add <id> --name example.com --name "*.example.com"');
    return EXIT.ok;
  }
  const rows = [
    ...records.map((r) => ({ id: r.id, cells: listRow(r, now) })),
    ...invalid.map((i) => ({ id: i.id, cells: [terminalSafe(i.id), NONE, { text: 'invalid', style: 'red' as const }, NONE, NONE, 'see below', NONE] })),
  ].sort(byId);
  ctx.out.table(LIST_HEADERS, rows.map((r) => r.cells), LIST_SHRINKABLE);
  for (const item of invalid) ctx.out.note(terminalSafe(`invalid ${item.id}: ${item.problems.join('; ')}`), 'red');
  const owing = records.filter((r) => r.owedMails?.length);
  if (owing.length > 0) {
    ctx.out.note(`mail not delivered yet for ${owing.map((r) => r.id).join(', ')} (SES refused it; sent again by the next runs) — certbeat show <id>`, 'yellow');
  }
  return EXIT.ok;
}

export async function showCommand(ctx: CliContext, id: string, opts: { json?: boolean }): Promise<ExitCode> {
  const { inventory, store, storeFor } = await ctx.adapters();
  const record = await existing(inventory, id);
  const now = ctx.clock.now();
  const { config } = await ctx.getTarget();
  // Every region the certificate is in, each asked through its own ACM (users differ per region).
  const regional = await describeEveryRegion(record, { store, storeFor, homeRegion: config.region });
  const acm = regional.find((r) => r.arn === record.acmArn)?.acm;
  const multiRegion = record.acmArns !== undefined && regional.length > 1;
  const recipients = record.owners.length ? record.owners : config.defaultRecipients;
  if (opts.json) {
    const acmByRegion = multiRegion ? Object.fromEntries(regional.map((r) => [r.region, r.error !== undefined ? { arn: r.arn, error: r.error } : acmJson(r.acm)])) : null;
    ctx.out.json({ ...recordJson(record, now), mailsTo: recipients, acm: acmJson(acm), acmByRegion });
    return EXIT.ok;
  }
  const { out } = ctx;
  const left = daysLeftCell(record.notAfter, now);
  const state = stateCell(record);
  const outcome = outcomeCell(record.lastOutcome);
  const rows: Array<[string, string]> = [
    ['names', record.names.map(displayName).join(', ')],
    ['state', out.paint(typeof state === 'string' ? undefined : state.style, typeof state === 'string' ? state : state.text)],
    ['CA', record.directoryUrl],
    ...(record.profile ? [['profile', `${record.profile}${record.profileFallback ? ` (if refused: ${record.profileFallback})` : ''}`] as [string, string]] : []),
    ['key type', record.keyType + (acm?.keyAlgorithm && acm.keyAlgorithm !== record.keyType ? ` (ACM has ${acm.keyAlgorithm})` : '')],
    ['owners', ownersText(record.owners, config.defaultRecipients)],
    ['zones', Object.keys(record.zones).length ? Object.entries(record.zones).map(([n, z]) => `${n}=${z}`).join(', ') : 'found by name'],
    ...(record.regions ? [['regions', record.regions.join(', ')] as [string, string]] : []),
    ['ACM ARN', record.acmArn ?? NONE],
    ...(record.acmArns ? [['ARN per region', orderByRegions(record.acmArns, targetRegions(record, config.region)).map(([r, a]) => `${r}: ${a}`).join(', ')] as [string, string]] : []),
    ...(record.pendingRegions?.length ? [['waiting regions', record.pendingRegions.join(', ')] as [string, string]] : []),
    ...(record.challengeAliases ? [['challenge aliases', Object.entries(record.challengeAliases).map(([n, t]) => `_acme-challenge.${n} → ${t}`).join(', ')] as [string, string]] : []),
    ...(multiRegion ? regional.map((r): [string, string] => [`in use by (${r.region})`, inUseText(r)]) : [['in use by', acm ? inUseText({ acm }) : NONE] as [string, string]]),
    ['serial', normalSerial(record.serial) ?? NONE],
    ['expiry', record.notAfter ? `${timeText(record.notAfter)} (${typeof left === 'string' ? left : left.text} days left)` : NONE],
    ['last outcome', out.paint(typeof outcome === 'string' ? undefined : outcome.style, typeof outcome === 'string' ? outcome : outcome.text)],
    ['next check', nextCheckText(record, now)],
  ];
  if (record.eabSecretId) rows.splice(3, 0, ['EAB secret', record.eabSecretId]);
  if (record.lastOutcome?.result === 'failed') {
    if (record.lastOutcome.message) rows.push(['cause', record.lastOutcome.message]);
    // Recorded with the failure since this version; older failures: doctor finds what is wrong now.
    rows.push(['fix', record.lastOutcome.fix ?? `run certbeat doctor ${record.id}: it checks the zone, delegation, CAA and CA, each with its fix`]);
  }
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
  out.line(out.paint('bold', terminalSafe(record.id)));
  const width = Math.max(...rows.map(([k]) => k.length));
  // Values come from the inventory (and the CA's messages): escaped. The two rows painted above hold
  // only certbeat's own words, so their colour codes stay.
  const painted = new Set(['state', 'last outcome']);
  for (const [k, v] of rows) out.line(`  ${k.padEnd(width)}  ${painted.has(k) ? v : terminalSafe(v)}`);
  return EXIT.ok;
}

/** What uses the certificate in one region, or why that region could not say. */
function inUseText(r: Pick<RegionalAcm, 'acm' | 'error'>): string {
  if (r.error !== undefined) return `unknown: ACM could not be asked (${r.error})`;
  if (!r.acm) return 'not in ACM (deleted there?)';
  return r.acm.inUseBy.length ? r.acm.inUseBy.join(', ') : 'nothing yet';
}

/** Who is mailed about a certificate, and plainly when nobody is. */
function ownersText(owners: string[], defaults: string[]): string {
  if (owners.length) return owners.join(', ');
  if (defaults.length) return `none; mails go to the default recipients (${defaults.join(', ')})`;
  return 'none, and no default recipients: no mail is sent about this certificate (add one with certbeat add <id> --replace … --owner ADDRESS)';
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

export async function removeCommand(ctx: CliContext, id: string, opts: { yes?: boolean } = {}): Promise<ExitCode> {
  const { inventory } = await ctx.adapters();
  const record = await existing(inventory, id);
  if (!(await confirmRemoval(ctx, record, opts.yes === true))) {
    ctx.out.line(`not removed: ${id} stays in the inventory`);
    return EXIT.ok;
  }
  await inventory.remove(id);
  ctx.out.line(`removed ${id} from the inventory; certbeat no longer renews it`);
  if (record.acmArn) {
    ctx.out.line(`  the certificate stays in ACM (${record.acmArn}): delete it there once nothing uses it, or adopt it again with:`);
    ctx.out.line(`  ${adoptAgainCommand(record)}`);
  }
  return EXIT.ok;
}
