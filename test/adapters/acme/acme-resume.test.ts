/**
 * Resumable orders ("no silent loss"): an order the CA has issued is never ordered again, and a failed
 * download does not throw the certificate away. Real pebble behind the recording proxy, which also
 * plays the failures (5xx on download or finalize) and counts newOrder calls.
 */
import { X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AcmeCertificateAuthority } from '../../../lambda/adapters/acme/acme-certificate-authority.js';
import { TransientError } from '../../../lambda/domain/errors.js';
import type { OrderRequest, PendingOrder, RunLog } from '../../../lambda/domain/ports.js';
import { MemorySecretStore } from '../../fakes/memory-secret-store.js';
import { startChalltestsrv, type Challtestsrv } from '../../testbed/challtestsrv.js';
import { startPebble, type Pebble } from '../../testbed/pebble.js';
import { startAriProxy, type AriProxy } from './ari-proxy.js';

const PREFIX = 'certbeat/test/pending/order-keys/';
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

const logged: Array<{ message: string; attributes?: Record<string, unknown> }> = [];
const log: RunLog = {
  info: (message, attributes) => logged.push({ message, attributes }),
  warn: (message, attributes) => logged.push({ message, attributes }),
  error: (message, attributes) => logged.push({ message, attributes }),
};

/** A new adapter instance, as in a later Lambda invocation, sharing the secrets. */
const newCa = (secrets: MemorySecretStore) =>
  new AcmeCertificateAuthority({
    secrets,
    accountSecretId: 'certbeat/acme-accounts',
    clock: { now: () => new Date() },
    pollIntervalMs: 50,
    trustedCaPem: proxy.tlsCaPem + pebble.tlsCaPem,
    orderKeySecretPrefix: PREFIX,
    log,
  });

const request = (over: Partial<OrderRequest> = {}): OrderRequest => {
  const d = `o${randomBytes(4).toString('hex')}.test`;
  return { certificateId: d, names: [d], directoryUrl: proxy.directoryUrl, keyType: 'ec256', ...over };
};
const publish = async (order: PendingOrder) => {
  for (const c of order.challenges) await dns.setTxt(c.recordName, c.value);
};
const newOrders = () => proxy.exchanges.filter((e) => e.path === '/order-plz' && e.status === 201).length;
const failing = (pathStart: string, times = Infinity) => {
  let left = times;
  proxy.intercept = (e) =>
    e.path.startsWith(pathStart) && left-- > 0
      ? { status: 503, body: { type: 'urn:ietf:params:acme:error:serverInternal', detail: 'down for a moment' } }
      : undefined;
};
const soon = (ms = 20_000) => new Date(Date.now() + ms);

describe('resumable orders', () => {
  it('retries a failing download within the deadline instead of losing the certificate', async () => {
    const secrets = new MemorySecretStore();
    const ca = newCa(secrets);
    const order = await ca.placeOrder(request());
    await publish(order);
    failing('/certZ/', 3);
    const issued = await ca.completeOrder(order, soon());
    expect(proxy.exchanges.filter((e) => e.path.startsWith('/certZ/') && e.status === 503)).toHaveLength(3);
    expect(new X509Certificate(issued.certificatePem).checkPrivateKey(createPrivateKey(issued.privateKeyPem))).toBe(true);
    // The key stays kept until the caller says the certificate is safe (in ACM or the pending slot).
    expect(secrets.json<{ keyPem: string }>(`${PREFIX}${order.request.certificateId}`)?.keyPem).toBe(issued.privateKeyPem);
    await ca.releaseOrder(order);
    expect(secrets.values.has(`${PREFIX}${order.request.certificateId}`)).toBe(false);
  });

  it('a run dying between download and import loses nothing: the next one downloads the same certificate with the kept key', async () => {
    const secrets = new MemorySecretStore();
    const req = request();
    const first = newCa(secrets);
    const pending = await first.placeOrder(req);
    await publish(pending);
    const issued = await first.completeOrder(pending, soon());
    // No releaseOrder: the run died before the import.
    const ordersBefore = newOrders();
    const later = newCa(secrets);
    const resumed = await later.placeOrder({ ...req, resumeOrderUrl: pending.orderUrl });
    const again = await later.completeOrder(resumed, soon());
    expect(newOrders()).toBe(ordersBefore);
    expect(again.serial).toBe(issued.serial);
    expect(again.privateKeyPem).toBe(issued.privateKeyPem);
    await later.releaseOrder(resumed);
    expect(secrets.values.has(`${PREFIX}${req.certificateId}`)).toBe(false);
  });

  it('downloads a valid order on the next run with the kept key, without ordering again', async () => {
    const secrets = new MemorySecretStore();
    const req = request();
    const ca = newCa(secrets);
    const pending = await ca.placeOrder(req);
    expect(pending.orderUrl).toMatch(/\/my-order\//);
    await publish(pending);
    failing('/certZ/');
    const failed = await ca.completeOrder(pending, soon(1500)).catch((e) => e);
    expect(failed).toBeInstanceOf(TransientError);
    expect(failed.message).toContain('deliver the issued certificate');
    const kept = secrets.json<{ orderUrl: string; keyPem: string }>(`${PREFIX}${req.certificateId}`)!;
    expect(kept.orderUrl).toBe(pending.orderUrl);
    expect(kept.keyPem).toContain('PRIVATE KEY');

    // The next run: the CA is fine again.
    proxy.intercept = undefined;
    const ordersBefore = newOrders();
    const later = newCa(secrets);
    const resumed = await later.placeOrder({ ...req, resumeOrderUrl: pending.orderUrl });
    expect(resumed.orderUrl).toBe(pending.orderUrl);
    expect(resumed.challenges).toEqual([]);
    const issued = await later.completeOrder(resumed, soon());
    expect(newOrders()).toBe(ordersBefore);
    expect(proxy.exchanges.filter((e) => e.path.startsWith('/finalize-order/') && e.jws?.protected.url === `${pending.orderUrl.replace('my-order', 'finalize-order')}`)).toHaveLength(1);
    expect(issued.privateKeyPem).toBe(kept.keyPem);
    expect(new X509Certificate(issued.certificatePem).checkPrivateKey(createPrivateKey(issued.privateKeyPem))).toBe(true);
    await later.releaseOrder(resumed);
    expect(secrets.values.has(`${PREFIX}${req.certificateId}`)).toBe(false);
  });

  it('continues a pending order: same order, same challenge values', async () => {
    const secrets = new MemorySecretStore();
    const req = request({ names: [] });
    req.names = [req.certificateId, `*.${req.certificateId}`];
    const first = await newCa(secrets).placeOrder(req);
    const ordersBefore = newOrders();
    const later = newCa(secrets);
    const resumed = await later.placeOrder({ ...req, resumeOrderUrl: first.orderUrl });
    expect(newOrders()).toBe(ordersBefore);
    expect(resumed.orderUrl).toBe(first.orderUrl);
    const byName = (o: PendingOrder) => [...o.challenges].sort((x, y) => x.identifier.localeCompare(y.identifier));
    expect(byName(resumed)).toEqual(byName(first));
    expect(resumed.challenges).toHaveLength(2);
    await publish(resumed);
    await expect(later.completeOrder(resumed, soon())).resolves.toMatchObject({ names: req.names });
  });

  it('finalizes a ready order whose finalization failed, without new challenges', async () => {
    const secrets = new MemorySecretStore();
    const req = request();
    const ca = newCa(secrets);
    const first = await ca.placeOrder(req);
    await publish(first);
    failing('/finalize-order/');
    await expect(ca.completeOrder(first, soon())).rejects.toThrow(TransientError);
    proxy.intercept = undefined;
    const ordersBefore = newOrders();
    const later = newCa(secrets);
    const resumed = await later.placeOrder({ ...req, resumeOrderUrl: first.orderUrl });
    expect(resumed.challenges).toEqual([]);
    await expect(later.completeOrder(resumed, soon())).resolves.toMatchObject({ names: req.names });
    expect(newOrders()).toBe(ordersBefore);
  });

  it('places a new order, saying why, for an unknown order, other names, or a valid order whose key was not kept', async () => {
    const secrets = new MemorySecretStore();
    const req = request();
    const ca = newCa(secrets);

    const unknown = `${new URL(proxy.directoryUrl).origin}/my-order/doesnotexist`;
    let before = newOrders();
    const a = await ca.placeOrder({ ...req, resumeOrderUrl: unknown });
    expect(newOrders()).toBe(before + 1);
    expect(a.orderUrl).not.toBe(unknown);
    expect(logged.at(-1)).toMatchObject({ message: 'placing a new order instead of resuming the previous one', attributes: { reason: 'the CA no longer knows the order' } });

    before = newOrders();
    const other = await ca.placeOrder({ ...req, names: [`www.${req.names[0]}`], resumeOrderUrl: a.orderUrl });
    expect(newOrders()).toBe(before + 1);
    expect(other.orderUrl).not.toBe(a.orderUrl);
    expect(logged.at(-1)?.attributes?.reason).toBe('the order is for other names');

    // Issued, but the kept key is gone (e.g. deleted by hand): the certificate is useless, order again.
    await publish(a);
    failing('/certZ/');
    await ca.completeOrder(a, soon(1000)).catch(() => undefined);
    proxy.intercept = undefined;
    secrets.values.delete(`${PREFIX}${req.certificateId}`);
    before = newOrders();
    const again = await newCa(secrets).placeOrder({ ...req, resumeOrderUrl: a.orderUrl });
    expect(newOrders()).toBe(before + 1);
    expect(again.challenges).toHaveLength(1);
    expect(logged.at(-1)?.attributes?.reason).toMatch(/^the order is valid but the key it was finalized with was not kept/);
  });

  it('does not order again while the previous order cannot be reached (it may be issued already)', async () => {
    const secrets = new MemorySecretStore();
    const req = request();
    const first = await newCa(secrets).placeOrder(req);
    failing('/my-order/');
    const before = newOrders();
    const err = await newCa(secrets).placeOrder({ ...req, resumeOrderUrl: first.orderUrl }).catch((e) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect(newOrders()).toBe(before);
  });

  it('places a new order when the previous one belongs to another account', async () => {
    const first = await newCa(new MemorySecretStore()).placeOrder(request());
    const before = newOrders();
    const req = request();
    const pending = await newCa(new MemorySecretStore()).placeOrder({ ...req, names: first.request.names, resumeOrderUrl: first.orderUrl });
    expect(newOrders()).toBe(before + 1);
    expect(pending.orderUrl).not.toBe(first.orderUrl);
    expect(logged.at(-1)?.attributes?.reason).toBe('the order cannot be read');
  });
});
