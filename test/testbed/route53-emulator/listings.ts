/**
 * The Route 53 list and describe operations' response documents, with the real pagination rules:
 * ListHostedZones (Marker/NextMarker), ListHostedZonesByName (DNSName/HostedZoneId, reversed-label
 * order) and ListResourceRecordSets (StartRecordName/StartRecordType, Route 53's sort order).
 */
import { ApiError } from './api-error.js';
import { document, type XmlValue } from './xml.js';
import { canonicalName, compareRecordSets, sortKey, wireName } from './names.js';
import { sortedRecords, zonesByName, type Zone } from './state.js';
import type { RecordSet } from './change-batch.js';

function xml(root: string, members: { [name: string]: XmlValue }): string {
  return document(root, members);
}

export function hostedZone(z: Zone): XmlValue {
  return {
    Id: `/hostedzone/${z.id}`,
    Name: wireName(z.name),
    CallerReference: z.callerReference,
    Config: { PrivateZone: z.private },
    ResourceRecordSetCount: z.records.size,
  };
}

function maxItems(q: URLSearchParams, fallback: number): number {
  const raw = q.get('maxitems');
  if (raw === null) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new ApiError(400, 'InvalidInput', `Invalid value for MaxItems: ${raw}`);
  return Math.min(Number(raw), fallback);
}

export function listHostedZones(all: Zone[], q: URLSearchParams): string {
  const max = maxItems(q, 100);
  const type = q.get('hostedzonetype');
  const candidates = type === 'PrivateHostedZone' ? all.filter((z) => z.private) : all;
  const marker = q.get('marker') ?? undefined;
  let start = 0;
  if (marker !== undefined) {
    start = candidates.findIndex((z) => z.id === marker);
    if (start < 0) throw new ApiError(400, 'InvalidInput', `Invalid marker: ${marker}`);
  }
  const page = candidates.slice(start, start + max);
  const next = candidates[start + max];
  return xml('ListHostedZonesResponse', {
    HostedZones: { HostedZone: page.map(hostedZone) },
    Marker: marker,
    IsTruncated: next !== undefined,
    NextMarker: next?.id,
    MaxItems: max,
  });
}

export function listHostedZonesByName(all: Iterable<Zone>, q: URLSearchParams): string {
  const max = maxItems(q, 100);
  const dnsName = q.get('dnsname') ?? undefined;
  const zoneId = q.get('hostedzoneid') ?? undefined;
  if (zoneId !== undefined && dnsName === undefined) {
    throw new ApiError(400, 'InvalidInput', 'The input is not valid: HostedZoneId requires DNSName.');
  }
  const sorted = zonesByName(all);
  let start = 0;
  if (dnsName !== undefined) {
    const key = sortKey(canonicalName(dnsName));
    start = sorted.findIndex((z) => {
      const k = sortKey(z.name);
      return k > key || (k === key && (zoneId === undefined || z.id >= zoneId));
    });
    if (start < 0) start = sorted.length;
  }
  const page = sorted.slice(start, start + max);
  const next = sorted[start + max];
  return xml('ListHostedZonesByNameResponse', {
    HostedZones: { HostedZone: page.map(hostedZone) },
    DNSName: dnsName === undefined ? undefined : wireName(canonicalName(dnsName)),
    HostedZoneId: zoneId,
    IsTruncated: next !== undefined,
    NextDNSName: next ? wireName(next.name) : undefined,
    NextHostedZoneId: next?.id,
    MaxItems: max,
  });
}

export function listResourceRecordSets(zone: Zone, q: URLSearchParams): string {
  const max = maxItems(q, 300);
  const name = q.get('name') ?? undefined;
  const type = q.get('type') ?? undefined;
  if (type !== undefined && name === undefined) {
    throw new ApiError(400, 'InvalidInput', 'The input is not valid: StartRecordType requires StartRecordName.');
  }
  const all = sortedRecords(zone);
  let start = 0;
  if (name !== undefined) {
    const from = { name: canonicalName(name), type: type ?? '' };
    start = all.findIndex((r) => compareRecordSets(r, from) >= 0);
    if (start < 0) start = all.length;
  }
  const page = all.slice(start, start + max);
  const next = all[start + max];
  return xml('ListResourceRecordSetsResponse', {
    ResourceRecordSets: { ResourceRecordSet: page.map(recordSet) },
    IsTruncated: next !== undefined,
    NextRecordName: next ? wireName(next.name) : undefined,
    NextRecordType: next?.type,
    MaxItems: max,
  });
}

function recordSet(r: RecordSet): XmlValue {
  return {
    Name: wireName(r.name),
    Type: r.type,
    TTL: r.ttl,
    ResourceRecords: { ResourceRecord: r.values.map((v) => ({ Value: v })) },
  };
}
