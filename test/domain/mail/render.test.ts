import { describe, expect, it } from 'vitest';
import { renderNotice } from '../../../lambda/domain/mail/render.js';
import { NOT_ATTACHED } from '../../../lambda/domain/mail/renewed.js';
import type { CertificateRecord } from '../../../lambda/domain/model.js';
import type { FailedNotice, InvalidItemNotice, RenewedNotice } from '../../../lambda/domain/notices.js';

// Notices for the tests below: a record and one notice of each kind, overridable per test.
const NOW = new Date('2026-11-24T09:30:00Z');
const ARN = 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666';

function record(overrides: Partial<CertificateRecord> = {}): CertificateRecord {
  return {
    id: 'shop',
    names: ['shop.example.com', '*.shop.example.com', 'www.shop.example.com'],
    zones: {},
    directoryUrl: 'https://acme-v02.api.letsencrypt.org/directory',
    keyType: 'ec256',
    owners: ['owner@example.com'],
    status: 'active',
    failureCount: 0,
    nextCheckAt: '2026-11-24T09:00:00Z',
    acmArn: ARN,
    notAfter: '2026-12-06T12:00:00Z',
    ...overrides,
  };
}

function renewed(overrides: Partial<RenewedNotice> = {}): RenewedNotice {
  const r = overrides.record ?? record();
  return {
    kind: 'renewed',
    record: r,
    firstIssuance: false,
    arn: ARN,
    names: r.names,
    serial: '04:a1:b2:c3:d4:e5',
    notAfter: new Date('2027-02-22T14:03:00Z'),
    issuer: 'R11',
    directoryUrl: r.directoryUrl,
    inUseBy: ['arn:aws:cloudfront::123456789012:distribution/E2ABCDEF', 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188'],
    nextCheckAt: new Date('2026-12-24T03:12:00Z'),
    ...overrides,
  };
}

function failed(overrides: Partial<FailedNotice> = {}): FailedNotice {
  return {
    kind: 'failed',
    record: overrides.record ?? record({ failureCount: 2 }),
    errorClass: 'CaRejectedError',
    errorKind: 'refused by the CA',
    message: 'CAA record for shop.example.com prevents issuance',
    remediation: 'Add a CAA record 0 issue "letsencrypt.org" to shop.example.com, or remove the CAA records that exclude it.',
    retryable: false,
    problemType: 'urn:ietf:params:acme:error:caa',
    findings: [{ check: 'caa', ok: false, message: 'CAA at example.com allows only digicert.com', fix: 'add 0 issue "letsencrypt.org" at example.com' }],
    failureCount: 3,
    daysLeft: 40,
    notAfter: new Date('2027-01-03T12:00:00Z'),
    nextAttemptAt: new Date('2026-11-25T09:30:00Z'),
    urgency: 'notice',
    ...overrides,
  };
}

function invalid(overrides: Partial<InvalidItemNotice['item']> = {}): InvalidItemNotice {
  return {
    kind: 'invalid',
    item: {
      id: 'legacy-api',
      problems: ['names[1]: "api..example.com" has an invalid label ""; use letters, digits and inner hyphens', 'keyType: must be one of ec256, ec384, rsa2048, rsa3072, rsa4096'],
      owners: ['owner@example.com'],
      ...overrides,
    },
  };
}

const ctx = { now: NOW };
const both = (m: { html: string; text: string }) => [m.html, m.text];

describe('renewed mail', () => {
  it('states outcome, names and expiry in the subject', () => {
    expect(renderNotice(renewed(), ctx).subject).toBe('Renewed: shop.example.com (+2 names) — valid until 22 Feb 2027');
    const single = record({ names: ['example.com'] });
    expect(renderNotice(renewed({ record: single, names: single.names }), ctx).subject).toBe('Renewed: example.com — valid until 22 Feb 2027');
  });

  it('carries names, expiry, serial, CA, ARN, where it is used and the next check in HTML and text', () => {
    const mail = renderNotice(renewed(), ctx);
    for (const part of both(mail)) {
      for (const name of ['shop.example.com', '*.shop.example.com', 'www.shop.example.com']) expect(part).toContain(name);
      expect(part).toContain('22 Feb 2027 14:03 UTC (in 90 days)');
      expect(part).toContain('04:a1:b2:c3:d4:e5');
      expect(part).toContain(ARN);
      expect(part).toContain('(acme-v02.api.letsencrypt.org)');
      expect(part).toContain('CloudFront distribution E2ABCDEF');
      expect(part).toContain('Application Load Balancer web');
      expect(part).toContain('24 Dec 2026 03:12 UTC');
      expect(part).toContain('ECDSA P-256');
      expect(part).toContain('https://us-east-1.console.aws.amazon.com/acm/home?region=us-east-1#/certificates/0a1b2c3d-1111-2222-3333-444455556666');
    }
    expect(mail.text).toContain("Let's Encrypt (acme-v02.api.letsencrypt.org)");
    expect(mail.html).toContain('Let&#39;s Encrypt (acme-v02.api.letsencrypt.org)');
  });

  it('on first issuance with no user says how to attach the ARN', () => {
    const mail = renderNotice(renewed({ firstIssuance: true, inUseBy: [] }), ctx);
    expect(mail.subject).toBe('Issued: shop.example.com (+2 names) — valid until 22 Feb 2027');
    for (const part of both(mail)) {
      expect(part).toContain(NOT_ATTACHED);
      expect(part).toContain(ARN);
    }
  });

  it('names the directory host for a CA it does not know', () => {
    const mail = renderNotice(renewed({ directoryUrl: 'https://localhost:14000/dir' }), ctx);
    for (const part of both(mail)) expect(part).toContain('localhost:14000');
    expect(mail.text).not.toContain("Let's Encrypt");
  });
});

describe('failed mail', () => {
  it('carries kind, message, remediation, problem type, findings, expiry, count and next attempt in HTML and text', () => {
    const mail = renderNotice(failed(), ctx);
    for (const part of both(mail)) {
      expect(part).toContain('Refused by the CA');
      expect(part).toContain('CAA record for shop.example.com prevents issuance');
      expect(part).toContain('Add a CAA record 0 issue');
      expect(part).toContain('urn:ietf:params:acme:error:caa');
      expect(part).toContain('CAA at example.com allows only digicert.com');
      expect(part).toContain('Fix: add 0 issue');
      expect(part).toContain('3 Jan 2027 12:00 UTC (40 days left)');
      expect(part).toContain('25 Nov 2026 09:30 UTC');
      expect(part).toContain(ARN);
      expect(part).toContain('CaRejectedError');
    }
    expect(mail.text).toMatch(/Failed attempts:\s+3\n/);
    expect(mail.html).toMatch(/Failed attempts<\/td><td[^>]*>3<\/td>/);
  });

  it('subjects escalate with urgency', () => {
    const subject = (o: Parameters<typeof failed>[0]) => renderNotice(failed(o), ctx).subject;
    expect(subject({})).toBe('Not renewed: shop.example.com — action needed, 40 days left');
    expect(subject({ errorClass: 'TransientError', errorKind: 'temporary failure', retryable: true, problemType: undefined })).toBe(
      'Not renewed: shop.example.com — will retry, 40 days left',
    );
    expect(subject({ urgency: 'warning', daysLeft: 12 })).toBe('Not renewed: shop.example.com — action needed, 12 days left');
    expect(subject({ urgency: 'final', daysLeft: 5 })).toBe('FINAL NOTICE: shop.example.com expires in 5 days — renewal failing');
    expect(subject({ urgency: 'final', daysLeft: 1 })).toBe('FINAL NOTICE: shop.example.com expires in 1 day — renewal failing');
    expect(subject({ urgency: 'final', daysLeft: 0 })).toBe('FINAL NOTICE: shop.example.com expires today — renewal failing');
    expect(subject({ urgency: 'final', daysLeft: -2 })).toBe('FINAL NOTICE: shop.example.com expired 2 days ago — renewal failing');
  });

  it('the tone of the body escalates too', () => {
    const notice = renderNotice(failed(), ctx);
    const warning = renderNotice(failed({ urgency: 'warning', daysLeft: 12 }), ctx);
    const final = renderNotice(failed({ urgency: 'final', daysLeft: 5, failureCount: 9 }), ctx);
    expect(notice.text).toMatch(/^\[NOT RENEWED\] /);
    expect(warning.text).toMatch(/^\[ACTION NEEDED\] shop\.example\.com expires in 12 days/);
    expect(final.text).toMatch(/^\[FINAL NOTICE\] shop\.example\.com expires in 5 days/);
    expect(final.text).toContain('security error');
    expect(final.text).toContain('Renewal has failed 9 times');
    expect(notice.text).toContain('nothing is broken yet');
    // Accent colours: blue, amber, red.
    expect(notice.html).toContain('#0969da');
    expect(warning.html).toContain('#bf8700');
    expect(final.html).toContain('#cf222e');
    expect(notice.html).not.toContain('#cf222e');
  });

  it('the final notice says plainly when the certificate expires and what to do now, naming the renew command', () => {
    const final = renderNotice(failed({ urgency: 'final', daysLeft: 4, notAfter: new Date('2026-11-28T12:00:00Z') }), ctx);
    // The command is a code span in HTML (never raw backticks): read the HTML without its tags.
    expect(final.html).toContain('<code');
    for (const part of both(final).map((p) => p.replace(/<[^>]+>/g, '').replace(/\n(?=\S)/g, ' '))) {
      expect(part).not.toContain('`');
      expect(part).toContain('the certificate expires on 28 Nov 2026 12:00 UTC (in 4 days)');
      expect(part).toContain('What to do now: fix the cause below, then renew at once with npx certbeat renew shop');
      expect(part).toContain('Then renew at once: npx certbeat renew shop');
    }
    const expired = renderNotice(failed({ urgency: 'final', daysLeft: -1, notAfter: new Date('2026-11-23T12:00:00Z') }), ctx);
    for (const part of both(expired)) {
      expect(part).toContain('the certificate expired on 23 Nov 2026 12:00 UTC');
      expect(part).toContain('npx certbeat renew shop');
    }
    // Far from expiry the mail stays calm: no call to act at once.
    expect(renderNotice(failed(), ctx).text).not.toContain('npx certbeat renew');
  });

  it('for a certificate never issued says so instead of an expiry', () => {
    const mail = renderNotice(failed({ daysLeft: undefined, notAfter: undefined, record: record({ acmArn: undefined, notAfter: undefined }) }), ctx);
    expect(mail.subject).toBe('Not issued: shop.example.com — action needed');
    for (const part of both(mail)) {
      expect(part).toContain('not issued yet');
      expect(part).toContain('25 Nov 2026 09:30 UTC');
      expect(part).not.toContain(ARN);
    }
  });

  it('leaves out the problem and findings sections when there are none', () => {
    const mail = renderNotice(failed({ problemType: undefined, findings: [] }), ctx);
    expect(mail.text).not.toContain('ACME problem');
    expect(mail.text).not.toContain('FINDINGS');
  });
});

describe('invalid item mail', () => {
  it('names the item and every problem in HTML and text', () => {
    const mail = renderNotice(invalid(), ctx);
    expect(mail.subject).toBe("certbeat: inventory item 'legacy-api' is invalid");
    for (const part of both(mail)) {
      expect(part).toContain('legacy-api');
      expect(part).toContain('keyType: must be one of ec256, ec384, rsa2048, rsa3072, rsa4096');
    }
    expect(mail.text).toContain('names[1]: "api..example.com" has an invalid label ""');
    expect(mail.html).toContain('names[1]: &quot;api..example.com&quot; has an invalid label &quot;&quot;');
  });

  it('uses the product name given', () => {
    expect(renderNotice(invalid(), { now: NOW, productName: 'Acme Ops' }).subject).toBe("Acme Ops: inventory item 'legacy-api' is invalid");
  });
});

describe('hostile values', () => {
  const SCRIPT = '<script>alert(1)</script>';
  const IMG = '"><img src=x onerror=alert(1)>';
  const INJECT = 'x\r\nBcc: evil@example.com';
  const hostileRecord = record({ id: `id${INJECT}`, names: [`${INJECT}${SCRIPT}`, `a${IMG}.example.com`] });
  const notices = [
    renewed({ record: hostileRecord, names: hostileRecord.names, serial: SCRIPT, issuer: IMG, inUseBy: [SCRIPT], arn: `arn${IMG}` }),
    failed({ record: hostileRecord, message: `${SCRIPT}\r\nBcc: evil@example.com`, remediation: IMG, problemType: SCRIPT, errorKind: SCRIPT, findings: [{ check: SCRIPT, ok: false, message: IMG, fix: SCRIPT }] }),
    failed({ record: hostileRecord, urgency: 'final', daysLeft: 3 }),
    invalid({ id: `legacy${INJECT}${SCRIPT}`, problems: [SCRIPT, IMG] }),
  ];

  it.each(notices.map((n, i) => [i, n] as const))('notice %i: the subject is one bounded line', (_i, notice) => {
    const { subject } = renderNotice(notice, ctx);
    expect(subject).not.toMatch(/[\r\n\u0000-\u001f\u007f]/);
    expect(subject.length).toBeLessThanOrEqual(200);
    expect(subject).toContain('x Bcc: evil@example.com');
  });

  it.each(notices.map((n, i) => [i, n] as const))('notice %i: HTML has no markup from the record', (_i, notice) => {
    const { html, text } = renderNotice(notice, ctx);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toContain('onerror=alert(1)>');
    expect(html).toMatch(/&lt;(script|img)/);
    // The text part keeps the values readable, as text.
    expect(text).toMatch(/<script>alert\(1\)<\/script>|<img src=x/);
    // One-line fields (names, ids) stay on one line in the text part.
    expect(text).not.toMatch(/^Bcc: evil/m);
  });

  it('an unsafe ARN gets no link', () => {
    const { html } = renderNotice(renewed({ arn: 'javascript:alert(1)' }), ctx);
    expect(html).not.toContain('href="javascript');
    expect(html).toContain('javascript:alert(1)');
  });

  it('subjects stay within 200 characters even for very long names', () => {
    const long = `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.example.com`;
    const r = record({ names: [long] });
    const { subject } = renderNotice(failed({ record: r, urgency: 'final', daysLeft: 2 }), ctx);
    expect(subject.length).toBeLessThanOrEqual(200);
    expect(subject.startsWith('FINAL NOTICE: aaaa')).toBe(true);
    expect(subject.endsWith('…')).toBe(true);
  });
});

describe('HTML structure', () => {
  it.each([renewed(), failed(), invalid()].map((n) => [n.kind, n] as const))('%s: table layout, inline CSS, nothing external', (_k, notice) => {
    const { html } = renderNotice(notice, ctx);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<table role="presentation"');
    expect(html).not.toMatch(/<(style|link|script|img|iframe|object)\b/i);
    expect(html).not.toMatch(/\bsrc=|url\(|@import/i);
    for (const [, href] of html.matchAll(/href="([^"]*)"/g)) expect(href.startsWith('https://')).toBe(true);
    // No line long enough to trouble a mail transfer agent (RFC 5322 caps lines at 998).
    for (const line of html.split('\n')) expect(line.length).toBeLessThan(998);
  });

  it('is deterministic', () => {
    expect(renderNotice(failed(), ctx)).toEqual(renderNotice(failed(), ctx));
  });
});
