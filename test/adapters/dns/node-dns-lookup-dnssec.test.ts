import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeDnsLookup } from '../../../lambda/adapters/dns/node-dns-lookup.js';
import { parseServer } from '../../../lambda/adapters/dns/raw-query.js';
import { TransientError } from '../../../lambda/domain/errors.js';
import { startDnsServer, type DnsServer } from '../../testbed/dns-server.js';
import { newDnskey } from '../../support/dnssec-keys.js';

// DS and DNSKEY go over raw dns-packet queries (node:dns cannot ask for them): tested against the
// testbed's real DNS server over UDP, and TCP when the answer is too big for UDP.
describe('NodeDnsLookup DS and DNSKEY', () => {
  let dns: DnsServer;
  let lookup: NodeDnsLookup;

  beforeAll(async () => {
    dns = await startDnsServer();
    lookup = new NodeDnsLookup({ servers: [dns.address], timeoutMs: 2000 });
  });
  afterAll(async () => {
    await dns?.stop();
  });

  it('returns DS records with the digest in lower-case hex', async () => {
    dns.setRecords('Signed.test', 'DS', [
      { keyTag: 2371, algorithm: 13, digestType: 2, digest: 'C988EC423E3880EB8DD8A46E0B5B0F1D5F9F3E6E3F1BCA0D66B2D2A1F0D1E2F3' },
    ]);
    expect(await lookup.ds('signed.test.')).toEqual([
      { keyTag: 2371, algorithm: 13, digestType: 2, digest: 'c988ec423e3880eb8dd8a46e0b5b0f1d5f9f3e6e3f1bca0d66b2d2a1f0d1e2f3' },
    ]);
  });

  it('returns DNSKEY records with flags, protocol, algorithm and the base64 key', async () => {
    const ksk = newDnskey(257);
    const zsk = newDnskey(256);
    dns.setRecords('signed.test', 'DNSKEY', [ksk, zsk]);
    const keys = await lookup.dnskey('signed.test');
    expect(keys).toHaveLength(2);
    expect(keys).toEqual(expect.arrayContaining([{ ...ksk, protocol: 3 }, { ...zsk, protocol: 3 }]));
  });

  it('returns [] for NXDOMAIN and for a name without DS or DNSKEY', async () => {
    dns.setRecords('plain.test', 'A', ['192.0.2.1']);
    expect(await lookup.ds('nowhere.test')).toEqual([]);
    expect(await lookup.dnskey('nowhere.test')).toEqual([]);
    expect(await lookup.ds('plain.test')).toEqual([]);
    expect(await lookup.dnskey('plain.test')).toEqual([]);
  });

  it('falls back to TCP when the DNSKEY set does not fit in a UDP answer', async () => {
    // 20 keys of 64 bytes plus headers are over the 1232-byte EDNS0 size the adapter advertises.
    const many = Array.from({ length: 20 }, () => newDnskey(256));
    dns.setRecords('big.test', 'DNSKEY', many);
    const keys = await lookup.dnskey('big.test');
    expect(keys.map((k) => k.publicKey).sort()).toEqual(many.map((k) => k.publicKey).sort());
  });

  it('ignores records owned by another name (a CNAME target)', async () => {
    dns.setRecords('alias.test', 'CNAME', ['signed.test']);
    expect(await lookup.dnskey('alias.test')).toEqual([]);
  });

  it('throws TransientError within the timeout when the server never answers', async () => {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', () => resolve()));
    try {
      const dead = new NodeDnsLookup({ servers: [`127.0.0.1:${sock.address().port}`], timeoutMs: 300 });
      const started = Date.now();
      const err = await dead.ds('example.test').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransientError);
      expect((err as Error).message).toContain('DS lookup of example.test');
      expect((err as Error).message).toContain('no answer within 300 ms');
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      sock.close();
    }
  });

  it('throws TransientError on SERVFAIL', async () => {
    // A validating resolver that still SERVFAILs (e.g. one ignoring CD): answers every query so.
    const sock = dgram.createSocket('udp4');
    sock.on('message', (msg, rinfo) => {
      const q = dnsPacket.decode(msg);
      sock.send(dnsPacket.encode({ type: 'response', id: q.id, flags: 2, questions: q.questions }), rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', () => resolve()));
    try {
      const viaFailing = new NodeDnsLookup({ servers: [`127.0.0.1:${sock.address().port}`], timeoutMs: 2000 });
      const err = await viaFailing.dnskey('anything.test').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransientError);
      expect((err as Error).message).toBe(`DNS DNSKEY lookup of anything.test failed at 127.0.0.1:${sock.address().port}: SERVFAIL`);
    } finally {
      sock.close();
    }
  });
});

describe('parseServer', () => {
  it('reads the forms node:dns getServers() prints', () => {
    expect(parseServer('192.0.2.53')).toEqual({ host: '192.0.2.53', port: 53 });
    expect(parseServer('127.0.0.1:5353')).toEqual({ host: '127.0.0.1', port: 5353 });
    expect(parseServer('::1')).toEqual({ host: '::1', port: 53 });
    expect(parseServer('[::1]:5353')).toEqual({ host: '::1', port: 5353 });
  });
});
