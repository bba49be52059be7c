/**
 * CNAME-delegated dns-01 challenges end to end on the testbed. The certificate's names live in no
 * Route 53 zone ("hosted elsewhere"); `_acme-challenge.<name>` is a CNAME into a Route 53 zone.
 * - challtestsrv (pebble's DNS) serves that CNAME, and answers a TXT query at the name with the CNAME
 *   plus the TXT values at its target: pebble really follows it to what certbeat wrote.
 * - the testbed's DNS server (certbeat's pre-flight resolver) answers the CNAME from its own table.
 */
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diagnose } from '../../cli/commands/doctor.js';
import { NodeDnsLookup } from '../../lambda/adapters/dns/node-dns-lookup.js';
import { createAdapters } from '../../lambda/composition.js';
import { runOptions, startPipeline, type Pipeline } from '../support/pipeline.js';

let p: Pipeline;
let delegateZone: string;

beforeAll(async () => {
  p = await startPipeline({ insyncAfterMs: 50 });
  delegateZone = await p.tb.route53.createZone('delegate.test');
});
afterAll(async () => {
  await p?.stop();
});

/** `_acme-challenge.<name> CNAME <target>` as the outside DNS provider publishes it: for pebble and for pre-flight. */
async function publishCname(name: string, target: string) {
  await p.tb.challtestsrv.setCname(`_acme-challenge.${name}`, target);
  p.tb.dns.setRecords(`_acme-challenge.${name}`, 'CNAME', [target]);
}

function publishedLogs() {
  return p.logs.filter((l) => l.message === 'dns-01 values published');
}

describe('CNAME-delegated challenges', () => {
  it('follows the CNAME: TXT written at the alias in its zone, pebble validates through the CNAME, certificate imported', async () => {
    const target = '_acme-challenge.shop.delegate.test';
    await publishCname('shop.customer.test', target);
    await p.add({
      id: 'shop',
      names: ['shop.customer.test', '*.shop.customer.test'],
      challengeAliases: { 'shop.customer.test': target },
    });
    const stored = (await p.inventory.get('shop'))!;
    expect(stored.challengeAliases).toEqual({ 'shop.customer.test': target });

    const logsBefore = publishedLogs().length;
    const summary = await p.service().run({ ...runOptions(), ids: ['shop'] });

    expect(summary.failed).toEqual([]);
    expect(summary.renewed.map((r) => r.id)).toEqual(['shop']);
    const inAcm = p.tb.acm.certificates().find((c) => c.arn === summary.renewed[0].arn)!;
    const leaf = new X509Certificate(inAcm.certificatePem);
    expect(leaf.subjectAltName).toContain('DNS:shop.customer.test');
    expect(leaf.subjectAltName).toContain('DNS:*.shop.customer.test');

    // Apex and wildcard values went into one record set in the alias's zone, in one change.
    const published = publishedLogs().slice(logsBefore);
    expect(published).toHaveLength(1);
    expect(published[0].attributes).toMatchObject({ zoneId: delegateZone, names: 1, values: 2, failedNames: 0 });
    // The pre-flight saw the CNAME and passed it.
    expect(p.logs.some((l) => l.message === 'not renewed')).toBe(false);
    // Clean-up removed the values at the alias.
    expect(p.tb.route53.records(delegateZone).filter((r) => r.type === 'TXT')).toEqual([]);
  });

  it('follows a CNAME to a target of any label (the acme.sh --domain-alias form), in a zone found by name', async () => {
    await publishCname('cart.customer.test', 'cart.delegate.test');
    // The emulator forwards only `_acme-challenge.*` TXT sets to pebble's DNS unless told otherwise.
    p.tb.route53.forwardTxtAt('cart.delegate.test');
    await p.add({ id: 'cart', names: ['cart.customer.test'], challengeAliases: { 'cart.customer.test': 'cart.delegate.test' } });
    const summary = await p.service().run({ ...runOptions(), ids: ['cart'] });
    expect(summary.failed).toEqual([]);
    expect(summary.renewed.map((r) => r.id)).toEqual(['cart']);
    const inAcm = p.tb.acm.certificates().find((c) => c.arn === summary.renewed[0].arn)!;
    expect(new X509Certificate(inAcm.certificatePem).subjectAltName).toBe('DNS:cart.customer.test');
    expect(p.tb.route53.records(delegateZone).filter((r) => r.type === 'TXT')).toEqual([]);
  });

  it('certbeat doctor finds the alias zone and passes the CNAME check', async () => {
    const silent = { info() {}, warn() {}, error() {} };
    const adapters = createAdapters(p.config, p.tb.clients(), silent);
    const report = await diagnose((await p.inventory.get('shop'))!, {
      config: p.config,
      dns: adapters.dns,
      store: adapters.store,
      lookup: new NodeDnsLookup({ servers: [p.tb.dns.address] }),
    });
    expect(report.ok).toBe(true);
    expect(report.findings.find((f) => f.check === 'acme-challenge-cname')).toMatchObject({ ok: true });
    expect(report.findings.filter((f) => f.check === 'zone').every((f) => f.ok && f.message.includes(delegateZone))).toBe(true);
  });

  it('pre-flight blocks the order when the CNAME is missing, saying which record to create', async () => {
    await p.add({
      id: 'no-cname',
      names: ['blog.customer.test'],
      challengeAliases: { 'blog.customer.test': '_acme-challenge.blog.delegate.test' },
    });
    const changesBefore = p.tb.route53.calls.filter((c) => c.action === 'ChangeResourceRecordSets').length;
    const summary = await p.service().run({ ...runOptions(), ids: ['no-cname'] });

    expect(summary.renewed).toEqual([]);
    expect(summary.failed).toHaveLength(1);
    expect(summary.failed[0]).toMatchObject({ id: 'no-cname', errorClass: 'ConfigurationError' });
    expect(summary.failed[0].message).toContain('_acme-challenge.blog.customer.test is not a CNAME');
    expect(p.tb.route53.calls.filter((c) => c.action === 'ChangeResourceRecordSets').length).toBe(changesBefore);
    const [mail] = (await p.tb.ses.mails()).filter((m) => m.to.includes('owner-no-cname@example.test'));
    expect(mail.text).toContain('CNAME _acme-challenge.blog.delegate.test');
  });

  it('pre-flight blocks a CNAME that leads somewhere else than the configured alias', async () => {
    await publishCname('mail.customer.test', '_acme-challenge.elsewhere.example');
    await p.add({
      id: 'wrong-cname',
      names: ['mail.customer.test'],
      challengeAliases: { 'mail.customer.test': '_acme-challenge.mail.delegate.test' },
    });
    const summary = await p.service().run({ ...runOptions(), ids: ['wrong-cname'] });
    expect(summary.failed).toHaveLength(1);
    expect(summary.failed[0].message).toContain(
      '_acme-challenge.mail.customer.test is a CNAME to _acme-challenge.elsewhere.example, but certbeat is configured to write the values of mail.customer.test at _acme-challenge.mail.delegate.test',
    );
  });

  it('a CNAME without a configured alias is still refused, with the challengeAliases entry to add as the fix', async () => {
    await publishCname('docs.delegate.test', '_acme-challenge.docs-alias.delegate.test');
    await p.add({ id: 'unconfigured', names: ['docs.delegate.test'] });
    const summary = await p.service().run({ ...runOptions(), ids: ['unconfigured'] });
    expect(summary.failed).toHaveLength(1);
    const [mail] = (await p.tb.ses.mails()).filter((m) => m.to.includes('owner-unconfigured@example.test'));
    expect(mail.text).toContain('"challengeAliases": { "docs.delegate.test": "_acme-challenge.docs-alias.delegate.test" }');
  });
});
