/**
 * The digest mail: one table of every certificate (id, names, state, last outcome, expiry, days left with
 * a bar, next check), most urgent first, and the inventory items certbeat cannot read, each with its
 * problems. Built on the shared layout, so the text part carries the same facts as the HTML part.
 */
import type { BudgetLine, BudgetStatus } from '../budget.js';
import type { CertificateRecord, InvalidItem, LastOutcome } from '../model.js';
import { urgency } from '../renewal-policy.js';
import { daysUntil, formatDate, formatDateTime, formatTime, namesSummary, plural, type DateStyle } from './format.js';
import { renderHtml, renderText, type Block, type Fact, type Signal, type TableCell, type TableRow, type Tone } from './layout.js';
import type { RenderedMail } from './render.js';
import { oneLine, sanitizeHeader } from './sanitize.js';
import { displayName } from '../idn.js';

/** Days left at which a bar is full; fewer days draw a proportionally shorter bar. */
export const DEFAULT_FULL_BAR_DAYS = 90;
/** "Expiring soon" in the subject and overview: the failure mails' warning step. */
export const EXPIRING_DAYS = 14;

export interface DigestInput {
  records: CertificateRecord[];
  invalid: InvalidItem[];
  /** Days left that fill a bar (default 90); more days are drawn full. */
  fullBarDays?: number;
  /** Where the rate-limit and quota budgets stand (lambda/domain/budget.ts), when known. */
  budget?: BudgetStatus;
}

/** How one certificate stands, as the digest shows it. */
export type DigestState = 'active' | 'paused' | 'failing' | 'never issued' | 'expired';

/** One certificate's row, before rendering: exported so that callers (and tests) see the same facts. */
export interface DigestRow {
  id: string;
  names: string;
  state: DigestState;
  /** Whole days until expiry (negative once expired); undefined when never issued or the date is unreadable. */
  daysLeft?: number;
  notAfter?: Date;
  /** Fill of the days-left bar, 0..1; undefined when there is no expiry to draw. */
  fraction?: number;
  /** green from 14 days left, amber under 14, red under 7 (the failure mails' steps); grey when paused. */
  signal: Signal;
  lastOutcome: string;
  /** `[date, time]` of the next check, or one phrase (`due now`, `none while paused`). */
  nextCheck: string[];
}

export interface DigestCounts {
  certificates: number;
  failing: number;
  /** Active, not yet expired, fewer than 14 days left. */
  expiring: number;
  expired: number;
  neverIssued: number;
  paused: number;
  invalid: number;
}

function validDate(iso: string | undefined): Date | undefined {
  if (!iso) return undefined;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

function outcomeText(outcome: LastOutcome | undefined, zone: DateStyle): string {
  if (!outcome) return 'never run';
  const at = formatDate(validDate(outcome.at), zone);
  if (outcome.result === 'failed') return `failed ${at}${outcome.errorClass ? ` (${oneLine(outcome.errorClass)})` : ''}`;
  return `${outcome.result} ${at}`;
}

/** The next check as `[date, time]`, or one phrase when there is no time to show. */
function nextCheckLines(record: CertificateRecord, now: Date, zone: DateStyle): string[] {
  if (record.status === 'paused') return ['none while paused'];
  const at = validDate(record.nextCheckAt);
  if (!at) return ['unknown'];
  return at.getTime() <= now.getTime() ? ['due now'] : [formatDate(at, zone), formatTime(at, zone)];
}

function fullBarDays(days: number | undefined): number {
  return days !== undefined && Number.isFinite(days) && days > 0 ? days : DEFAULT_FULL_BAR_DAYS;
}

/** The facts of one certificate's row. Pure. */
export function digestRow(record: CertificateRecord, now: Date, fullDays?: number, zone: DateStyle = {}): DigestRow {
  const notAfter = validDate(record.notAfter);
  const daysLeft = notAfter ? daysUntil(notAfter, now) : undefined;
  const paused = record.status === 'paused';
  let state: DigestState;
  if (paused) state = 'paused';
  else if (record.lastOutcome?.result === 'failed') state = 'failing';
  else if (!notAfter) state = 'never issued';
  else if (daysLeft !== undefined && daysLeft < 0) state = 'expired';
  else state = 'active';
  const step = urgency(notAfter?.toISOString(), now);
  const signal: Signal = paused || daysLeft === undefined ? 'grey' : step === 'final' ? 'red' : step === 'warning' ? 'amber' : 'green';
  const full = fullBarDays(fullDays);
  return {
    id: oneLine(record.id),
    names: oneLine(namesSummary(record.names.map(displayName))),
    state,
    daysLeft,
    notAfter,
    fraction: daysLeft === undefined ? undefined : Math.min(1, Math.max(0, daysLeft / full)),
    signal,
    lastOutcome: outcomeText(record.lastOutcome, zone),
    nextCheck: nextCheckLines(record, now, zone),
  };
}

/** Most urgent first: failing, then fewest days left (never issued before any expiry), paused last; ties by id. */
function compareRows(a: DigestRow, b: DigestRow): number {
  const rank = (r: DigestRow) => [r.state === 'paused' ? 1 : 0, r.state === 'failing' ? 0 : 1, r.daysLeft ?? Number.NEGATIVE_INFINITY] as const;
  const [ra, rb] = [rank(a), rank(b)];
  for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i] < rb[i] ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The overview's counts. Paused certificates count only as paused; one certificate may be failing and expiring. */
export function digestCounts(rows: DigestRow[], invalid: number): DigestCounts {
  const active = rows.filter((r) => r.state !== 'paused');
  return {
    certificates: rows.length,
    failing: active.filter((r) => r.state === 'failing').length,
    expiring: active.filter((r) => r.daysLeft !== undefined && r.daysLeft >= 0 && r.daysLeft < EXPIRING_DAYS).length,
    expired: active.filter((r) => r.daysLeft !== undefined && r.daysLeft < 0).length,
    neverIssued: active.filter((r) => r.notAfter === undefined).length,
    paused: rows.length - active.length,
    invalid,
  };
}

/** `1 failing, 2 expiring within 14 days`: what needs attention, or an empty list. */
function attention(c: DigestCounts): string[] {
  const parts: string[] = [];
  if (c.failing) parts.push(`${c.failing} failing`);
  if (c.expired) parts.push(`${c.expired} expired`);
  if (c.expiring) parts.push(`${c.expiring} expiring within ${EXPIRING_DAYS} days`);
  if (c.invalid) parts.push(plural(c.invalid, 'invalid item'));
  return parts;
}

function daysText(row: DigestRow): string {
  if (row.daysLeft === undefined) return row.notAfter ? 'unknown' : 'not issued yet';
  if (row.daysLeft > 0) return `${plural(row.daysLeft, 'day')} left`;
  if (row.daysLeft === 0) return 'expires today';
  return `expired ${plural(-row.daysLeft, 'day')} ago`;
}

const STATE_SIGNAL: Partial<Record<DigestState, Signal>> = { failing: 'red', expired: 'red', paused: 'grey', 'never issued': 'grey' };

function tableRow(row: DigestRow, zone: DateStyle): TableRow {
  const days: TableCell = {
    lines: [daysText(row)],
    colour: row.signal,
    bar: row.fraction === undefined ? undefined : { fraction: row.fraction, colour: row.signal },
  };
  return {
    muted: row.state === 'paused',
    cells: [
      { lines: [row.id, row.names], strong: true },
      { lines: [row.state, `last: ${row.lastOutcome}`], colour: STATE_SIGNAL[row.state] },
      days,
      { lines: row.notAfter ? [formatDate(row.notAfter, zone), formatTime(row.notAfter, zone)] : ['—'], joiner: ' ' },
      { lines: row.nextCheck, joiner: ' ' },
    ],
  };
}

function tone(c: DigestCounts, rows: DigestRow[]): Tone {
  if (c.expired > 0 || rows.some((r) => r.state !== 'paused' && r.signal === 'red')) return 'final';
  if (attention(c).length > 0) return 'warning';
  return 'success';
}

/**
 * Renders the digest of the whole inventory as of `ctx.now`. Pure: same input, same output. Every value
 * from the inventory is escaped in the HTML part and kept on one line where it names something.
 */
export function renderDigest(input: DigestInput, ctx: { now: Date; productName?: string; timeZone?: string }): RenderedMail {
  const product = sanitizeHeader(ctx.productName ?? '') || 'certbeat';
  const now = ctx.now;
  // Dates in the deployment's time zone, as in the certificate mails; the digest itself is English.
  const zone: DateStyle = { timeZone: ctx.timeZone ?? 'UTC' };
  const rows = input.records.map((r) => digestRow(r, now, input.fullBarDays, zone)).sort(compareRows);
  const counts = digestCounts(rows, input.invalid.length);
  const parts = attention(counts);
  const total = plural(counts.certificates, 'certificate');
  const summary = parts.length > 0 ? parts.join(', ') : 'nothing needs attention';
  const subject = sanitizeHeader(`${product} digest: ${total} — ${summary}`);

  const overview: Fact[] = [{ label: 'Certificates', value: String(counts.certificates) }];
  if (counts.failing) overview.push({ label: 'Failing', value: String(counts.failing) });
  if (counts.expired) overview.push({ label: 'Expired', value: String(counts.expired) });
  if (counts.expiring) overview.push({ label: `Expiring within ${EXPIRING_DAYS} days`, value: String(counts.expiring) });
  if (counts.neverIssued) overview.push({ label: 'Not issued yet', value: String(counts.neverIssued) });
  if (counts.paused) overview.push({ label: 'Paused', value: String(counts.paused) });
  if (counts.invalid) overview.push({ label: 'Invalid items', value: String(counts.invalid) });
  overview.push({ label: 'As of', value: formatDateTime(now, zone) });

  const blocks: Block[] = [{ kind: 'facts', title: 'Overview', facts: overview }];
  if (rows.length > 0) {
    blocks.push({
      kind: 'table',
      title: 'Certificates, most urgent first',
      columns: [
        { label: 'Certificate', width: 160 },
        { label: 'State', width: 112 },
        { label: 'Days left', width: 112 },
        { label: 'Expiry', width: 80 },
        { label: 'Next check', width: 80 },
      ],
      rows: rows.map((row) => tableRow(row, zone)),
    });
  } else {
    blocks.push({ kind: 'paragraphs', title: 'Certificates', paragraphs: ['No certificates are registered yet. Add one with: npx certbeat add <id> --name example.com'] });
  }
  if (input.invalid.length > 0) {
    blocks.push({
      kind: 'list',
      title: 'Invalid inventory items (skipped on every run until fixed)',
      items: input.invalid.map((item) => ({
        text: `'${oneLine(item.id)}'`,
        detail: item.problems.length > 0 ? item.problems.map(oneLine).join('\n') : 'the item could not be read (no detail was given)',
      })),
    });
  }
  if (input.budget) blocks.push(budgetBlock(input.budget));
  const hints = [
    `A full bar is ${fullBarDays(input.fullBarDays)} days or more. Green: ${EXPIRING_DAYS} days or more left; amber: under ${EXPIRING_DAYS}; red: under 7.`,
    'Details and the cause of a failure: npx certbeat show <id>. Renew one now: npx certbeat renew <id>.',
  ];
  if (counts.invalid > 0) hints.push('Invalid items: correct the fields named above in the inventory table, or remove the item; the next run picks it up.');
  blocks.push({ kind: 'paragraphs', title: 'Reading this digest', paragraphs: hints });

  const doc = {
    title: subject,
    tone: tone(counts, rows),
    badge: 'DIGEST',
    heading: `${total}: ${summary}`,
    preheader: `${total}: ${summary}. As of ${formatDateTime(now, zone)}.`,
    intro: [
      `The state of every certificate ${product} manages, as of ${formatDateTime(now, zone)}, most urgent first.` +
        (parts.length > 0 ? ' Failing and red rows need a person soon.' : ' Renewals are on schedule.'),
    ],
    blocks,
    footer: [
      `You receive this digest because your address is one of ${product}'s digest recipients.`,
      `${product} renews imported ACM certificates unattended. Sent ${formatDateTime(now, zone)}.`,
    ],
  };
  return { subject, html: renderHtml(doc), text: renderText(doc) };
}

/**
 * The budgets: ACM imports always, the busiest accounts and domains when they ordered (a CA without a
 * known limit shows "no limit known"); the 80 % warning.
 */
function budgetBlock(b: BudgetStatus): Block {
  const line = (l: BudgetLine) => ({ label: `${l.name} (${l.window})`, value: l.limit === undefined ? `${l.used} (no limit known)` : `${l.used} of ${l.limit}` });
  const facts: Fact[] = [
    line(b.imports),
    ...b.accounts.slice(0, 3).map((l) => line({ ...l, name: `Orders, ${oneLine(l.name)}` })),
    ...b.domains.slice(0, 3).map((l) => line({ ...l, name: `New certificates, ${oneLine(l.name)} at ${oneLine(l.directoryUrl ?? '')}` })),
  ];
  if (b.warning) facts.push({ label: 'Warning', value: b.warning });
  return { kind: 'facts', title: 'Rate limits and quotas (npx certbeat budget)', facts };
}
