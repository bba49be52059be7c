/**
 * badNonce (RFC 8555 §6.5) against a real pebble that rejects half of all nonces: every signed POST
 * (account, order, authorization, challenge, finalize, order polling, download) must be sent again with
 * the fresh nonce, so that no certificate of a run is lost to it.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcmeCertificateAuthority } from '../../../lambda/adapters/acme/acme-certificate-authority.js';
import { TransientError } from '../../../lambda/domain/errors.js';
import { MemorySecretStore } from '../../fakes/memory-secret-store.js';
import { startChalltestsrv, type Challtestsrv } from '../../testbed/challtestsrv.js';
import { startPebble, type Pebble } from '../../testbed/pebble.js';
import { startAriProxy, type AriProxy } from './ari-proxy.js';

const BAD_NONCE = 'urn:ietf:params:acme:error:badNonce';
let dns: Challtestsrv;
let pebble: Pebble;
let proxy: AriProxy;

beforeAll(async () => {
  dns = await startChalltestsrv();
  pebble = await startPebble({ dnsServer: dns.dnsAddress, env: { PEBBLE_WFE_NONCEREJECT: '50' } });
  proxy = await startAriProxy(new URL(pebble.directoryUrl).origin, pebble.tlsCaPem);
});

afterAll(async () => {
  await proxy?.stop();
  await pebble?.stop();
  await dns?.stop();
});

describe('AcmeCertificateAuthority with a CA rejecting 50 % of nonces', () => {
  it('issues 20 certificates without a single failure, retrying badNonce on every kind of signed POST', async () => {
    // One adapter (so one new account) per certificate: account registration gets its share of rejections.
    const issueOne = async () => {
      const ca = new AcmeCertificateAuthority({
        secrets: new MemorySecretStore(),
        accountSecretId: 'certbeat/acme-accounts',
        clock: { now: () => new Date() },
        pollIntervalMs: 20,
        trustedCaPem: proxy.tlsCaPem + pebble.tlsCaPem,
      });
      const d = `n${randomBytes(4).toString('hex')}.test`;
      const order = await ca.placeOrder({ certificateId: d, names: [d, `*.${d}`], directoryUrl: proxy.directoryUrl, keyType: 'ec256' });
      for (const c of order.challenges) await dns.setTxt(c.recordName, c.value);
      return ca.completeOrder(order, new Date(Date.now() + 60_000));
    };
    const results = await Promise.allSettled(Array.from({ length: 20 }, issueOne));

    const failures = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    expect(failures).toEqual([]);
    // pebble really rejected nonces, on each kind of request, and each was answered again.
    const rejected = proxy.exchanges.filter((e) => e.problemType === BAD_NONCE);
    expect(rejected.length).toBeGreaterThan(50);
    const kinds = new Set(rejected.map((e) => e.path.split('/')[1]));
    for (const kind of ['sign-me-up', 'order-plz', 'authZ', 'chalZ', 'finalize-order', 'my-order', 'certZ']) expect(kinds).toContain(kind);
    // Each rejection's answer handed out a fresh nonce, and the retry was signed with exactly that one.
    const used = new Set(proxy.exchanges.map((e) => e.jws?.protected.nonce));
    for (const r of rejected) {
      expect(r.replayNonce).toBeTruthy();
      expect(used).toContain(r.replayNonce);
    }
  }, 120_000);

  it('gives up after a bounded number of sends when the CA never accepts a nonce', async () => {
    const ca = new AcmeCertificateAuthority({
      secrets: new MemorySecretStore(),
      accountSecretId: 'certbeat/acme-accounts',
      clock: { now: () => new Date() },
      trustedCaPem: proxy.tlsCaPem + pebble.tlsCaPem,
    });
    const d = `n${randomBytes(4).toString('hex')}.test`;
    const request = { certificateId: d, names: [d], directoryUrl: proxy.directoryUrl, keyType: 'ec256' as const };
    await ca.placeOrder(request); // the account exists
    proxy.intercept = (e) =>
      e.path === '/order-plz' ? { status: 400, body: { type: BAD_NONCE, detail: 'JWS has an invalid anti-replay nonce' } } : undefined;
    try {
      const before = proxy.exchanges.filter((e) => e.path === '/order-plz').length;
      const err = await ca.placeOrder(request).catch((e) => e);
      expect(err).toBeInstanceOf(TransientError);
      expect(err.message).toContain('invalid anti-replay nonce');
      expect(proxy.exchanges.filter((e) => e.path === '/order-plz').length - before).toBe(20);
    } finally {
      proxy.intercept = undefined;
    }
  });
});
