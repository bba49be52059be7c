import dgram from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import net from 'node:net';
import dnsPacket, { type DecodedPacket, type RecordType } from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChalltestsrv, type Challtestsrv } from './challtestsrv.js';
import { startDnsServer, type DnsServer } from './dns-server.js';

type Response = DecodedPacket & { rcode?: string };

function hostPort(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i), port: Number(address.slice(i + 1)) };
}

/** One raw query over UDP, so the test sees rcodes and flags the resolver hides. */
async function udpQuery(address: string, name: string, type: RecordType): Promise<Response> {
  const { host, port } = hostPort(address);
  const sock = dgram.createSocket('udp4');
  try {
    return await new Promise<Response>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer for ${type} ${name}`)), 3000);
      sock.once('message', (msg) => {
        clearTimeout(timer);
        resolve(dnsPacket.decode(msg) as Response);
      });
      sock.send(dnsPacket.encode({ type: 'query', id: 4242, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name }] }), port, host);
    });
  } finally {
    sock.close();
  }
}

/** One query over TCP (2-byte length framing). */
async function tcpQuery(address: string, name: string, type: RecordType): Promise<Response> {
  const { host, port } = hostPort(address);
  return new Promise<Response>((resolve, reject) => {
    const conn = net.connect(port, host, () => conn.write(dnsPacket.streamEncode({ type: 'query', id: 7, questions: [{ type, name }] })));
    let buf = Buffer.alloc(0);
    conn.on('error', reject);
    conn.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        conn.end();
        resolve(dnsPacket.decode(buf.subarray(2)) as Response);
      }
    });
  });
}

describe('startDnsServer without forwarding', () => {
  let dns: DnsServer;
  let resolver: Resolver;

  beforeAll(async () => {
    dns = await startDnsServer();
    resolver = new Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([dns.address]);
  });
  afterAll(async () => {
    await dns?.stop();
  });

  it('listens on an ephemeral loopback port and answers every record type from its table', async () => {
    expect(dns.address).toMatch(/^127\.0\.0\.1:\d+$/);
    dns.setRecords('Example.test.', 'NS', ['ns-1.dns.test.', 'ns-2.dns.test']);
    dns.setRecords('example.test', 'CAA', [
      { tag: 'issue', value: 'letsencrypt.org' },
      { flags: 128, tag: 'tbs', value: 'x' },
    ]);
    dns.setRecords('www.example.test', 'A', ['192.0.2.7']);
    dns.setRecords('note.example.test', 'TXT', ['hello', 'x'.repeat(300)]);

    expect((await resolver.resolveNs('example.test')).sort()).toEqual(['ns-1.dns.test', 'ns-2.dns.test']);
    expect(await resolver.resolveCaa('example.test')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ critical: 0, issue: 'letsencrypt.org' }),
        expect.objectContaining({ critical: 128, tbs: 'x' }),
      ]),
    );
    expect(await resolver.resolve4('www.example.test')).toEqual(['192.0.2.7']);
    const txt = (await resolver.resolveTxt('note.example.test')).map((chunks) => chunks.join('')).sort();
    expect(txt).toEqual(['hello', 'x'.repeat(300)]);

    const raw = await udpQuery(dns.address, 'example.test', 'NS');
    expect(raw.id).toBe(4242);
    expect(raw.flag_aa).toBe(true);
    expect(raw.flag_rd).toBe(true);
  });

  it('answers a CNAME, and follows it within its table for other types', async () => {
    dns.setRecords('_acme-challenge.site.test', 'CNAME', ['_acme-challenge.delegated.test.']);
    dns.setRecords('_acme-challenge.delegated.test', 'TXT', ['token']);

    expect(await resolver.resolveCname('_acme-challenge.site.test')).toEqual(['_acme-challenge.delegated.test']);
    const raw = await udpQuery(dns.address, '_acme-challenge.site.test', 'TXT');
    expect(raw.answers?.map((a) => a.type)).toEqual(['CNAME', 'TXT']);
    expect(raw.answers?.[0]).toMatchObject({ name: '_acme-challenge.site.test', data: '_acme-challenge.delegated.test' });
  });

  it('says NXDOMAIN for unknown names and NODATA for other types of known names', async () => {
    dns.setRecords('known.test', 'A', ['192.0.2.1']);
    expect((await udpQuery(dns.address, 'unknown.test', 'CAA')).rcode).toBe('NXDOMAIN');
    const nodata = await udpQuery(dns.address, 'known.test', 'NS');
    expect(nodata.rcode).toBe('NOERROR');
    expect(nodata.answers).toEqual([]);
    await expect(resolver.resolveNs('known.test')).rejects.toMatchObject({ code: 'ENODATA' });
    await expect(resolver.resolveNs('unknown.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('answers over TCP on the same port', async () => {
    dns.setRecords('tcp.test', 'NS', ['ns.tcp.test']);
    const raw = await tcpQuery(dns.address, 'tcp.test', 'NS');
    expect(raw.id).toBe(7);
    expect(raw.answers).toEqual([expect.objectContaining({ type: 'NS', name: 'tcp.test', data: 'ns.tcp.test' })]);
  });

  it('removes a record set given an empty list, and everything on clear()', async () => {
    dns.setRecords('gone.test', 'CAA', [{ tag: 'issue', value: 'x.test' }]);
    dns.setRecords('gone.test', 'NS', ['ns.gone.test']);
    dns.setRecords('gone.test', 'CAA', []);
    expect((await udpQuery(dns.address, 'gone.test', 'CAA')).answers).toEqual([]);
    expect(await resolver.resolveNs('gone.test')).toEqual(['ns.gone.test']);

    dns.clear();
    expect((await udpQuery(dns.address, 'gone.test', 'NS')).rcode).toBe('NXDOMAIN');
    expect((await udpQuery(dns.address, 'example.test', 'NS')).rcode).toBe('NXDOMAIN');
  });

  it('refuses records of the wrong shape', () => {
    expect(() => dns.setRecords('bad.test', 'CAA', ['letsencrypt.org'])).toThrow(/CAA records are/);
    expect(() => dns.setRecords('bad.test', 'NS', [{ host: 'x' }])).toThrow(/NS records are strings/);
    expect(() => dns.setRecords('bad.test', 'DS', [{ keyTag: 1, algorithm: 13, digestType: 2, digest: 'not hex' }])).toThrow(/DS records are/);
    expect(() => dns.setRecords('bad.test', 'DNSKEY', [{ flags: 257, algorithm: 13 }])).toThrow(/DNSKEY records are/);
  });

  it('answers DS and DNSKEY records in their wire form', async () => {
    dns.setRecords('signed.test', 'DS', [{ keyTag: 20326, algorithm: 8, digestType: 2, digest: 'E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D' }]);
    dns.setRecords('signed.test', 'DNSKEY', [{ flags: 257, algorithm: 13, publicKey: Buffer.alloc(64, 7).toString('base64') }]);
    const ds = await udpQuery(dns.address, 'signed.test', 'DS');
    expect(ds.answers).toEqual([
      expect.objectContaining({
        type: 'DS',
        name: 'signed.test',
        data: { keyTag: 20326, algorithm: 8, digestType: 2, digest: Buffer.from('E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D', 'hex') },
      }),
    ]);
    const keys = await udpQuery(dns.address, 'signed.test', 'DNSKEY');
    expect(keys.answers).toEqual([expect.objectContaining({ type: 'DNSKEY', data: { flags: 257, algorithm: 13, key: Buffer.alloc(64, 7) } })]);
    // An unsigned zone: NODATA, not NXDOMAIN, since the testbed cannot know the name does not exist elsewhere.
    const none = await udpQuery(dns.address, 'unsigned.test', 'DS');
    expect(none.rcode).toBe('NOERROR');
    expect(none.answers).toEqual([]);
  });

  it('truncates a UDP answer larger than 512 bytes (no EDNS0) and serves it whole over TCP', async () => {
    const keys = Array.from({ length: 8 }, (_, i) => ({ flags: 256, algorithm: 13, publicKey: Buffer.alloc(64, i).toString('base64') }));
    dns.setRecords('big.test', 'DNSKEY', keys);
    const udp = await udpQuery(dns.address, 'big.test', 'DNSKEY');
    expect(udp.flag_tc).toBe(true);
    expect(udp.answers).toEqual([]);
    const tcp = await tcpQuery(dns.address, 'big.test', 'DNSKEY');
    expect(tcp.flag_tc).toBe(false);
    expect(tcp.answers).toHaveLength(8);
  });
});

describe('startDnsServer forwarding to challtestsrv', () => {
  let challtestsrv: Challtestsrv;
  let dns: DnsServer;

  beforeAll(async () => {
    challtestsrv = await startChalltestsrv();
    dns = await startDnsServer({ forward: challtestsrv.dnsAddress });
  });
  afterAll(async () => {
    await dns?.stop();
    await challtestsrv?.stop();
  });

  it('answers from its table first and forwards the rest, so one address serves both', async () => {
    await challtestsrv.setTxt('_acme-challenge.fwd.test', 'from-challtestsrv');
    dns.setRecords('fwd.test', 'NS', ['ns-a.dns.test']);

    const resolver = new Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([dns.address]);
    expect(await resolver.resolveTxt('_acme-challenge.fwd.test')).toEqual([['from-challtestsrv']]);
    expect(await resolver.resolveNs('fwd.test')).toEqual(['ns-a.dns.test']);
    // challtestsrv cannot answer NS: a forwarded NS query comes back NOTIMP, which is why this server exists.
    expect((await udpQuery(dns.address, 'elsewhere.test', 'NS')).rcode).toBe('NOTIMP');
  });

  it('answers DS and DNSKEY itself, never forwarding them (challtestsrv has none)', async () => {
    const forwarded = await udpQuery(dns.address, 'fwd-unsigned.test', 'DS');
    expect(forwarded.rcode).toBe('NOERROR');
    expect(forwarded.answers).toEqual([]);
    expect((await udpQuery(dns.address, 'fwd-unsigned.test', 'DNSKEY')).rcode).toBe('NOERROR');
  });

  it('answers SERVFAIL when the forward server does not answer', async () => {
    const silent = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', () => resolve()));
    const lonely = await startDnsServer({ forward: `127.0.0.1:${silent.address().port}`, forwardTimeoutMs: 200 });
    try {
      expect((await udpQuery(lonely.address, 'anything.test', 'A')).rcode).toBe('SERVFAIL');
    } finally {
      await lonely.stop();
      silent.close();
    }
  });
});
