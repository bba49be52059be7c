/** How certificates and outcomes read in tables: shared by `list`, `show`, `run`, `renew` and the demo. */
import type { CertificateRecord, LastOutcome } from '../lambda/domain/model.js';
import { daysLeft } from '../lambda/domain/renewal-policy.js';
import type { RunSummary } from '../lambda/domain/run-summary.js';
import type { Cell } from './output.js';
import { displayName } from '../lambda/domain/idn.js';

export const NONE = '—';

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
  if (outcome.result === 'failed') return { text: `failed (${outcome.errorClass ?? 'error'})`, style: 'red' };
  return { text: `${outcome.result} ${dateText(outcome.at)}`, style: 'green' };
}

/** The next check, or "now" once it is due. */
export function nextCheckText(record: Pick<CertificateRecord, 'nextCheckAt' | 'status'>, now: Date): string {
  if (record.status === 'paused') return 'paused';
  const at = new Date(record.nextCheckAt);
  if (Number.isNaN(at.getTime())) return NONE;
  return at.getTime() <= now.getTime() ? 'due now' : timeText(record.nextCheckAt);
}

export const LIST_HEADERS = ['ID', 'NAMES', 'STATE', 'DAYS LEFT', 'EXPIRY', 'LAST OUTCOME', 'NEXT CHECK'];

export function listRow(record: CertificateRecord, now: Date): Cell[] {
  return [
    record.id,
    namesText(record.names),
    stateCell(record),
    daysLeftCell(record.notAfter, now),
    dateText(record.notAfter),
    outcomeCell(record.lastOutcome),
    nextCheckText(record, now),
  ];
}

/** The long cell (ARN or cause) comes last, so a narrow terminal wraps only that one. */
export const SUMMARY_HEADERS = ['ID', 'OUTCOME', 'SERIAL', 'EXPIRY', 'NEXT', 'ARN / CAUSE'];

/** One row per certificate the run looked at, in a stable order: renewed, failed, invalid, skipped, not due. */
export function summaryRows(summary: RunSummary): Cell[][] {
  return [
    ...summary.renewed.map((r): Cell[] => [
      r.id,
      { text: r.firstIssuance ? 'issued' : 'renewed', style: 'green' },
      shortSerial(r.serial),
      dateText(r.notAfter),
      NONE,
      r.arn,
    ]),
    ...summary.failed.map((f): Cell[] => [
      f.id,
      { text: 'failed', style: 'red' },
      NONE,
      NONE,
      timeText(f.nextAttemptAt),
      `${f.errorClass}: ${f.message}`,
    ]),
    ...summary.invalid.map((i): Cell[] => [i.id, { text: 'invalid', style: 'red' }, NONE, NONE, NONE, i.problems.join('; ')]),
    ...summary.skipped.map((s): Cell[] => [s.id, { text: 'skipped', style: 'yellow' }, NONE, NONE, NONE, s.reason]),
    ...summary.notDue.map((n): Cell[] => [n.id, { text: 'not due', style: 'dim' }, NONE, NONE, timeText(n.nextCheckAt), n.reason]),
  ];
}

/** Serials are long hex strings; the table shows enough to tell two apart. */
export function shortSerial(serial: string | undefined): string {
  if (!serial) return NONE;
  return serial.length > 16 ? `${serial.slice(0, 16)}…` : serial;
}
