/**
 * ChangeResourceRecordSets semantics: read the request document, enforce the request quotas, then
 * validate every change in order against a working copy of the zone; the caller commits the copy
 * only when no change failed (Route 53 applies a batch entirely or not at all). Messages are the
 * ones Route 53 returns in its InvalidChangeBatch error.
 */
import { child, childText, children, type XmlElement } from './xml.js';
import { canonicalName, isInZone, parseTxtValue, wireName } from './names.js';

export interface RecordSet {
  /** Canonical: lower-case, escapes decoded, trailing dot. */
  name: string;
  type: string;
  ttl?: number;
  values: string[];
}

export interface Change {
  action: 'CREATE' | 'DELETE' | 'UPSERT';
  set: RecordSet;
}

/** A problem with the request document itself (Route 53's InvalidInput). */
export class InvalidInput extends Error {}

export const RECORD_LIMIT = 1000;
export const VALUE_CHARACTER_LIMIT = 32000;

const RR_TYPES = new Set([
  'SOA', 'A', 'TXT', 'NS', 'CNAME', 'MX', 'NAPTR', 'PTR', 'SRV', 'SPF', 'AAAA', 'CAA', 'DS', 'TLSA', 'SSHFP', 'SVCB', 'HTTPS',
]);

export function recordKey(name: string, type: string): string {
  return `${name}|${type}`;
}

/** Reads the ChangeResourceRecordSetsRequest document; throws InvalidInput for what the real schema refuses. */
export function parseChangeBatch(root: XmlElement): { changes: Change[]; comment?: string } {
  if (root.name !== 'ChangeResourceRecordSetsRequest') {
    throw new InvalidInput(`Invalid XML ; unexpected root element ${root.name}`);
  }
  const batch = child(root, 'ChangeBatch');
  const changeEls = children(child(batch, 'Changes'), 'Change');
  if (!batch || changeEls.length === 0) {
    throw new InvalidInput("Invalid XML ; The content of element 'Changes' is not complete. One of 'Change' is expected.");
  }
  const changes = changeEls.map((el): Change => {
    const action = childText(el, 'Action');
    if (action !== 'CREATE' && action !== 'DELETE' && action !== 'UPSERT') {
      throw new InvalidInput(`Invalid XML ; Value '${action ?? ''}' is not facet-valid with respect to enumeration '[CREATE, DELETE, UPSERT]'.`);
    }
    const rrs = child(el, 'ResourceRecordSet');
    const rawName = childText(rrs, 'Name');
    const type = childText(rrs, 'Type');
    if (!rrs || !rawName || !type) throw new InvalidInput("Invalid XML ; The content of element 'ResourceRecordSet' is not complete.");
    if (!RR_TYPES.has(type)) {
      throw new InvalidInput(`Invalid XML ; Value '${type}' is not facet-valid with respect to enumeration of RRType.`);
    }
    for (const unsupported of ['AliasTarget', 'SetIdentifier', 'TrafficPolicyInstanceId']) {
      if (child(rrs, unsupported)) throw new InvalidInput(`${unsupported} is not supported by the certbeat Route 53 emulator`);
    }
    const ttlText = childText(rrs, 'TTL');
    const recordsEl = child(rrs, 'ResourceRecords');
    const name = canonicalName(rawName.trim());
    if (ttlText === undefined || !recordsEl) {
      throw new InvalidInput(
        `Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none in Change with [Action=${action}, Name=${wireName(name)}, Type=${type}, SetIdentifier=null]`,
      );
    }
    const ttl = Number(ttlText);
    if (!/^\d+$/.test(ttlText.trim()) || ttl > 2147483647) throw new InvalidInput(`Invalid XML ; '${ttlText}' is not a valid value for 'TTL'.`);
    const values = children(recordsEl, 'ResourceRecord').map((r) => childText(r, 'Value'));
    if (values.length === 0 || values.some((v) => v === undefined)) {
      throw new InvalidInput("Invalid XML ; The content of element 'ResourceRecords' is not complete. One of 'ResourceRecord' is expected.");
    }
    return { action, set: { name, type, ttl, values: values as string[] } };
  });
  return { changes, comment: childText(batch, 'Comment') };
}

/** The request quotas; an UPSERT counts twice (it is a DELETE and a CREATE). */
export function quotaMessages(changes: Change[]): string[] {
  let records = 0;
  let characters = 0;
  for (const c of changes) {
    const weight = c.action === 'UPSERT' ? 2 : 1;
    records += weight * c.set.values.length;
    characters += weight * c.set.values.reduce((n, v) => n + v.length, 0);
  }
  const messages: string[] = [];
  if (records > RECORD_LIMIT) messages.push(`Number of records limit of ${RECORD_LIMIT} exceeded.`);
  if (characters > VALUE_CHARACTER_LIMIT) messages.push(`Number of characters limit of ${VALUE_CHARACTER_LIMIT} exceeded.`);
  return messages;
}

/**
 * Applies `changes` to a copy of `current` (keyed by recordKey). Returns the new map and the keys it
 * touched, or every InvalidChangeBatch message when any change is refused.
 */
export function applyChanges(
  zoneName: string,
  current: ReadonlyMap<string, RecordSet>,
  changes: Change[],
): { ok: true; next: Map<string, RecordSet>; touched: string[] } | { ok: false; messages: string[] } {
  const messages: string[] = [];
  const next = new Map(current);
  const touched: string[] = [];
  // Route 53 takes a DELETE followed by a CREATE/UPSERT of one set (the pre-UPSERT way to replace it);
  // any other repeat of a name and type in one batch is an invalid set of changes.
  const seen = new Map<string, Change['action'][]>();
  for (const { action, set } of changes) {
    const key = recordKey(set.name, set.type);
    const before = seen.get(key) ?? [];
    seen.set(key, [...before, action]);
    const allowedRepeat = before.length === 1 && before[0] === 'DELETE' && action !== 'DELETE';
    if (before.length > 0 && !allowedRepeat) {
      const msg = `The request contains an invalid set of changes for a resource record set '${set.type} ${wireName(set.name)}'`;
      if (!messages.includes(msg)) messages.push(msg);
    }
  }
  for (const { action, set } of changes) {
    const shown = `[name='${wireName(set.name)}', type='${set.type}']`;
    if (!isInZone(set.name, zoneName)) {
      messages.push(`RRSet with DNS name ${wireName(set.name)} is not permitted in zone ${wireName(zoneName)}`);
      continue;
    }
    const valueProblems = validateValues(set);
    if (valueProblems.length > 0) {
      messages.push(...valueProblems);
      continue;
    }
    const key = recordKey(set.name, set.type);
    const existing = next.get(key);
    if (action === 'CREATE') {
      if (existing) {
        messages.push(`Tried to create resource record set ${shown} but it already exists`);
        continue;
      }
      next.set(key, copy(set));
    } else if (action === 'UPSERT') {
      next.set(key, copy(set));
    } else {
      if (!existing) {
        messages.push(`Tried to delete resource record set ${shown} but it was not found`);
        continue;
      }
      if (!sameContents(existing, set)) {
        messages.push(`Tried to delete resource record set ${shown} but the values provided do not match the current values`);
        continue;
      }
      next.delete(key);
    }
    if (!touched.includes(key)) touched.push(key);
  }
  return messages.length > 0 ? { ok: false, messages } : { ok: true, next, touched };
}

function validateValues(set: RecordSet): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const value of set.values) {
    if (set.type === 'TXT' || set.type === 'SPF') {
      const parsed = parseTxtValue(value);
      if (!parsed.ok) problems.push(parsed.message);
    } else if (set.type === 'A' && !isIPv4(value)) {
      problems.push(`Invalid Resource Record: 'FATAL problem: ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address) encountered with '${value}''`);
    }
    if (seen.has(value)) problems.push(`Duplicate Resource Record: '${value}'`);
    seen.add(value);
  }
  return problems;
}

function isIPv4(v: string): boolean {
  const parts = v.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

/** A DELETE must repeat the set exactly: TTL and values (in any order). */
function sameContents(a: RecordSet, b: RecordSet): boolean {
  if (a.ttl !== b.ttl || a.values.length !== b.values.length) return false;
  const sa = [...a.values].sort();
  const sb = [...b.values].sort();
  return sa.every((v, i) => v === sb[i]);
}

function copy(set: RecordSet): RecordSet {
  return { ...set, values: [...set.values] };
}
