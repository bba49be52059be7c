/**
 * Mails in the deployment's time zone and language (CERTBEAT_TIME_ZONE, CERTBEAT_MAIL_LANGUAGE):
 * Japanese beside English, dates with their UTC offset, code spans instead of raw backticks, a
 * "Renewed" mail that does not call an unattached certificate done, and the hint on running the CLI.
 */
import { describe, expect, it } from 'vitest';
import { loadRuntimeConfig } from '../../../lambda/config.js';
import { formatDate, formatDateTime, relativeDays } from '../../../lambda/domain/mail/format.js';
import { renderNotice } from '../../../lambda/domain/mail/render.js';
import type { CertificateRecord } from '../../../lambda/domain/model.js';
import type { FailedNotice, RenewedNotice } from '../../../lambda/domain/notices.js';

const NOW = new Date('2026-11-24T09:30:00Z');
const record: CertificateRecord = {
  id: 'shop', names: ['shop.example.com', 'www.shop.example.com'], zones: {}, directoryUrl: 'https://acme-v02.api.letsencrypt.org/directory',
  keyType: 'ec256', owners: ['ops@example.com'], status: 'active', failureCount: 0, nextCheckAt: NOW.toISOString(),
  acmArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666', notAfter: '2026-12-06T12:00:00Z',
};
const renewed = (o: Partial<RenewedNotice> = {}): RenewedNotice => ({
  kind: 'renewed', record, firstIssuance: false, arn: record.acmArn!, names: record.names, serial: '04:a1', notAfter: new Date('2027-02-22T14:03:00Z'),
  issuer: 'R11', directoryUrl: record.directoryUrl, inUseBy: ['arn:aws:cloudfront::123456789012:distribution/E2ABC'], nextCheckAt: new Date('2026-12-24T03:12:00Z'), ...o,
});
const failed = (o: Partial<FailedNotice> = {}): FailedNotice => ({
  kind: 'failed', record, errorClass: 'CaRejectedError', errorKind: 'refused by the CA', message: 'CAA forbids issuance',
  remediation: 'Add `0 issue "letsencrypt.org"` at example.com or remove the CAA record.', retryable: false, findings: [],
  failureCount: 5, daysLeft: 12, notAfter: new Date('2026-12-06T12:00:00Z'), nextAttemptAt: new Date('2026-11-25T09:30:00Z'), urgency: 'warning', ...o,
});
/** The HTML read as text (tags gone, folded lines joined), and the text part. */
const both = (m: { html: string; text: string }) => [m.html.replace(/<[^>]+>/g, '').replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/\s+/g, ' '), m.text];

describe('dates', () => {
  it('are shown in the configured zone with its offset; UTC stays UTC', () => {
    const d = new Date('2027-02-22T14:03:00Z');
    expect(formatDateTime(d)).toBe('22 Feb 2027 14:03 UTC');
    expect(formatDateTime(d, { timeZone: 'Asia/Tokyo' })).toBe('22 Feb 2027 23:03 UTC+9');
    expect(formatDateTime(d, { timeZone: 'America/New_York' })).toBe('22 Feb 2027 09:03 UTC-5');
    expect(formatDateTime(d, { timeZone: 'Asia/Kolkata' })).toBe('22 Feb 2027 19:33 UTC+5:30');
    // The date itself moves with the zone: 23:30 UTC is the next day in Tokyo.
    expect(formatDate(new Date('2027-02-22T23:30:00Z'), { timeZone: 'Asia/Tokyo' })).toBe('23 Feb 2027');
    expect(formatDateTime(d, { timeZone: 'Asia/Tokyo', lang: 'ja' })).toBe('2027年2月22日 23:03 (UTC+9)');
    expect(relativeDays(3, 'ja')).toBe('あと3日');
  });

  it('CERTBEAT_TIME_ZONE and CERTBEAT_MAIL_LANGUAGE are checked at start, naming the variable and the fix', () => {
    const base = { CERTBEAT_TABLE_NAME: 't', CERTBEAT_SENDER: 'a@example.com', CERTBEAT_ACCOUNT_SECRET_ID: 's' };
    expect(loadRuntimeConfig(base)).toMatchObject({ timeZone: 'UTC', mailLanguage: 'en' });
    expect(loadRuntimeConfig({ ...base, CERTBEAT_TIME_ZONE: 'Asia/Tokyo', CERTBEAT_MAIL_LANGUAGE: 'ja' })).toMatchObject({ timeZone: 'Asia/Tokyo', mailLanguage: 'ja' });
    expect(() => loadRuntimeConfig({ ...base, CERTBEAT_TIME_ZONE: 'Tokyo' })).toThrow(/CERTBEAT_TIME_ZONE: is not an IANA time zone; give one such as "UTC", "Asia\/Tokyo"/);
    expect(() => loadRuntimeConfig({ ...base, CERTBEAT_MAIL_LANGUAGE: 'de' })).toThrow(/CERTBEAT_MAIL_LANGUAGE: must be one of en, ja/);
  });
});

describe('Japanese mails', () => {
  const ja = { now: NOW, language: 'ja' as const, timeZone: 'Asia/Tokyo' };
  it('"更新完了" for a renewal, "更新未完了" for a failure, dates in Tokyo time', () => {
    const ok = renderNotice(renewed(), ja);
    expect(ok.subject).toBe('【更新完了】shop.example.com ほか1件 のSSL証明書（有効期限 2027年2月22日）');
    expect(ok.html).toContain('<html lang="ja">');
    for (const part of both(ok)) {
      expect(part).toContain('2027年2月22日 23:03 (UTC+9)（あと90日）');
      expect(part).toContain('対応は不要です');
    }
    const bad = renderNotice(failed(), ja);
    expect(bad.subject).toBe('【更新未完了・要対応】shop.example.com のSSL証明書（残り12日）');
    for (const part of both(bad)) {
      expect(part).toContain('2026年12月6日 21:00 (UTC+9)');
      expect(part).toContain('npx certbeat renew shop');
      expect(part).toContain('認証局 (CA)');
    }
    const first = renderNotice(failed({ urgency: 'notice', daysLeft: 40 }), ja);
    expect(first.subject).toMatch(/^【更新未完了】shop\.example\.com のSSL証明書 — 対応が必要です（残り\d+日）$/);
  });
});

describe('English mails', () => {
  it('in a non-UTC zone say the offset on every time', () => {
    const m = renderNotice(failed({ urgency: 'final', daysLeft: 4, notAfter: new Date('2026-11-28T12:00:00Z') }), { now: NOW, timeZone: 'America/New_York' });
    for (const part of both(m)) {
      expect(part).toContain('the certificate expires on 28 Nov 2026 07:00 UTC-5 (in 4 days)');
      expect(part).toContain('Sent 24 Nov 2026 04:30 UTC-5');
      expect(part).not.toMatch(/\d\d:\d\d UTC(?![-+])/);
    }
  });

  it('show fixes without raw backticks: a code span in HTML, bare in text', () => {
    const m = renderNotice(failed(), { now: NOW });
    expect(m.html).toMatch(/<code style="[^"]*white-space:nowrap[^"]*">0 issue &quot;letsencrypt\.org&quot;<\/code>/);
    expect(m.html).not.toMatch(/`|&#96;/);
    expect(m.text).toContain('Add 0 issue "letsencrypt.org" at example.com');
    expect(m.text).not.toContain('`');
  });

  it('a renewal of a certificate attached to nothing does not say nothing needs to be done', () => {
    const attached = renderNotice(renewed(), { now: NOW });
    expect(attached.text).toContain('Nothing needs to be done.');
    const unattached = renderNotice(renewed({ inUseBy: [] }), { now: NOW });
    for (const part of both(unattached)) {
      expect(part).not.toContain('Nothing needs to be done');
      expect(part).toContain('No resource uses it yet, so no site serves it: attach the ARN');
    }
    expect(renderNotice(renewed({ inUseBy: [] }), { now: NOW, language: 'ja' }).text).not.toContain('対応は不要です');
  });

  it('close to expiry name the renew command and how to run it where certbeat is installed', () => {
    const m = renderNotice(failed(), { now: NOW });
    for (const part of both(m)) {
      expect(part).toContain('Then renew at once: npx certbeat renew shop');
      expect(part).toContain('Run certbeat commands where the certbeat package is installed (npm pack in the certbeat checkout, then npm install ./certbeat-<version>.tgz)');
    }
  });
});
