/**
 * Rate limits as a CA really answers them (HTTP 429, `urn:ietf:params:acme:error:rateLimited`,
 * Retry-After in seconds or as an HTTP date), played by the recording proxy in front of pebble at each
 * kind of call: each becomes `RateLimitedError` with `retryAfter`, at once and without a retry.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AcmeCertificateAuthority } from '../../../lambda/adapters/acme/acme-certificate-authority.js';
import { RateLimitedError } from '../../../lambda/domain/errors.js';
import type { OrderRequest } from '../../../lambda/domain/ports.js';
import { MemorySecretStore } from '../../fakes/memory-secret-store.js';
import { startChalltestsrv, type Challtestsrv } from '../../testbed/challtestsrv.js';
import { startPebble, type Pebble } from '../../testbed/pebble.js';
import { startAriProxy, type AriProxy } from './ari-proxy.js';

let dns: Challtestsrv;
let pebble: Pebble;
let proxy: AriProxy;

beforeAll(async () => {
  dns = await startChalltestsrv();
  pebble = await startPebble({ dnsServer: dns.dnsAddress });
  proxy = await startAriProxy(new URL(pebble.directoryUrl).origin, pebble.tlsCaPem);
});
afterAll(async () => {
  await proxy?.stop();
  await pebble?.stop();
  await dns?.stop();
});
beforeEach(() => {
  proxy.intercept = undefined;
});

const newCa = () =>
  new AcmeCertificateAuthority({
    secrets: new MemorySecretStore(),
    accountSecretId: 'certbeat/acme-accounts',
    clock: { now: () => new Date() },
    pollIntervalMs: 50,
    trustedCaPem: proxy.tlsCaPem + pebble.tlsCaPem,
  });
const request = (): OrderRequest => {
  const d = `l${randomBytes(4).toString('hex')}.test`;
  return { certificateId: d, names: [d], directoryUrl: proxy.directoryUrl, keyType: 'ec256' };
};
const limited = (method: string, pathStart: string, retryAfter?: string, body: unknown = { type: 'urn:ietf:params:acme:error:rateLimited', detail: 'too many new orders recently', status: 429 }) => {
  proxy.intercept = (e) =>
    e.method === method && e.path.startsWith(pathStart) ? { status: 429, body, headers: retryAfter ? { 'retry-after': retryAfter } : undefined } : undefined;
};
const hits = (pathStart: string) => proxy.exchanges.filter((e) => e.path.startsWith(pathStart)).length;

describe('rate limits from the CA', () => {
  it('at newOrder, with Retry-After in seconds', async () => {
    const ca = newCa();
    await ca.placeOrder(request()); // account registered, directory cached
    limited('POST', '/order-plz', '3600');
    const before = hits('/order-plz');
    const started = Date.now();
    const err = await ca.placeOrder(request()).catch((e) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(err.message).toContain('too many new orders recently');
    expect(err.retryAfter.getTime()).toBeGreaterThanOrEqual(started + 3_600_000 - 1000);
    expect(err.retryAfter.getTime()).toBeLessThanOrEqual(Date.now() + 3_600_000 + 1000);
    expect(err.remediation).toContain(err.retryAfter.toISOString());
    expect(hits('/order-plz')).toBe(before + 1); // not retried
  });

  it('at finalization, with Retry-After as an HTTP date', async () => {
    const ca = newCa();
    const order = await ca.placeOrder(request());
    for (const c of order.challenges) await dns.setTxt(c.recordName, c.value);
    const at = new Date(Math.ceil(Date.now() / 1000) * 1000 + 7_200_000);
    limited('POST', '/finalize-order/', at.toUTCString());
    const err = await ca.completeOrder(order, new Date(Date.now() + 20_000)).catch((e) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(err.retryAfter.toISOString()).toBe(at.toISOString());
  });

  it('at account registration, a problem without Retry-After', async () => {
    limited('POST', '/sign-me-up');
    const err = await newCa().placeOrder(request()).catch((e) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(err.retryAfter).toBeUndefined();
  });

  it('at newNonce and at the directory, where the answer has no problem document', async () => {
    limited('HEAD', '/nonce-plz', '120', undefined);
    const nonce = await newCa().placeOrder(request()).catch((e) => e);
    expect(nonce).toBeInstanceOf(RateLimitedError);
    expect(nonce.retryAfter.getTime() - Date.now()).toBeGreaterThan(100_000);

    limited('GET', '/dir', '60', undefined);
    const directory = await newCa().placeOrder(request()).catch((e) => e);
    expect(directory).toBeInstanceOf(RateLimitedError);
    expect(directory.retryAfter.getTime() - Date.now()).toBeGreaterThan(50_000);
  });
});
