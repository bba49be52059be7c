/**
 * Issue 8 item 1 on the testbed: a run orders the certificate's profile through the proxy in front of
 * pebble; when the CA answers invalidProfile the configured fallback is ordered and the mail says so;
 * doctor names the profiles the directory advertises.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diagnose } from '../../cli/commands/doctor.js';
import { createAdapters, createRenewalService } from '../../lambda/composition.js';
import { ENV, loadRuntimeConfig } from '../../lambda/config.js';
import { NodeDnsLookup } from '../../lambda/adapters/dns/node-dns-lookup.js';
import { startAriProxy, type AriProxy } from '../adapters/acme/ari-proxy.js';
import { runOptions, startPipeline, type Pipeline } from '../support/pipeline.js';

let p: Pipeline;
let proxy: AriProxy;
let dir: string;
let zone: string;
const silent = { info() {}, warn() {}, error() {} };

beforeAll(async () => {
  p = await startPipeline({ certificateValiditySeconds: 90 * 86_400, insyncAfterMs: 100 });
  proxy = await startAriProxy(new URL(p.tb.pebble.directoryUrl).origin, p.tb.pebble.tlsCaPem);
  proxy.profiles = { classic: '90 days', tlsserver: '45 days, no CN', shortlived: '160 hours' };
  dir = mkdtempSync(join(tmpdir(), 'certbeat-profiles-'));
  writeFileSync(join(dir, 'ca.pem'), proxy.tlsCaPem + p.tb.pebble.tlsCaPem);
  zone = await p.tb.route53.createZone('profile.test');
}, 120_000);
afterAll(async () => {
  await proxy?.stop();
  await p?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const config = () => loadRuntimeConfig({ ...p.tb.env, [ENV.acmeCaFile]: join(dir, 'ca.pem') });
const mailsTo = async (to: string) => (await p.tb.ses.mails()).filter((m) => m.to.includes(to));

describe('profiles in a run', () => {
  it('orders the configured profile and shows it in the mail', async () => {
    await p.add({ id: 'tls', names: ['tls.profile.test'], zones: { 'tls.profile.test': zone }, directoryUrl: proxy.directoryUrl, profile: 'tlsserver' });
    const summary = await createRenewalService(config(), p.tb.clients(), silent).run({ ...runOptions(), ids: ['tls'] });
    expect(summary.renewed.map((r) => r.id)).toEqual(['tls']);
    expect(proxy.newOrderPayloads.at(-1)).toMatchObject({ profile: 'tlsserver' });
    const [mail] = await mailsTo('owner-tls@example.test');
    expect(mail.text).toMatch(/Profile:\s+tlsserver/);
    expect(mail.text).not.toMatch(/Profile fallback/);
    expect((await p.inventory.get('tls'))!.profile).toBe('tlsserver');
  });

  it('orders the fallback when the CA retired the profile (invalidProfile at newOrder), with a mail saying so', async () => {
    proxy.refuseProfilesAtNewOrder = new Set(['shortlived']);
    try {
      await p.add({ id: 'short', names: ['short.profile.test'], zones: { 'short.profile.test': zone }, directoryUrl: proxy.directoryUrl, profile: 'shortlived', profileFallback: 'classic' });
      const summary = await createRenewalService(config(), p.tb.clients(), silent).run({ ...runOptions(), ids: ['short'] });
      expect(summary.renewed.map((r) => r.id)).toEqual(['short']);
      expect(proxy.newOrderPayloads.slice(-2).map((o) => o.profile)).toEqual(['shortlived', 'classic']);
      const [mail] = await mailsTo('owner-short@example.test');
      expect(mail.text).toMatch(/Profile:\s+classic/);
      expect(mail.text).toMatch(/Profile fallback:\s+profile shortlived was refused \(the CA answered invalidProfile/);
    } finally {
      proxy.refuseProfilesAtNewOrder = new Set();
    }
  });

  it('doctor reports a profile the directory does not list, naming the ones it does', async () => {
    const record = await p.add({ id: 'medium', names: ['medium.profile.test'], zones: { 'medium.profile.test': zone }, directoryUrl: proxy.directoryUrl, profile: 'mediumlived' });
    const cfg = config();
    const adapters = createAdapters(cfg, p.tb.clients(), silent);
    const report = await diagnose(record, { config: cfg, dns: adapters.dns, store: adapters.store, lookup: new NodeDnsLookup({ servers: [p.tb.dns.address] }), ca: adapters.ca });
    const finding = report.findings.find((f) => f.check === 'profile');
    expect(finding).toMatchObject({ ok: false, blocking: false });
    expect(finding!.message).toMatch(/does not offer profile mediumlived \(its directory lists: classic, tlsserver, shortlived\); orders will be refused/);
  });
});
