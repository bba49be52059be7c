/**
 * A Route 53 emulator speaking the real REST/XML API (version 2013-04-01) on a loopback port, so the
 * unmodified `@aws-sdk/client-route-53` reaches it through `endpoint` / `AWS_ENDPOINT_URL_ROUTE_53`.
 *
 * Contract:
 * - Operations: ListHostedZones, ListHostedZonesByName, GetHostedZone, ChangeResourceRecordSets,
 *   ListResourceRecordSets, GetChange. Every request needs a SigV4 Authorization header scoped to
 *   `route53` (the signature is not checked).
 * - ChangeResourceRecordSets applies a batch atomically and enforces Route 53's rules with its error
 *   texts (see route53-emulator/change-batch.ts); GetChange answers PENDING until `insyncAfterMs`
 *   after the change, then INSYNC.
 * - With `challtestsrvManagementUrl`, every applied change to an `_acme-challenge.` TXT set is mirrored
 *   to pebble-challtestsrv (clear-txt, then set-txt per value, unquoted) before the API answers, so an
 *   ACME CA validates exactly what Route 53 holds. Only the zone the public DNS answers from for that
 *   name is mirrored (see route53-emulator/authority.ts): a value in a parent zone below a delegated
 *   sub-zone, or in an undelegated zone, is stored but never validates.
 * - A record name outside the zone's name is refused with Route 53's text
 *   `[RRSet with DNS name X. is not permitted in zone Z.]` (InvalidChangeBatch), the whole batch with it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { authorizationProblem, listen, requestId } from './emulator-support/http.js';
import { document, element, parseXml, ROUTE53_NS, XmlSyntaxError, type XmlValue } from './route53-emulator/xml.js';
import { applyChanges, InvalidInput, parseChangeBatch, quotaMessages } from './route53-emulator/change-batch.js';
import { txtContent, wireName } from './route53-emulator/names.js';
import { newId, newZone, sortedRecords, type ChangeRecord, type Zone } from './route53-emulator/state.js';
import { ApiError } from './route53-emulator/api-error.js';
import { authoritativeZone } from './route53-emulator/authority.js';
import { hostedZone, listHostedZones, listHostedZonesByName, listResourceRecordSets } from './route53-emulator/listings.js';

export interface Route53Call {
  action: string;
  zoneId?: string;
  changeCount?: number;
}

export interface Route53Emulator {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  /**
   * Creates a hosted zone (with its SOA and NS sets); returns the bare id, e.g. `Z0ABC...`.
   * `delegated: false` makes a zone the public DNS does not point at (the registrar names other name
   * servers): its changes are accepted but never reach challtestsrv, so the CA never sees them.
   */
  createZone(name: string, opts?: { private?: boolean; nameServers?: string[]; delegated?: boolean }): Promise<string>;
  /** The zone's record sets in listing order, names fully qualified (wire form), TXT values quoted. */
  records(zoneId: string): Array<{ name: string; type: string; ttl?: number; values: string[] }>;
  /** Every API call in order. */
  calls: Route53Call[];
  /** Also forwards the TXT set at `name` to challtestsrv (an alias target without an `_acme-challenge` label). */
  forwardTxtAt(name: string): void;
  /** The next `count` ChangeResourceRecordSets calls fail with this error, as Route 53 sends it. */
  failNext(count: number, code: 'Throttling' | 'PriorRequestNotComplete'): void;
  stop(): Promise<void>;
}

const FAILURE_TEXT: Record<'Throttling' | 'PriorRequestNotComplete', string> = {
  Throttling: 'Rate exceeded',
  PriorRequestNotComplete: 'The request was rejected because Route 53 was still processing a prior request.',
};

const BASE = '/2013-04-01';

export async function startRoute53Emulator(opts: {
  challtestsrvManagementUrl?: string;
  insyncAfterMs?: number;
} = {}): Promise<Route53Emulator> {
  const insyncAfterMs = opts.insyncAfterMs ?? 200;
  const zones = new Map<string, Zone>();
  const changes = new Map<string, ChangeRecord>();
  const calls: Route53Call[] = [];
  const pendingFailures: Array<'Throttling' | 'PriorRequestNotComplete'> = [];
  const undelegated = new Set<string>();
  // TXT names forwarded besides `_acme-challenge.*` (CNAME-delegated challenge aliases), fully qualified.
  const extraTxtNames = new Set<string>();
  // Batches are applied one at a time (forwarding awaits challtestsrv between validate and answer).
  let queue: Promise<unknown> = Promise.resolve();

  const zoneOrThrow = (id: string): Zone => {
    const zone = zones.get(id);
    if (!zone) throw new ApiError(404, 'NoSuchHostedZone', `No hosted zone found with ID: ${id}`);
    return zone;
  };

  const mirror = async (sets: Array<{ name: string; values: string[] }>): Promise<void> => {
    const base = opts.challtestsrvManagementUrl;
    if (!base) return;
    const post = async (path: string, body: object): Promise<void> => {
      const res = await fetch(new URL(path, base), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`challtestsrv ${path} answered HTTP ${res.status}`);
    };
    for (const { name, values } of sets) {
      await post('/clear-txt', { host: name });
      for (const v of values) await post('/set-txt', { host: name, value: txtContent(v) });
    }
  };

  // Only the sets this zone answers for in DNS: not an undelegated zone's, not a parent's below a sub-zone.
  const challengeSets = (zone: Zone, keys: string[]) =>
    keys
      .map((k) => k.split('|') as [string, string])
      .filter(([name, type]) => type === 'TXT' && (name.startsWith('_acme-challenge.') || extraTxtNames.has(name)))
      .filter(([name]) => authoritativeZone(name, zones.values(), undelegated) === zone)
      .map(([name, type]) => ({ name, values: zone.records.get(`${name}|${type}`)?.values ?? [] }));

  const changeResourceRecordSets = async (zone: Zone, body: string): Promise<string> => {
    let parsed;
    try {
      parsed = parseChangeBatch(parseXml(body));
    } catch (e) {
      if (e instanceof XmlSyntaxError) throw new ApiError(400, 'InvalidInput', `Invalid XML ; ${e.message}`);
      if (e instanceof InvalidInput) throw new ApiError(400, 'InvalidInput', e.message);
      throw e;
    }
    const quota = quotaMessages(parsed.changes);
    if (quota.length > 0) throw new ApiError(400, 'InvalidChangeBatch', `[${quota.join(', ')}]`);
    const result = applyChanges(zone.name, zone.records, parsed.changes);
    if (!result.ok) throw new ApiError(400, 'InvalidChangeBatch', `[${result.messages.join(', ')}]`);
    const previous = zone.records;
    zone.records = result.next;
    try {
      await mirror(challengeSets(zone, result.touched));
    } catch (e) {
      zone.records = previous;
      await mirror(challengeSets(zone, result.touched)).catch(() => undefined);
      throw new ApiError(500, 'InternalFailure', `forwarding to pebble-challtestsrv failed: ${String(e)}`);
    }
    const change: ChangeRecord = { id: newId('C'), submittedAt: new Date(), comment: parsed.comment };
    changes.set(change.id, change);
    return xml('ChangeResourceRecordSetsResponse', { ChangeInfo: changeInfo(change) });
  };

  const changeInfo = (c: ChangeRecord): XmlValue => ({
    Id: `/change/${c.id}`,
    Status: Date.now() - c.submittedAt.getTime() >= insyncAfterMs ? 'INSYNC' : 'PENDING',
    SubmittedAt: c.submittedAt.toISOString(),
    Comment: c.comment,
  });

  const route = async (req: IncomingMessage, body: Buffer): Promise<string> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/+$/, '');
    const q = url.searchParams;
    const method = req.method ?? 'GET';
    let m: RegExpExecArray | null;
    if (method === 'GET' && path === `${BASE}/hostedzone`) {
      calls.push({ action: 'ListHostedZones' });
      return listHostedZones([...zones.values()], q);
    }
    if (method === 'GET' && path === `${BASE}/hostedzonesbyname`) {
      calls.push({ action: 'ListHostedZonesByName' });
      return listHostedZonesByName(zones.values(), q);
    }
    if ((m = /^\/2013-04-01\/hostedzone\/([^/]+)\/rrset$/.exec(path))) {
      const zoneId = decodeURIComponent(m[1]);
      if (method === 'POST') {
        const call: Route53Call = { action: 'ChangeResourceRecordSets', zoneId };
        calls.push(call);
        call.changeCount = (body.toString('utf8').match(/<Change>/g) ?? []).length;
        const failure = pendingFailures.shift();
        if (failure) throw new ApiError(400, failure, FAILURE_TEXT[failure]);
        const zone = zoneOrThrow(zoneId);
        const run = queue.then(() => changeResourceRecordSets(zone, body.toString('utf8')));
        queue = run.catch(() => undefined);
        return run;
      }
      if (method === 'GET') {
        calls.push({ action: 'ListResourceRecordSets', zoneId });
        return listResourceRecordSets(zoneOrThrow(zoneId), q);
      }
    }
    if (method === 'GET' && (m = /^\/2013-04-01\/hostedzone\/([^/]+)$/.exec(path))) {
      const zoneId = decodeURIComponent(m[1]);
      calls.push({ action: 'GetHostedZone', zoneId });
      const zone = zoneOrThrow(zoneId);
      return xml('GetHostedZoneResponse', {
        HostedZone: hostedZone(zone),
        DelegationSet: zone.private ? undefined : { NameServers: { NameServer: zone.nameServers } },
        VPCs: zone.private ? { VPC: { VPCRegion: 'us-east-1', VPCId: 'vpc-0emulator0000000' } } : undefined,
      });
    }
    if (method === 'GET' && (m = /^\/2013-04-01\/change\/([^/]+)$/.exec(path))) {
      const id = decodeURIComponent(m[1]);
      calls.push({ action: 'GetChange' });
      const change = changes.get(id);
      if (!change) throw new ApiError(404, 'NoSuchChange', `A change with the specified change ID does not exist: ${id}`);
      return xml('GetChangeResponse', { ChangeInfo: changeInfo(change) });
    }
    calls.push({ action: `Unsupported ${method} ${path}` });
    throw new ApiError(404, 'UnknownOperationException', `The certbeat Route 53 emulator does not implement ${method} ${path}`);
  };

  const server = await listen(
    async (req, body, res) => {
      const auth = authorizationProblem(req, 'route53');
      if (auth) return sendError(res, new ApiError(403, auth.code, auth.message));
      try {
        const text = await route(req, body);
        res.writeHead(200, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId() });
        res.end(text);
      } catch (e) {
        if (e instanceof ApiError) return sendError(res, e);
        throw e;
      }
    },
    (_req, res, err) => sendError(res, new ApiError(500, 'InternalFailure', String(err))),
  );

  return {
    endpoint: server.endpoint,
    calls,
    forwardTxtAt(name) {
      extraTxtNames.add(name.toLowerCase().endsWith('.') ? name.toLowerCase() : `${name.toLowerCase()}.`);
    },
    async createZone(name, zoneOpts = {}) {
      const zone = newZone(name, zoneOpts);
      zones.set(zone.id, zone);
      if (zoneOpts.delegated === false) undelegated.add(zone.id);
      return zone.id;
    },
    records(zoneId) {
      return sortedRecords(zoneOrThrow(zoneId)).map((r) => ({
        name: wireName(r.name),
        type: r.type,
        ttl: r.ttl,
        values: [...r.values],
      }));
    },
    failNext(count, code) {
      for (let i = 0; i < count; i++) pendingFailures.push(code);
    },
    stop: server.stop,
  };
}

function xml(root: string, members: { [name: string]: XmlValue }): string {
  return document(root, members);
}

function sendError(res: ServerResponse, e: ApiError): void {
  const type = e.status >= 500 ? 'Receiver' : 'Sender';
  const text =
    `<?xml version="1.0"?>\n<ErrorResponse xmlns="${ROUTE53_NS}">` +
    element('Error', { Type: type, Code: e.code, Message: e.message }) +
    element('RequestId', requestId()) +
    '</ErrorResponse>';
  res.writeHead(e.status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId() });
  res.end(text);
}
