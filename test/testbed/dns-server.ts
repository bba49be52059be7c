/**
 * A small authoritative DNS server for the testbed, built on `dns-packet`. It serves what tests put
 * in its table (NS, CAA, CNAME, TXT, A, DS, DNSKEY), which challtestsrv cannot do for NS (it answers
 * NOTIMP), and forwards every other query to challtestsrv so that one resolver address sees both.
 *
 * Answering rules, per query (first question only):
 * 1. records of that name and type in the table → NOERROR with them (authoritative);
 * 2. a CNAME at the name (and a query for another type) → the CNAME, followed within the table;
 * 3. a name the table knows, queried for NS, CAA or CNAME → NOERROR with no records (NODATA);
 * 4. DS or DNSKEY not in the table → NODATA, never forwarded: challtestsrv has none, and the testbed's
 *    zones are unsigned unless a test says otherwise;
 * 5. otherwise → forwarded to `forward` when given (SERVFAIL when it does not answer), else NODATA
 *    for a known name and NXDOMAIN for an unknown one.
 * DS records live in the table under the child's name, as a resolver answers them (the server does not
 * model zone cuts). Records are served unsigned (no RRSIG): enough for certbeat's DS-to-DNSKEY check.
 * Listens on UDP and TCP, 127.0.0.1, one ephemeral port. Over UDP, an answer larger than the client's
 * EDNS0 payload size (512 bytes without EDNS0) comes back empty with TC set, as real servers do, so
 * clients' TCP fallback is exercised.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type Answer, type DecodedPacket } from 'dns-packet';

export type DnsRecordType = 'NS' | 'CAA' | 'CNAME' | 'TXT' | 'A' | 'DS' | 'DNSKEY';

/** Record shapes `setRecords` accepts, per type. */
export interface DnsRecordInputs {
  /** Name server host names. */
  NS: string;
  /** `flags` defaults to 0; 128 marks the tag critical. */
  CAA: { flags?: number; tag: string; value: string };
  /** The target name (one record). */
  CNAME: string;
  /** The text; values over 255 bytes are split into several character-strings. */
  TXT: string;
  /** An IPv4 address. */
  A: string;
  /** A delegation signer; `digest` in hex, as in zone files. */
  DS: { keyTag: number; algorithm: number; digestType: number; digest: string };
  /** A zone key; `publicKey` in base64, as in zone files (protocol is always 3). */
  DNSKEY: { flags: number; algorithm: number; publicKey: string };
}

export interface DnsServer {
  /** `127.0.0.1:<port>`, for `Resolver.setServers` or pebble's `-dnsserver`. */
  address: string;
  /** Replaces the records of one name and type; an empty list removes them. */
  setRecords(name: string, type: DnsRecordType, records: unknown[]): void;
  /** Empties the table. */
  clear(): void;
  stop(): Promise<void>;
}

export interface DnsServerOptions {
  /** `host:port` of a DNS server (challtestsrv) that answers what the table does not. */
  forward?: string;
  /** How long to wait for the forward server before answering SERVFAIL. Default 2000 ms. */
  forwardTimeoutMs?: number;
}

const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, FORMERR: 1 } as const;
const FLAG_AA = 1 << 10;
const FLAG_RD = 1 << 8;
const FLAG_RA = 1 << 7;
const FLAG_TC = 1 << 9;
const TTL = 60;
const OWN_TYPES = new Set(['NS', 'CAA', 'CNAME']);
const NEVER_FORWARDED = new Set(['DS', 'DNSKEY']);

function norm(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

function toAnswerData(type: DnsRecordType, r: unknown): unknown {
  switch (type) {
    case 'NS':
    case 'CNAME':
    case 'A':
      if (typeof r !== 'string') throw new TypeError(`${type} records are strings, got ${JSON.stringify(r)}`);
      return type === 'A' ? r : norm(r);
    case 'TXT': {
      if (typeof r !== 'string') throw new TypeError(`TXT records are strings, got ${JSON.stringify(r)}`);
      const bytes = Buffer.from(r, 'utf8');
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += 255) chunks.push(bytes.subarray(i, i + 255));
      return chunks.length ? chunks : [Buffer.alloc(0)];
    }
    case 'CAA': {
      const c = r as Partial<DnsRecordInputs['CAA']>;
      if (!c || typeof c.tag !== 'string' || typeof c.value !== 'string') {
        throw new TypeError(`CAA records are { flags?, tag, value }, got ${JSON.stringify(r)}`);
      }
      return { flags: c.flags ?? 0, tag: c.tag, value: c.value };
    }
    case 'DS': {
      const d = r as Partial<DnsRecordInputs['DS']>;
      if (!d || ![d.keyTag, d.algorithm, d.digestType].every(Number.isInteger) || typeof d.digest !== 'string' || !/^[0-9a-f]*$/i.test(d.digest)) {
        throw new TypeError(`DS records are { keyTag, algorithm, digestType, digest (hex) }, got ${JSON.stringify(r)}`);
      }
      return { keyTag: d.keyTag, algorithm: d.algorithm, digestType: d.digestType, digest: Buffer.from(d.digest, 'hex') };
    }
    case 'DNSKEY': {
      const k = r as Partial<DnsRecordInputs['DNSKEY']>;
      if (!k || !Number.isInteger(k.flags) || !Number.isInteger(k.algorithm) || typeof k.publicKey !== 'string') {
        throw new TypeError(`DNSKEY records are { flags, algorithm, publicKey (base64) }, got ${JSON.stringify(r)}`);
      }
      return { flags: k.flags, algorithm: k.algorithm, key: Buffer.from(k.publicKey, 'base64') };
    }
  }
}

function parseHostPort(s: string): { host: string; port: number } {
  const i = s.lastIndexOf(':');
  const port = Number(s.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port <= 0) throw new TypeError(`expected host:port, got "${s}"`);
  return { host: s.slice(0, i).replace(/^\[|\]$/g, ''), port };
}

/** Starts a server on 127.0.0.1 (UDP and TCP on the same ephemeral port). */
export async function startDnsServer(opts: DnsServerOptions = {}): Promise<DnsServer> {
  const table = new Map<string, Map<DnsRecordType, unknown[]>>();
  const forward = opts.forward ? parseHostPort(opts.forward) : undefined;
  const forwardTimeoutMs = opts.forwardTimeoutMs ?? 2000;

  const records = (name: string, type: string): unknown[] | undefined => table.get(name)?.get(type as DnsRecordType);

  function reply(query: DecodedPacket, rcode: number, answers: Answer[]): Buffer {
    return dnsPacket.encode({
      type: 'response',
      id: query.id,
      flags: FLAG_AA | FLAG_RA | ((query.flags ?? 0) & FLAG_RD) | rcode,
      questions: query.questions,
      answers,
    });
  }

  function fromTable(qname: string, qtype: string, name = norm(qname), depth = 0): Answer[] | undefined {
    const own = records(name, qtype);
    if (own?.length) return own.map((data) => ({ type: qtype, name: qname, ttl: TTL, data }) as Answer);
    const cname = qtype !== 'CNAME' ? records(name, 'CNAME') : undefined;
    if (cname?.length && depth < 8) {
      const target = cname[0] as string;
      const head = { type: 'CNAME', name: qname, ttl: TTL, data: target } as Answer;
      return [head, ...(fromTable(target, qtype, target, depth + 1) ?? [])];
    }
    return undefined;
  }

  async function forwardQuery(msg: Buffer): Promise<Buffer | undefined> {
    if (!forward) return undefined;
    const sock = dgram.createSocket(net.isIPv6(forward.host) ? 'udp6' : 'udp4');
    try {
      return await new Promise<Buffer | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), forwardTimeoutMs);
        sock.on('message', (resp) => {
          clearTimeout(timer);
          resolve(resp);
        });
        sock.on('error', () => {
          clearTimeout(timer);
          resolve(undefined);
        });
        sock.send(msg, forward.port, forward.host);
      });
    } finally {
      sock.close();
    }
  }

  async function answer(msg: Buffer): Promise<Buffer | undefined> {
    let query: DecodedPacket;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return undefined; // not DNS: drop, as real servers do
    }
    const q = query.questions?.[0];
    if (!q) return reply(query, RCODE.FORMERR, []);
    const name = norm(q.name);
    const answers = fromTable(q.name, q.type);
    if (answers) return reply(query, RCODE.NOERROR, answers);
    const known = table.has(name);
    if (known && OWN_TYPES.has(q.type)) return reply(query, RCODE.NOERROR, []);
    if (NEVER_FORWARDED.has(q.type)) return reply(query, RCODE.NOERROR, []);
    if (forward) return (await forwardQuery(msg)) ?? reply(query, RCODE.SERVFAIL, []);
    return reply(query, known ? RCODE.NOERROR : RCODE.NXDOMAIN, []);
  }

  const onUdp = (udp: dgram.Socket) =>
    udp.on('message', (msg, rinfo) => {
      void answer(msg).then((resp) => {
        if (resp) udp.send(fitUdp(msg, resp), rinfo.port, rinfo.address);
      });
    });

  const connections = new Set<net.Socket>();
  const tcp = net.createServer((conn) => {
    connections.add(conn);
    conn.on('close', () => connections.delete(conn));
    let buf = Buffer.alloc(0);
    conn.on('error', () => conn.destroy());
    conn.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        void answer(msg).then((resp) => {
          if (!resp || conn.destroyed) return;
          const framed = Buffer.alloc(2 + resp.length);
          framed.writeUInt16BE(resp.length, 0);
          resp.copy(framed, 2);
          conn.write(framed);
        });
      }
    });
  });

  const udp = await bindBoth(() => onUdp(dgram.createSocket('udp4')), tcp);
  const port = udp.address().port;

  return {
    address: `127.0.0.1:${port}`,
    setRecords(name, type, list) {
      const key = norm(name);
      const converted = list.map((r) => toAnswerData(type, r));
      const entry = table.get(key) ?? new Map<DnsRecordType, unknown[]>();
      if (converted.length) entry.set(type, converted);
      else entry.delete(type);
      if (entry.size) table.set(key, entry);
      else table.delete(key);
    },
    clear() {
      table.clear();
    },
    async stop() {
      await Promise.all([
        new Promise<void>((resolve) => udp.close(() => resolve())),
        new Promise<void>((resolve) => {
          tcp.close(() => resolve());
          // Drop idle resolver connections so close() does not wait for them.
          for (const c of connections) c.destroy();
        }),
      ]);
    },
  };
}

/** The response as a UDP client may receive it: truncated (TC, no records) when over its payload size. */
function fitUdp(query: Buffer, resp: Buffer): Buffer {
  let limit = 512;
  try {
    const opt = dnsPacket.decode(query).additionals?.find((a) => a.type === 'OPT') as { udpPayloadSize?: number } | undefined;
    if (opt?.udpPayloadSize) limit = Math.max(512, opt.udpPayloadSize);
  } catch {
    return resp;
  }
  if (resp.length <= limit) return resp;
  const decoded = dnsPacket.decode(resp);
  return dnsPacket.encode({ ...decoded, flags: (decoded.flags ?? 0) | FLAG_TC, answers: [], authorities: [], additionals: [] });
}

/** Binds a UDP socket to an ephemeral port, then TCP to the same one; on a clash, tries a new port. */
async function bindBoth(makeUdp: () => dgram.Socket, tcp: net.Server): Promise<dgram.Socket> {
  for (let attempt = 0; ; attempt++) {
    const udp = makeUdp();
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(0, '127.0.0.1', () => {
        udp.off('error', reject);
        resolve();
      });
    });
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(udp.address().port, '127.0.0.1', () => {
          tcp.off('error', reject);
          resolve();
        });
      });
      return udp;
    } catch (e) {
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      if (attempt >= 10 || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    }
  }
}
