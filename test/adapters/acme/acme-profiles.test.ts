/**
 * Issue 8 item 1: ACME profiles against pebble behind the loopback proxy, which advertises `meta.profiles`,
 * echoes the ordered profile, and answers `invalidProfile` at newOrder or at finalize.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcmeCertificateAuthority } from '../../../lambda/adapters/acme/acme-certificate-authority.js';
import { CaRejectedError } from '../../../lambda/domain/errors.js';
import type { OrderRequest, PendingOrder } from '../../../lambda/domain/ports.js';
import { MemorySecretStore } from '../../fakes/memory-secret-store.js';
import { startChalltestsrv, type Challtestsrv } from '../../testbed/challtestsrv.js';
import { startPebble, type Pebble } from '../../testbed/pebble.js';
import { startAriProxy, type AriProxy } from './ari-proxy.js';

const LE_PROFILES = { classic: 'The same profile you have always known', tlsserver: '45-day, no CN', shortlived: '160-hour' };
const domain = () => `p${randomBytes(4).toString('hex')}.test`;
const soon = () => new Date(Date.now() + 30_000);

let dns: Challtestsrv;
let pebble: Pebble;
let proxy: AriProxy;

beforeAll(async () => {
  dns = await startChalltestsrv();
  pebble = await startPebble({ dnsServer: dns.dnsAddress });
  proxy = await startAriProxy(new URL(pebble.directoryUrl).origin, pebble.tlsCaPem);
  proxy.profiles = LE_PROFILES;
});
afterAll(async () => {
  await proxy?.stop();
  await pebble?.stop();
  await dns?.stop();
});

/** A fresh adapter per test: the directory (and its meta.profiles) is cached per instance. */
const newCa = () =>
  new AcmeCertificateAuthority({
    secrets: new MemorySecretStore(),
    accountSecretId: 'certbeat/acme-accounts',
    clock: { now: () => new Date() },
    pollIntervalMs: 50,
    trustedCaPem: proxy.tlsCaPem + pebble.tlsCaPem,
  });
const request = (over: Partial<OrderRequest> = {}): OrderRequest => {
  const d = domain();
  return { certificateId: d, names: [d], directoryUrl: proxy.directoryUrl, keyType: 'ec256', ...over };
};
async function publish(order: PendingOrder) {
  for (const c of order.challenges) await dns.setTxt(c.recordName, c.value);
}

describe('ACME profiles', () => {
  it('sends the configured profile in newOrder, and the CA’s echo comes back on the order', async () => {
    const ca = newCa();
    const order = await ca.placeOrder(request({ profile: 'tlsserver' }));
    expect(proxy.newOrderPayloads.at(-1)).toMatchObject({ profile: 'tlsserver' });
    expect(order.profile).toBe('tlsserver');
    expect(order.profileNote).toBeUndefined();
    await publish(order);
    const issued = await ca.completeOrder(order, soon());
    expect(issued.serial).toMatch(/^[0-9a-f]+$/i);
    // No profile configured: none sent.
    await ca.placeOrder(request());
    expect(proxy.newOrderPayloads.at(-1)).not.toHaveProperty('profile');
  });

  it('falls back as configured when the CA answers invalidProfile at newOrder, and says so', async () => {
    proxy.refuseProfilesAtNewOrder = new Set(['shortlived']);
    try {
      const toOther = await newCa().placeOrder(request({ profile: 'shortlived', profileFallback: 'classic' }));
      const sent = proxy.newOrderPayloads.slice(-2);
      expect(sent.map((p) => p.profile)).toEqual(['shortlived', 'classic']);
      expect(toOther.profile).toBe('classic');
      expect(toOther.profileNote).toMatch(/profile shortlived was refused \(the CA answered invalidProfile: .*\); ordered profile classic instead/);

      const toNone = await newCa().placeOrder(request({ profile: 'shortlived', profileFallback: 'none' }));
      expect(proxy.newOrderPayloads.at(-1)).not.toHaveProperty('profile');
      expect(toNone.profileNote).toMatch(/ordered without a profile/);

      // No fallback: refused, naming the profiles the CA offers.
      const err = await newCa().placeOrder(request({ profile: 'shortlived' })).catch((e) => e);
      expect(err).toBeInstanceOf(CaRejectedError);
      expect(err.message).toMatch(/refused profile shortlived/);
      expect(err.remediation).toMatch(/classic, tlsserver, shortlived/);
    } finally {
      proxy.refuseProfilesAtNewOrder = new Set();
    }
  });

  it('does not send a profile the directory does not list: the fallback is ordered without asking', async () => {
    const before = proxy.newOrderPayloads.length;
    const order = await newCa().placeOrder(request({ profile: 'mediumlived', profileFallback: 'tlsserver' }));
    expect(proxy.newOrderPayloads.slice(before).map((p) => p.profile)).toEqual(['tlsserver']);
    expect(order.profileNote).toMatch(/does not list it \(offered: classic, tlsserver, shortlived\)/);
  });

  it('classifies invalidProfile at finalize (a profile retired while the order was pending) as a CA refusal', async () => {
    proxy.refuseProfilesAtFinalize = new Set(['tlsserver']);
    try {
      const ca = newCa();
      const order = await ca.placeOrder(request({ profile: 'tlsserver', profileFallback: 'classic' }));
      await publish(order);
      const err = await ca.completeOrder(order, soon()).catch((e) => e);
      expect(err).toBeInstanceOf(CaRejectedError);
      expect(err.problemType).toBe('urn:ietf:params:acme:error:invalidProfile');
      expect(err.message).toMatch(/retired/);
    } finally {
      proxy.refuseProfilesAtFinalize = new Set();
    }
  });
});
