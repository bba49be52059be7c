/**
 * One DNS question sent as a raw packet (`dns-packet`) to one server: UDP first with EDNS0, then TCP
 * when the answer is truncated. Exists because `node:dns` cannot ask for DS or DNSKEY records.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type Answer, type DecodedPacket, type RecordType } from 'dns-packet';

export interface RawAnswer {
  rcode: string;
  answers: Answer[];
}

export interface Server {
  host: string;
  port: number;
}

// Large enough for a DNSKEY set with a rollover in progress, small enough to avoid IP fragmentation
// (the DNS Flag Day 2020 value); bigger answers come back truncated and are asked again over TCP.
const UDP_PAYLOAD = 1232;

/**
 * Parses a server as `node:dns` `getServers()` prints it: `1.2.3.4`, `1.2.3.4:5353`, `::1`,
 * `[::1]:5353`. Port 53 when none is given.
 */
export function parseServer(text: string): Server {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) return { host: bracketed[1], port: bracketed[2] ? Number(bracketed[2]) : 53 };
  if (net.isIPv6(text)) return { host: text, port: 53 };
  const i = text.lastIndexOf(':');
  if (i > 0) return { host: text.slice(0, i), port: Number(text.slice(i + 1)) };
  return { host: text, port: 53 };
}

/**
 * Asks `server` one question with RD and CD set (CD: the caller validates DNSSEC itself and needs the
 * records of a broken chain, which a validating resolver would otherwise hide behind SERVFAIL).
 * Rejects on timeout or a malformed / mismatched answer; returns any rcode as it came.
 */
export async function rawQuery(server: Server, name: string, type: RecordType, timeoutMs: number): Promise<RawAnswer> {
  const id = Math.floor(Math.random() * 0x10000);
  const query = {
    type: 'query' as const,
    id,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.CHECKING_DISABLED,
    questions: [{ type, name, class: 'IN' as const }],
    additionals: [{ type: 'OPT' as const, name: '.', udpPayloadSize: UDP_PAYLOAD, flags: 0 } as Answer],
  };
  const deadline = Date.now() + timeoutMs;
  let response = await overUdp(server, dnsPacket.encode(query), deadline);
  if (response.flag_tc) response = await overTcp(server, dnsPacket.encode(query), deadline);
  if (response.id !== id) throw new Error(`answer id ${response.id} does not match query id ${id}`);
  const q = response.questions?.[0];
  if (q && (q.type !== type || q.name.toLowerCase() !== name.toLowerCase().replace(/\.$/, ''))) {
    throw new Error(`answer is for ${q.type} ${q.name}, not ${type} ${name}`);
  }
  return { rcode: response.rcode ?? 'NOERROR', answers: response.answers ?? [] };
}

type Decoded = DecodedPacket & { rcode?: string; flag_tc?: boolean };

function remaining(deadline: number): number {
  return Math.max(1, deadline - Date.now());
}

async function overUdp(server: Server, msg: Buffer, deadline: number): Promise<Decoded> {
  const sock = dgram.createSocket(net.isIPv6(server.host) ? 'udp6' : 'udp4');
  try {
    return await new Promise<Decoded>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('ETIMEOUT')), remaining(deadline));
      sock.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      // A connected socket: the kernel drops datagrams from anyone but the server asked.
      sock.on('message', (resp) => {
        clearTimeout(timer);
        try {
          resolve(dnsPacket.decode(resp) as Decoded);
        } catch (e) {
          reject(e);
        }
      });
      sock.connect(server.port, server.host, () => sock.send(msg));
    });
  } finally {
    sock.close();
  }
}

async function overTcp(server: Server, msg: Buffer, deadline: number): Promise<Decoded> {
  return new Promise<Decoded>((resolve, reject) => {
    const conn = net.connect(server.port, server.host);
    const timer = setTimeout(() => {
      conn.destroy();
      reject(new Error('ETIMEOUT'));
    }, remaining(deadline));
    const framed = Buffer.alloc(2 + msg.length);
    framed.writeUInt16BE(msg.length, 0);
    msg.copy(framed, 2);
    let buf = Buffer.alloc(0);
    conn.on('connect', () => conn.write(framed));
    conn.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    conn.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
      clearTimeout(timer);
      conn.end();
      try {
        resolve(dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0))) as Decoded);
      } catch (e) {
        reject(e);
      }
    });
  });
}
