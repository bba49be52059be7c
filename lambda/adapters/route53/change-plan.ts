/**
 * Pure planning of Route 53 TXT changes for dns-01: which record sets to UPSERT or DELETE so that our
 * values appear (or disappear) while every other value at the same name stays, packed into as few
 * ChangeBatches as Route 53's request limits allow. No I/O here: the solver reads the current sets,
 * these functions decide, the solver writes.
 */
import type { Change, ChangeBatch } from '@aws-sdk/client-route-53';
import type { PublishedTxt } from '../../domain/ports.js';
import { normalizeName } from '../../domain/names.js';
import { normalizeZoneId } from './zone-lookup.js';

/** A TXT record set as Route 53 holds it. `values` are Route 53's raw `Value` strings (quoted). */
export interface TxtRecordSet {
  /** The name as Route 53 returned it (may end in a dot); DELETE sends it back unchanged. */
  name: string;
  ttl: number;
  values: string[];
}

/**
 * Route 53's limits on one ChangeResourceRecordSets request. An UPSERT counts its ResourceRecord
 * elements and Value characters twice (it is a DELETE plus a CREATE); DELETE and CREATE count once.
 */
export interface BatchLimits {
  maxRecords: number;
  maxValueChars: number;
}

export const ROUTE53_LIMITS: BatchLimits = { maxRecords: 1000, maxValueChars: 32_000 };

/** TTL for a TXT set we create; an existing set keeps its own TTL. */
export const CHALLENGE_TTL = 60;

/** Our values per record name (normalized, no trailing dot), per zone id (no `/hostedzone/` prefix). */
export type ChallengeGroups = Map<string, Map<string, string[]>>;

/** Route 53 wants TXT values as quoted character-strings. */
export function quoteTxt(value: string): string {
  return `"${value}"`;
}

/**
 * Groups challenges by zone, then by record name, without duplicates: apex and wildcard share
 * `_acme-challenge.example.com`, and two certificates may share a name too.
 */
export function groupChallenges(challenges: readonly PublishedTxt[]): ChallengeGroups {
  const zones: ChallengeGroups = new Map();
  for (const c of challenges) {
    const zoneId = normalizeZoneId(c.zoneId);
    const name = normalizeName(c.recordName);
    let names = zones.get(zoneId);
    if (!names) zones.set(zoneId, (names = new Map()));
    const values = names.get(name) ?? [];
    if (!values.includes(c.value)) values.push(c.value);
    names.set(name, values);
  }
  return zones;
}

/**
 * Changes that make every wanted value present: per name, UPSERT the existing values ∪ ours (existing
 * TTL kept, else {@link CHALLENGE_TTL}). Names whose set already holds all our values need no change.
 * `existing` is keyed by normalized name; a missing key means no TXT set at that name.
 */
export function planPresent(
  wanted: ReadonlyMap<string, readonly string[]>,
  existing: ReadonlyMap<string, TxtRecordSet | undefined>,
  limits: BatchLimits = ROUTE53_LIMITS,
): ChangeBatch[] {
  return planPublish(wanted, new Map(), existing, limits);
}

/**
 * {@link planPresent}, and in the same changes the removal of `stale` values (left by an interrupted
 * run): per name, the existing values minus the stale ones, plus ours. A stale value that is also
 * wanted stays; every other value stays. A set left empty is DELETEd exactly as it stands.
 */
export function planPublish(
  wanted: ReadonlyMap<string, readonly string[]>,
  stale: ReadonlyMap<string, readonly string[]>,
  existing: ReadonlyMap<string, TxtRecordSet | undefined>,
  limits: BatchLimits = ROUTE53_LIMITS,
): ChangeBatch[] {
  const changes: Change[] = [];
  for (const name of new Set([...wanted.keys(), ...stale.keys()])) {
    const current = existing.get(normalizeName(name));
    const ours = (wanted.get(name) ?? []).map(quoteTxt);
    const gone = new Set((stale.get(name) ?? []).map(quoteTxt).filter((v) => !ours.includes(v)));
    const merged = (current?.values ?? []).filter((v) => !gone.has(v));
    for (const v of ours) if (!merged.includes(v)) merged.push(v);
    if (current ? sameValues(merged, current.values) : merged.length === 0) continue;
    changes.push(
      merged.length === 0
        ? txtChange('DELETE', current!.name, current!.ttl, current!.values)
        : txtChange('UPSERT', current?.name ?? name, current?.ttl ?? CHALLENGE_TTL, merged),
    );
  }
  return splitIntoBatches(changes, limits, 'certbeat: publish dns-01 values');
}

/**
 * Changes that remove exactly our values: when nothing else remains, DELETE the set exactly as it
 * stands (Route 53 refuses a DELETE that does not match name, type, TTL and every value); otherwise
 * UPSERT the remainder with the set's TTL. Values already gone need nothing.
 */
export function planCleanup(
  ours: ReadonlyMap<string, readonly string[]>,
  existing: ReadonlyMap<string, TxtRecordSet | undefined>,
  limits: BatchLimits = ROUTE53_LIMITS,
): ChangeBatch[] {
  const changes: Change[] = [];
  for (const [name, values] of ours) {
    const current = existing.get(normalizeName(name));
    if (!current) continue;
    const mine = new Set(values.map(quoteTxt));
    const remainder = current.values.filter((v) => !mine.has(v));
    if (remainder.length === current.values.length) continue;
    changes.push(
      remainder.length === 0
        ? txtChange('DELETE', current.name, current.ttl, current.values)
        : txtChange('UPSERT', current.name, current.ttl, remainder),
    );
  }
  return splitIntoBatches(changes, limits, 'certbeat: remove dns-01 values');
}

/** What a change counts against Route 53's per-request limits (UPSERT twice). */
export function changeCost(change: Change): { records: number; valueChars: number } {
  const records = change.ResourceRecordSet?.ResourceRecords ?? [];
  const factor = change.Action === 'UPSERT' ? 2 : 1;
  const chars = records.reduce((n, r) => n + (r.Value?.length ?? 0), 0);
  return { records: records.length * factor, valueChars: chars * factor };
}

/**
 * Packs changes in order into as few batches as the limits allow. A change is never split (it is
 * one record set); a single change over the limits goes alone and Route 53 will say why.
 */
export function splitIntoBatches(changes: readonly Change[], limits: BatchLimits, comment: string): ChangeBatch[] {
  const batches: Change[][] = [];
  let current: Change[] = [];
  let records = 0;
  let chars = 0;
  for (const change of changes) {
    const cost = changeCost(change);
    if (current.length > 0 && (records + cost.records > limits.maxRecords || chars + cost.valueChars > limits.maxValueChars)) {
      batches.push(current);
      current = [];
      records = 0;
      chars = 0;
    }
    current.push(change);
    records += cost.records;
    chars += cost.valueChars;
  }
  if (current.length > 0) batches.push(current);
  return batches.map((Changes, i) => ({
    Comment: batches.length > 1 ? `${comment} (${i + 1}/${batches.length})` : comment,
    Changes,
  }));
}

function sameValues(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v) => b.includes(v));
}

function txtChange(action: 'UPSERT' | 'DELETE', name: string, ttl: number, values: readonly string[]): Change {
  return {
    Action: action,
    ResourceRecordSet: { Name: name, Type: 'TXT', TTL: ttl, ResourceRecords: values.map((Value) => ({ Value })) },
  };
}
