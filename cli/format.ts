/** How certificates and outcomes read in tables: shared by `list`, `show`, `run`, `renew` and the demo. */
import type { CertificateRecord, LastOutcome } from '../lambda/domain/model.js';
import { daysLeft } from '../lambda/domain/renewal-policy.js';
import type { RunSummary } from '../lambda/domain/run-summary.js';
import type { Cell } from './output.js';
import { displayName } from '../lambda/domain/idn.js';

export const NONE = '—';

/** Ids in code-point order: every table and list the CLI prints is sorted so. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Items by id (see `compareIds`). */
export const byId = <T extends { id: string }>(a: T, b: T): number => compareIds(a.id, b.id);

/**
 * Text from the inventory (ids, names, causes) can hold control characters: an ESC sequence would
 * restyle or rewrite the operator's terminal. They are shown escaped (`\x1b`), never interpreted.
 */
export function terminalSafe(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * An ARN in a table: `…/0a1b2c3d…`, the start of the resource id at its end, which is what tells two
 * apart; `certbeat show` and `--json` have the whole ARN.
 */
export function shortArn(arn: string): string {
  const slash = arn.lastIndexOf('/');
  if (slash < 0 || arn.length - slash <= 10) return arn;
  return `…/${arn.slice(slash + 1, slash + 9)}…`;
}

/** `example.com +2`: the first name and how many more. */
export function namesText(names: string[]): string {
  if (names.length === 0) return NONE;
  const first = displayName(names[0]);
  return names.length === 1 ? first : `${first} +${names.length - 1}`;
}

/** `2026-03-01` (UTC). */
export function dateText(iso: string | undefined): string {
  if (!iso) return NONE;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? NONE : d.toISOString().slice(0, 10);
}

/** `2026-03-01 04:17 UTC`. */
export function timeText(iso: string | undefined): string {
  if (!iso) return NONE;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? NONE : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** `03-01 04:17` (UTC, said once in the column header): the table form of `timeText`. */
export function shortTimeText(iso: string | undefined): string {
  if (!iso) return NONE;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? NONE : d.toISOString().slice(5, 16).replace('T', ' ');
}

/** Days left, red under 7, yellow under 14 (the mails' urgency steps). */
export function daysLeftCell(notAfter: string | undefined, now: Date): Cell {
  const days = daysLeft(notAfter, now);
  if (days === undefined) return { text: NONE, style: 'dim' };
  return { text: String(days), style: days < 7 ? 'red' : days < 14 ? 'yellow' : 'green' };
}

export function stateCell(record: Pick<CertificateRecord, 'status'>): Cell {
  return record.status === 'paused' ? { text: 'paused', style: 'yellow' } : { text: 'active' };
}

export function outcomeCell(outcome: LastOutcome | undefined): Cell {
  if (!outcome) return { text: 'never run', style: 'dim' };
  if (outcome.result === 'failed') return { text: `failed ${dateText(outcome.at)}`, style: 'red' };
  return { text: `${outcome.result} ${dateText(outcome.at)}`, style: 'green' };
}

/** The next check, or "now" once it is due; `short` for a table whose header says UTC. */
export function nextCheckText(record: Pick<CertificateRecord, 'nextCheckAt' | 'status'>, now: Date, short = false): string {
  if (record.status === 'paused') return 'paused';
  const at = new Date(record.nextCheckAt);
  if (Number.isNaN(at.getTime())) return NONE;
  if (at.getTime() <= now.getTime()) return 'due now';
  return short ? shortTimeText(record.nextCheckAt) : timeText(record.nextCheckAt);
}

export const LIST_HEADERS = ['ID', 'NAMES', 'STATE', 'DAYS', 'EXPIRY', 'LAST OUTCOME', 'NEXT (UTC)'];
/** Columns a narrow terminal may cut (with …), widest first: names, then the id. */
export const LIST_SHRINKABLE = [1, 0];

export function listRow(record: CertificateRecord, now: Date): Cell[] {
  return [
    terminalSafe(record.id),
    terminalSafe(namesText(record.names)),
    stateCell(record),
    daysLeftCell(record.notAfter, now),
    dateText(record.notAfter),
    outcomeCell(record.lastOutcome),
    nextCheckText(record, now, true),
  ];
}

/** The long cell (ARN or cause) comes last; it is the one a narrow terminal cuts (with …). */
export const SUMMARY_HEADERS = ['ID', 'OUTCOME', 'SERIAL', 'EXPIRY', 'NEXT (UTC)', 'ARN / CAUSE'];
export const SUMMARY_SHRINKABLE = [5, 0];

/** One row per certificate the run looked at, sorted by id (as `list` is). */
export function summaryRows(summary: RunSummary): Cell[][] {
  const rows: Array<[string, Cell[]]> = [
    ...summary.renewed.map((r): [string, Cell[]] => [r.id, [
      r.id,
      { text: r.firstIssuance ? 'issued' : 'renewed', style: 'green' },
      shortSerial(r.serial),
      dateText(r.notAfter),
      NONE,
      shortArn(r.arn),
    ]]),
    ...(summary.dryRun ?? []).map((d): [string, Cell[]] => [d.id, [
      d.id,
      { text: 'dry run ok', style: 'green' },
      shortSerial(d.serial),
      dateText(d.notAfter),
      NONE,
      'validated, not imported',
    ]]),
    ...summary.failed.map((f): [string, Cell[]] => [f.id, [
      f.id,
      { text: 'failed', style: 'red' },
      NONE,
      NONE,
      shortTimeText(f.nextAttemptAt),
      // The message alone: the class adds little in 80 columns (JSON and `show` have both).
      f.message,
    ]]),
    ...summary.invalid.map((i): [string, Cell[]] => [i.id, [i.id, { text: 'invalid', style: 'red' }, NONE, NONE, NONE, i.problems.join('; ')]]),
    ...summary.skipped.map((s): [string, Cell[]] => [s.id, [s.id, { text: 'skipped', style: 'yellow' }, NONE, NONE, NONE, s.reason]]),
    ...summary.notDue.map((n): [string, Cell[]] => [n.id, [n.id, { text: 'not due', style: 'dim' }, NONE, NONE, shortTimeText(n.nextCheckAt), n.reason]]),
  ];
  return rows
    .sort(([a], [b]) => compareIds(a, b))
    .map(([, cells]) => cells.map((c) => (typeof c === 'string' ? terminalSafe(c) : { ...c, text: terminalSafe(c.text) })));
}

/**
 * One serial format everywhere the CLI shows one: upper-case hex without separators, as certbeat records it (ACM reports
 * `0a:1b:…`).
 */
export function normalSerial(serial: string): string;
export function normalSerial(serial: string | undefined): string | undefined;
export function normalSerial(serial: string | undefined): string | undefined {
  return serial === undefined ? undefined : serial.replace(/[:\s]/g, '').toUpperCase();
}

/** Serials are long hex strings; the table shows enough to tell two apart. */
export function shortSerial(serial: string | undefined): string {
  if (!serial) return NONE;
  const s = normalSerial(serial);
  return s.length > 10 ? `${s.slice(0, 10)}…` : s;
}
