/**
 * The emulator's in-memory account: hosted zones with their record sets (created with the SOA and NS
 * sets Route 53 puts into every new zone) and submitted changes with their PENDING → INSYNC clock.
 */
import { randomInt } from 'node:crypto';
import { canonicalName, compareRecordSets, sortKey } from './names.js';
import { recordKey, type RecordSet } from './change-batch.js';

export interface Zone {
  id: string;
  name: string;
  callerReference: string;
  private: boolean;
  nameServers: string[];
  records: Map<string, RecordSet>;
}

export interface ChangeRecord {
  id: string;
  submittedAt: Date;
  comment?: string;
}

const PUBLIC_NS = ['ns-1.awsdns-01.org', 'ns-2.awsdns-02.co.uk', 'ns-3.awsdns-03.com', 'ns-4.awsdns-04.net'];
// Private zones get these four from Route 53, always.
const PRIVATE_NS = ['ns-0.awsdns-00.com', 'ns-512.awsdns-00.net', 'ns-1024.awsdns-00.org', 'ns-1536.awsdns-00.co.uk'];

const ID_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

export function newId(prefix: string, length = 20): string {
  let s = prefix;
  while (s.length < length + prefix.length) s += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return s;
}

export function newZone(name: string, opts: { private?: boolean; nameServers?: string[] }): Zone {
  const canonical = canonicalName(name);
  const isPrivate = opts.private ?? false;
  const nameServers = opts.nameServers ?? (isPrivate ? PRIVATE_NS : PUBLIC_NS);
  const fq = (ns: string) => (ns.endsWith('.') ? ns : `${ns}.`);
  const records = new Map<string, RecordSet>();
  records.set(recordKey(canonical, 'NS'), { name: canonical, type: 'NS', ttl: 172800, values: nameServers.map(fq) });
  records.set(recordKey(canonical, 'SOA'), {
    name: canonical,
    type: 'SOA',
    ttl: 900,
    values: [`${fq(nameServers[0])} awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400`],
  });
  return {
    id: newId('Z0', 19),
    name: canonical,
    callerReference: newId('emulator-', 12),
    private: isPrivate,
    nameServers: nameServers.map((ns) => ns.replace(/\.$/, '')),
    records,
  };
}

/** Record sets in Route 53's listing order. */
export function sortedRecords(zone: Zone): RecordSet[] {
  return [...zone.records.values()].sort(compareRecordSets);
}

/** Zones in ListHostedZonesByName order: reversed-label name, then id. */
export function zonesByName(zones: Iterable<Zone>): Zone[] {
  return [...zones].sort((a, b) => {
    const ka = sortKey(a.name);
    const kb = sortKey(b.name);
    if (ka !== kb) return ka < kb ? -1 : 1;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
}
