/**
 * Issue 8 item 2: the 6-hourly light check against pebble behind the ARI proxy. A certificate with an ARI
 * id is looked at again when the CA may be asked again (Retry-After 6 h), so a revocation drill (window
 * moved into the past) is renewed by the first check after it, with `replaces`; certificates whose
 * window did not move get no order.
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRenewalService } from '../../lambda/composition.js';
import { ENV, loadRuntimeConfig } from '../../lambda/config.js';
import type { Clock } from '../../lambda/domain/ports.js';
import { ARI_EARLY_MS } from '../../lambda/domain/renewal-policy.js';
import { parseEvent } from '../../lambda/event.js';
import { startAriProxy, type AriProxy } from '../adapters/acme/ari-proxy.js';
import { runOptions, startPipeline, type Pipeline } from '../support/pipeline.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let p: Pipeline;
let proxy: AriProxy;
let dir: string;
let zone: string;
/** The proxy's own answer: the windows set with moveWindow, else 404. */
let byMovedWindows: AriProxy['answerRenewalInfo'];

beforeAll(async () => {
  p = await startPipeline({ certificateValiditySeconds: 90 * 86_400, insyncAfterMs: 100 });
  proxy = await startAriProxy(new URL(p.tb.pebble.directoryUrl).origin, p.tb.pebble.tlsCaPem);
  byMovedWindows = proxy.answerRenewalInfo;
  dir = mkdtempSync(join(tmpdir(), 'certbeat-ari-check-'));
  zone = await p.tb.route53.createZone('ari.test');
}, 120_000);
afterAll(async () => {
  await proxy?.stop();
  await p?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A service that trusts the proxy and pebble, on `clock`. */
function service(clock: Clock) {
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, proxy.tlsCaPem + p.tb.pebble.tlsCaPem);
  const config = loadRuntimeConfig({ ...p.tb.env, [ENV.acmeCaFile]: caFile });
  const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
  return createRenewalService(config, p.tb.clients(), log, clock);
}
const at = (offsetMs: number, base: number): Clock => ({ now: () => new Date(base + offsetMs) });
/** The light check as the handler runs it for `{"action":"ari-check"}`. */
const lightCheck = (clock: Clock) => {
  expect(parseEvent({ action: 'ari-check' })).toEqual({ trigger: 'ari-check' });
  return service(clock).run({ ...runOptions(), mailInvalidItems: false });
};

describe('the 6-hourly ARI check', () => {
  it('renews a drilled certificate at the first check after the drill, with replaces; the others get no order', async () => {
    const t0 = Date.now();
    const far = { start: new Date(t0 + 55 * DAY), end: new Date(t0 + 57 * DAY) };
    for (const id of ['drilled', 'calm']) await p.add({ id, names: [`${id}.ari.test`], zones: { [`${id}.ari.test`]: zone }, directoryUrl: proxy.directoryUrl });
    // Every certificate pebble issues gets a far window with LE's Retry-After (6 h).
    proxy.answerRenewalInfo = () => ({
      status: 200,
      body: { suggestedWindow: { start: far.start.toISOString(), end: far.end.toISOString() } },
      headers: { 'retry-after': '21600' },
    });
    const first = await service(at(0, t0)).run(runOptions());
    expect(first.renewed.map((r) => r.id).sort()).toEqual(['calm', 'drilled']);
    const drilled = (await p.inventory.get('drilled'))!;
    const calm = (await p.inventory.get('calm'))!;
    expect(drilled.ariCertId).toBeDefined();
    expect(drilled.renewalWindow?.retryAfter).toBeDefined();
    // The next look is when the CA may be asked again, a little before its Retry-After: not a day away.
    const nextCheck = new Date(drilled.nextCheckAt).getTime();
    expect(nextCheck).toBeGreaterThan(t0 + 6 * HOUR - ARI_EARLY_MS - 60_000);
    expect(nextCheck).toBeLessThan(t0 + 6 * HOUR);

    // The drill: drilled's window moves into the past; the default answer reads the moved windows first.
    proxy.answerRenewalInfo = (certId) =>
      certId === drilled.ariCertId
        ? { status: 200, body: { suggestedWindow: { start: new Date(t0 - 2 * HOUR).toISOString(), end: new Date(t0 - HOUR).toISOString() } }, headers: { 'retry-after': '21600' } }
        : { status: 200, body: { suggestedWindow: { start: far.start.toISOString(), end: far.end.toISOString() } }, headers: { 'retry-after': '21600' } };
    const ordersBefore = proxy.newOrderPayloads.length;
    const asksBefore = proxy.renewalInfoRequests.length;

    // A check 3 h on: nothing is due in the index, so the CA is neither asked nor sent an order.
    const early = await lightCheck(at(3 * HOUR, t0));
    expect(early.renewed).toEqual([]);
    expect(proxy.renewalInfoRequests.length).toBe(asksBefore);
    expect(proxy.newOrderPayloads.length).toBe(ordersBefore);

    // The next 6-hourly check: both are asked, only the drilled one is ordered, replacing its certificate.
    const check = await lightCheck(at(6 * HOUR, t0));
    expect(check.renewed.map((r) => r.id)).toEqual(['drilled']);
    expect(check.notDue.map((r) => r.id)).toEqual(['calm']);
    const after = (await p.inventory.get('drilled'))!;
    // Asked: both old certificates, then the new one's first window (recorded with the renewal).
    expect(proxy.renewalInfoRequests.slice(asksBefore).sort()).toEqual([calm.ariCertId, drilled.ariCertId, after.ariCertId].sort());
    expect(proxy.newOrderPayloads.slice(ordersBefore)).toHaveLength(1);
    expect(proxy.newOrderPayloads.at(-1)).toMatchObject({ replaces: drilled.ariCertId });
    expect(after.serial).not.toBe(drilled.serial);
    // calm waits for its next ARI question, again about 6 h on.
    const calmAfter = (await p.inventory.get('calm'))!;
    expect(new Date(calmAfter.nextCheckAt).getTime()).toBeLessThan(t0 + 12 * HOUR);
    expect(new Date(calmAfter.nextCheckAt).getTime()).toBeGreaterThan(t0 + 11 * HOUR);
  });

  it('retries without replaces when the CA answers alreadyReplaced', async () => {
    const t0 = Date.now();
    await p.add({ id: 'replaced', names: ['replaced.ari.test'], zones: { 'replaced.ari.test': zone }, directoryUrl: proxy.directoryUrl });
    proxy.answerRenewalInfo = byMovedWindows;
    await service(at(0, t0)).run({ ...runOptions(), ids: ['replaced'] });
    const record = (await p.inventory.get('replaced'))!;
    expect(record.ariCertId).toBeDefined();
    proxy.moveWindow(record.ariCertId!, { start: new Date(t0 - 2 * HOUR), end: new Date(t0 - HOUR) });
    let refused = 0;
    proxy.intercept = (x) => {
      if (x.jws?.payload && 'replaces' in x.jws.payload && refused === 0) {
        refused++;
        return { status: 409, body: { type: 'urn:ietf:params:acme:error:alreadyReplaced', detail: 'the certificate was already replaced' } };
      }
      return undefined;
    };
    try {
      const ordersBefore = proxy.newOrderPayloads.length;
      const check = await lightCheck(at(6 * HOUR, t0));
      expect(check.renewed.map((r) => r.id)).toEqual(['replaced']);
      expect(refused).toBe(1);
      const sent = proxy.newOrderPayloads.slice(ordersBefore);
      expect(sent[0]).toMatchObject({ replaces: record.ariCertId });
      expect(sent.at(-1)).not.toHaveProperty('replaces');
    } finally {
      proxy.intercept = undefined;
    }
  });
});

