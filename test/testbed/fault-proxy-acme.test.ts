import { X509Certificate } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { httpsRequest, RawAcmeClient } from './acme-raw.js';
import { startTestbed, type Testbed, type TestbedFaults } from './testbed.js';

describe('the ACME fault proxy in front of pebble (TLS terminated with the testbed CA)', () => {
  let tb: Testbed & { faults: TestbedFaults };
  const acme = () => tb.faults.acme;
  const client = async () => {
    const c = new RawAcmeClient(tb.directoryUrl, tb.pebble.tlsCaPem);
    await c.loadDirectory();
    return c;
  };

  beforeAll(async () => {
    // Always-valid: orders complete without TXT records, so these tests watch only the proxy.
    tb = await startTestbed({ faults: true, pebbleEnv: { PEBBLE_VA_ALWAYS_VALID: '1' } });
  });
  afterEach(() => {
    acme().clear();
    acme().resetCalls();
  });
  afterAll(async () => {
    await tb?.stop();
  });

  it('is trusted through the same CA file, and pebble hands out URLs on the proxy', async () => {
    expect(tb.env.NODE_EXTRA_CA_CERTS).toBe(tb.pebble.tlsCaFile);
    const c = await client();
    const origin = new URL(acme().endpoint).origin;
    expect(origin).not.toBe(new URL(tb.pebble.directoryUrl).origin);
    for (const key of ['newNonce', 'newAccount', 'newOrder']) expect(c.directory[key].startsWith(`${origin}/`), key).toBe(true);
    expect((await c.register()).status).toBe(201);
    expect(c.kid!.startsWith(`${origin}/`)).toBe(true);
    expect(acme().requests().map((r) => r.operation)).toEqual(['directory', 'newNonce', 'newAccount']);
  });

  it('5xx after commit on newAccount: the client sees serverInternal, yet the account exists', async () => {
    const c = await client();
    acme().inject({ operation: 'newAccount', fault: 'errorAfterCommit', times: 1 });
    const res = await c.register();
    expect(res.status).toBe(500);
    expect(res.json).toMatchObject({ type: 'urn:ietf:params:acme:error:serverInternal' });
    // The same key registering again finds the account pebble created: 200 OK, not 201 Created.
    expect((await c.register()).status).toBe(200);
    expect(acme().calls('newAccount')).toBe(2);
  });

  it('throttles newOrder with a rateLimited problem and Retry-After', async () => {
    const c = await client();
    await c.register();
    acme().inject({ operation: 'newOrder', fault: 'throttle', times: 1 });
    const res = await c.post(c.directory.newOrder, { identifiers: [{ type: 'dns', value: 'limited.test' }] });
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.json).toMatchObject({ type: 'urn:ietf:params:acme:error:rateLimited' });
    expect(acme().requests('newOrder')).toEqual([expect.objectContaining({ fault: 'throttle', forwarded: false })]);
  });

  it('drops the connection after finalize was forwarded: the client gets no answer, the certificate is issued', async () => {
    const c = await client();
    await c.register();
    acme().inject({ operation: 'finalize', fault: 'dropAfterForward', times: 1 });
    // The raw client's own finalize fails on the dropped connection...
    await expect(c.issueAlwaysValid(['dropped.test'])).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(acme().requests('finalize')).toEqual([expect.objectContaining({ fault: 'dropAfterForward', forwarded: true })]);
    // ...yet pebble finalized the order: the account's order became valid with a certificate.
    const orders = acme().requests('order');
    expect(orders.length).toBeGreaterThan(0);
    const orderUrl = `${new URL(acme().endpoint).origin}${orders[0].path}`;
    let order: Record<string, unknown> | undefined;
    for (let i = 0; i < 50 && order?.status !== 'valid'; i++) {
      order = (await c.post(orderUrl, undefined)).json as Record<string, unknown>;
      if (order.status !== 'valid') await new Promise((r) => setTimeout(r, 50));
    }
    expect(order).toMatchObject({ status: 'valid', certificate: expect.any(String) });
    const cert = await c.post(order!.certificate as string, undefined);
    expect(new X509Certificate(cert.body).subjectAltName).toBe('DNS:dropped.test');
  });

  it('keeps working when pebble restarts behind it; a new account registers', async () => {
    const before = await client();
    await before.register();
    await tb.pebble.restart();
    expect((await httpsRequest(tb.directoryUrl, tb.pebble.tlsCaPem)).status).toBe(200);
    const after = await client();
    expect((await after.register()).status).toBe(201);
    expect(after.kid).not.toBe(before.kid);
  });
});
