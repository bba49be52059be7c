/**
 * Fault suite, issue 7 item 6: a mail SES does not take is kept in the record's outbox, counted, shown,
 * and sent again by a later run until delivered — exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTBOX_LIMITS } from '../../lambda/domain/outbox.js';
import { runOptions, startPipeline, type Pipeline } from '../support/pipeline.js';
import { acmCertificatesOf, clockAheadMs, mailsTo, txtLeft } from './end-state.js';

let p: Pipeline;
let zone: string;
const ses = () => p.tb.faults!.ses;

beforeAll(async () => {
  p = await startPipeline({ faults: true, insyncAfterMs: 50 });
  zone = await p.tb.route53.createZone('mail.test');
  await p.tb.route53.createZone('nowhere.test', { delegated: false });
});
afterAll(async () => {
  await p?.stop();
});

describe('mails while SES fails (item 6)', () => {
  it('the "issued" mail SES refused is kept, reported, and delivered once by the next run', async () => {
    await p.add({ id: 'quiet', names: ['quiet.mail.test'] });
    const outage = ses().inject({ operation: /SendEmail|outbound-emails/, fault: 'errorBeforeCommit', status: 500 });
    const first = await p.service().run(runOptions());
    outage.clear();

    expect(first.renewed.map((r) => r.id)).toEqual(['quiet']);
    expect(first.mailsNotSent).toMatchObject([{ id: 'quiet', kind: 'renewed', kept: true }]);
    expect(await mailsTo(p, 'owner-quiet@example.test')).toEqual([]);
    const owing = (await p.inventory.get('quiet'))!;
    expect(owing.owedMails).toHaveLength(1);
    expect(Date.parse(owing.nextCheckAt)).toBeLessThanOrEqual(Date.now() + OUTBOX_LIMITS.retryMs + 1000);

    // The next run (an hour later) sends it; the one after sends nothing more.
    const second = await p.service(clockAheadMs(OUTBOX_LIMITS.retryMs + 60_000)).run(runOptions());
    expect(second.mailsNotSent).toEqual([]);
    expect(second.renewed).toEqual([]);
    const mails = await mailsTo(p, 'owner-quiet@example.test');
    expect(mails).toHaveLength(1);
    expect(mails[0].text).toContain(acmCertificatesOf(p, 'quiet')[0].arn);
    expect((await p.inventory.get('quiet'))!.owedMails).toBeUndefined();
    await p.service(clockAheadMs(2 * 86_400_000)).run(runOptions());
    expect(await mailsTo(p, 'owner-quiet@example.test')).toHaveLength(1);
    expect(txtLeft(p, [zone])).toEqual([]);
  });

  it('a failure mail owed to a still-failing certificate is sent again while SES keeps failing, then arrives once', async () => {
    await p.add({ id: 'broken', names: ['broken.nowhere.test'] });
    const outage = ses().inject({ operation: /SendEmail|outbound-emails/, fault: 'errorBeforeCommit', status: 503 });
    const first = await p.service().run({ ...runOptions(), ids: ['broken'] });
    expect(first.failed.map((f) => f.id)).toEqual(['broken']);
    expect(first.mailsNotSent).toMatchObject([{ id: 'broken', kind: 'failed', kept: true }]);

    // An hour later SES still fails: the owed mail is tried again and kept, with its attempts counted.
    const second = await p.service(clockAheadMs(OUTBOX_LIMITS.retryMs + 60_000)).run({ ...runOptions(), ids: ['broken'] });
    expect(second.mailsNotSent.some((m) => m.id === 'broken' && m.kept)).toBe(true);
    expect((await p.inventory.get('broken'))!.owedMails?.[0].attempts).toBe(2);
    outage.clear();

    const third = await p.service(clockAheadMs(2 * OUTBOX_LIMITS.retryMs + 120_000)).run({ ...runOptions(), ids: ['broken'] });
    expect(third.mailsNotSent).toEqual([]);
    const mails = await mailsTo(p, 'owner-broken@example.test');
    expect(mails).toHaveLength(1);
    expect(mails[0].subject).toMatch(/not renewed|not issued/i);
    expect((await p.inventory.get('broken'))!.owedMails).toBeUndefined();
  });
});
