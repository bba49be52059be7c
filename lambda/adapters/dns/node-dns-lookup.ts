/**
 * `DnsLookup` over Node's c-ares resolver (`node:dns/promises`), and raw `dns-packet` queries for the
 * DNSSEC types c-ares cannot ask (DS, DNSKEY). The resolver's servers are configurable so the testbed
 * can point pre-flight checks at its own DNS server; without servers it uses the system's.
 */
import { Resolver } from 'node:dns/promises';
import type { Answer } from 'dns-packet';
import { TransientError } from '../../domain/errors.js';
import type { DnsLookup } from '../../domain/ports.js';
import { parseServer, rawQuery, type Server } from './raw-query.js';

export interface NodeDnsLookupOptions {
  /** Resolver addresses as `host:port` (or plain IPs for port 53); default: the system's. */
  servers?: string[];
  /** How long one query may take before it fails with `TransientError`. Default 5000 ms. */
  timeoutMs?: number;
}

// "No such records": an answer, not a failure.
const EMPTY_CODES = new Set(['ENODATA', 'ENOTFOUND']);

/**
 * Public DNS lookups for the pre-flight checks.
 *
 * Contract: names are returned lower-case without a trailing dot; NXDOMAIN and NODATA resolve to `[]`;
 * anything else (SERVFAIL, NOTIMP, REFUSED, timeouts, unreachable servers) rejects with
 * `TransientError` carrying the resolver's error as `cause`. Each query is tried once, so a dead server
 * fails within `timeoutMs`.
 */
export class NodeDnsLookup implements DnsLookup {
  private readonly servers?: string[];
  private readonly timeoutMs: number;
  private readonly serversText: string;
  /** The same servers c-ares uses, in its order, for the raw DS / DNSKEY queries. */
  private readonly rawServers: Server[];

  constructor(options: NodeDnsLookupOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.servers = options.servers?.length ? [...options.servers] : undefined;
    // Validates the addresses now, not at the first lookup.
    const effective = this.newResolver().getServers();
    this.serversText = effective.join(', ') || 'the system resolver';
    this.rawServers = effective.map(parseServer);
  }

  async ns(name: string): Promise<string[]> {
    return (await this.query('NS', name, (r) => r.resolveNs(name))).map(normalize);
  }

  async caa(name: string): Promise<Array<{ critical: number; tag: string; value: string }>> {
    const records = await this.query('CAA', name, (r) => r.resolveCaa(name));
    // Node returns `{ critical, <tag>: value }`; the one key besides `critical` is the tag.
    return records.flatMap((record) => {
      const { critical, ...rest } = record as unknown as Record<string, unknown> & { critical: number };
      return Object.entries(rest).map(([tag, value]) => ({ critical, tag, value: String(value) }));
    });
  }

  async cname(name: string): Promise<string[]> {
    return (await this.query('CNAME', name, (r) => r.resolveCname(name))).map(normalize);
  }

  async ds(name: string): Promise<Array<{ keyTag: number; algorithm: number; digestType: number; digest: string }>> {
    return (await this.rawRecords('DS', name)).map((a) => {
      const d = (a as { data: unknown }).data as { keyTag: number; algorithm: number; digestType: number; digest: Buffer };
      return { keyTag: d.keyTag, algorithm: d.algorithm, digestType: d.digestType, digest: d.digest.toString('hex') };
    });
  }

  async dnskey(name: string): Promise<Array<{ flags: number; protocol: number; algorithm: number; publicKey: string }>> {
    return (await this.rawRecords('DNSKEY', name)).map((a) => {
      // dns-packet refuses any protocol but 3 while decoding, so 3 is what was on the wire.
      const d = (a as { data: unknown }).data as { flags: number; algorithm: number; key: Buffer };
      return { flags: d.flags, protocol: 3, algorithm: d.algorithm, publicKey: d.key.toString('base64') };
    });
  }

  /**
   * Records of `type` owned by `name`, asking each server once in turn until one answers NOERROR or
   * NXDOMAIN (as c-ares does with `tries: 1`).
   */
  private async rawRecords(type: 'DS' | 'DNSKEY', name: string): Promise<Answer[]> {
    const owner = normalize(name);
    let failure: { what: string; cause: unknown } = { what: 'no resolver configured', cause: undefined };
    for (const server of this.rawServers) {
      try {
        const reply = await rawQuery(server, owner, type, this.timeoutMs);
        if (reply.rcode === 'NXDOMAIN') return [];
        if (reply.rcode === 'NOERROR') return reply.answers.filter((a) => a.type === type && normalize(a.name) === owner);
        failure = { what: reply.rcode, cause: undefined };
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        failure = { what: message === 'ETIMEOUT' ? `no answer within ${this.timeoutMs} ms` : message, cause: e };
      }
    }
    throw new TransientError(`DNS ${type} lookup of ${name} failed at ${this.serversText}: ${failure.what}`, {
      cause: failure.cause,
      remediation: 'Retried on the next run; if it persists, check that the DNS resolver is reachable and answers this query type.',
    });
  }

  private newResolver(): Resolver {
    const resolver = new Resolver({ timeout: this.timeoutMs, tries: 1 });
    if (this.servers) resolver.setServers(this.servers);
    return resolver;
  }

  private async query<T>(type: string, name: string, run: (resolver: Resolver) => Promise<T[]>): Promise<T[]> {
    // One resolver per query, so a timed-out query can be cancelled without touching the others.
    // c-ares's own timeout can take up to twice `timeout`, hence the guard timer.
    const resolver = this.newResolver();
    let timedOut = false;
    const guard = setTimeout(() => {
      timedOut = true;
      resolver.cancel();
    }, this.timeoutMs);
    try {
      return await run(resolver);
    } catch (e) {
      const code = timedOut ? 'ETIMEOUT' : ((e as NodeJS.ErrnoException).code ?? '');
      if (EMPTY_CODES.has(code)) return [];
      const what = timedOut ? `no answer within ${this.timeoutMs} ms` : code || String(e);
      throw new TransientError(`DNS ${type} lookup of ${name} failed at ${this.serversText}: ${what}`, {
        cause: e,
        remediation: 'Retried on the next run; if it persists, check that the DNS resolver is reachable and answers this query type.',
      });
    } finally {
      clearTimeout(guard);
    }
  }
}

function normalize(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}
