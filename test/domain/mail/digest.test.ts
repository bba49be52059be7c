import { describe, expect, it } from 'vitest';
import { digestRow, renderDigest, type DigestInput } from '../../../lambda/domain/mail/digest.js';
import type { CertificateRecord, InvalidItem } from '../../../lambda/domain/model.js';

const NOW = new Date('2026-11-24T09:30:00Z');
const DAY = 86_400_000;
/** `days` from NOW, at 12:00 UTC on that day (so whole days left = `days`). */
const inDays = (days: number) => new Date(Date.UTC(2026, 10, 24 + days, 12, 0, 0)).toISOString();

// The bar colours of the layout: fill per signal, and the empty track.
const FILL = { green: '#2da44e', amber: '#d4a72c', red: '#cf222e', grey: '#afb8c1' } as const;
const TRACK = '#eaeef2';

function cert(id: string, o: Partial<CertificateRecord> = {}): CertificateRecord {
  return {
    id,
    names: [`${id}.example.com`],
    zones: {},
    directoryUrl: 'https://acme-v02.api.letsencrypt.org/directory',
    keyType: 'ec256',
    owners: [],
    status: 'active',
    failureCount: 0,
    nextCheckAt: inDays(1),
    acmArn: `arn:aws:acm:us-east-1:123456789012:certificate/${id}`,
    notAfter: inDays(40),
    lastOutcome: { at: '2026-10-05T03:00:00Z', result: 'renewed' },
    ...o,
  };
}

const render = (records: CertificateRecord[], invalid: InvalidItem[] = [], extra: Partial<DigestInput> = {}) =>
  renderDigest({ records, invalid, ...extra }, { now: NOW });

/** The filled and empty widths (px) of every bar in the HTML, in order, with the fill colour. */
function bars(html: string): Array<{ filled: number; empty: number; colour?: string }> {
  const tables = html.match(/<table role="presentation" width="100"[^>]*><tr>[\s\S]*?<\/tr><\/table>/g) ?? [];
  return tables.map((t) => {
    const cells = [...t.matchAll(/<td width="(\d+)" height="8" bgcolor="(#[0-9a-f]{6})"/g)].map((m) => ({ width: Number(m[1]), colour: m[2] }));
    const fill = cells.find((c) => c.colour !== TRACK);
    const track = cells.find((c) => c.colour === TRACK);
    return { filled: fill?.width ?? 0, empty: track?.width ?? 0, colour: fill?.colour };
  });
}

/** The text part's lines of the row whose heading starts with `id`. */
function textRow(text: string, id: string): string {
  const start = text.indexOf(`\n  ${id} — `);
  expect(start).toBeGreaterThanOrEqual(0);
  const end = text.indexOf('\n\n', start + 1);
  return text.slice(start + 1, end);
}

describe('digest subject and overview', () => {
  it('counts certificates and what needs attention', () => {
    const mail = render(
      [
        cert('ok'),
        cert('failing', { lastOutcome: { at: '2026-11-23T21:00:00Z', result: 'failed', errorClass: 'CaRejectedError' } }),
        cert('soon', { notAfter: inDays(11) }),
        cert('sooner', { notAfter: inDays(3) }),
        cert('paused-soon', { status: 'paused', notAfter: inDays(2) }),
      ],
      [{ id: 'broken', problems: ['keyType: bad'], owners: [] }],
    );
    expect(mail.subject).toBe('certbeat digest: 5 certificates — 1 failing, 2 expiring within 14 days, 1 invalid item');
    for (const part of [mail.html, mail.text]) {
      expect(part).toContain('5 certificates: 1 failing, 2 expiring within 14 days, 1 invalid item');
      expect(part).toContain('24 Nov 2026 09:30 UTC');
    }
    expect(mail.text).toMatch(/Expiring within 14 days:\s+2\n/);
    expect(mail.text).toMatch(/Paused:\s+1\n/);
    expect(mail.text).toMatch(/Invalid items:\s+1\n/);
  });

  it('says when nothing needs attention, in the singular for one certificate', () => {
    expect(render([cert('ok')]).subject).toBe('certbeat digest: 1 certificate — nothing needs attention');
    expect(render([cert('gone', { notAfter: inDays(-2) })]).subject).toBe('certbeat digest: 1 certificate — 1 expired');
    expect(renderDigest({ records: [cert('ok')], invalid: [] }, { now: NOW, productName: 'Acme Ops' }).subject).toBe(
      'Acme Ops digest: 1 certificate — nothing needs attention',
    );
  });

  it('an empty inventory still gets a digest that says so', () => {
    const mail = render([]);
    expect(mail.subject).toBe('certbeat digest: 0 certificates — nothing needs attention');
    for (const part of [mail.html, mail.text]) expect(part).toContain('No certificates are registered yet');
    expect(bars(mail.html)).toEqual([]);
  });
});

describe('digest rows', () => {
  it('carry id, names summary, state, last outcome, expiry, days left and next check in HTML and text', () => {
    const record = cert('shop', {
      names: ['shop.example.com', '*.shop.example.com', 'www.shop.example.com'],
      notAfter: '2027-01-03T12:00:00Z',
      nextCheckAt: '2026-11-25T03:00:00Z',
      lastOutcome: { at: '2026-10-05T03:00:00Z', result: 'renewed' },
    });
    const mail = render([record]);
    for (const part of [mail.html, mail.text]) {
      for (const fact of ['shop', 'shop.example.com (+2 names)', 'active', 'last: renewed 5 Oct 2026', '3 Jan 2027', '12:00 UTC', '40 days left', '25 Nov 2026', '03:00 UTC']) {
        expect(part).toContain(fact);
      }
    }
    const row = textRow(mail.text, 'shop');
    expect(row).toContain('shop — shop.example.com (+2 names)');
    expect(row).toMatch(/State: +active · last: renewed 5 Oct 2026/);
    expect(row).toMatch(/Days left: +\[#########-----------\] 40 days left/);
    expect(row).toMatch(/Expiry: +3 Jan 2027 12:00 UTC/);
    expect(row).toMatch(/Next check: +25 Nov 2026 03:00 UTC/);
  });

  it('show a failing certificate with the error class, in red', () => {
    const mail = render([cert('api', { failureCount: 3, lastOutcome: { at: '2026-11-23T21:00:00Z', result: 'failed', errorClass: 'DnsZoneNotFoundError' } })]);
    for (const part of [mail.html, mail.text]) expect(part).toContain('last: failed 23 Nov 2026 (DnsZoneNotFoundError)');
    expect(mail.html).toMatch(/<span style="color:#a40e26;">failing<\/span>/);
  });

  it('a never-issued certificate says so and has no bar', () => {
    const mail = render([cert('fresh', { acmArn: undefined, notAfter: undefined, lastOutcome: undefined, nextCheckAt: inDays(-1) })]);
    const row = textRow(mail.text, 'fresh');
    expect(row).toMatch(/State: +never issued · last: never run/);
    expect(row).toMatch(/Days left: +not issued yet$/m);
    expect(row).toMatch(/Expiry: +—$/m);
    expect(row).toMatch(/Next check: +due now$/m);
    expect(row).not.toContain('[');
    expect(bars(mail.html)).toEqual([]);
    for (const part of [mail.html, mail.text]) expect(part).toContain('Not issued yet');
  });

  it('a paused certificate is greyed out, its bar grey whatever the days left, with no next check', () => {
    const mail = render([cert('staging', { status: 'paused', notAfter: inDays(3) })]);
    expect(bars(mail.html)).toEqual([{ filled: 3, empty: 97, colour: FILL.grey }]);
    expect(mail.html).not.toContain(FILL.red);
    expect(mail.html).toMatch(/<span style="color:#6e7781;font-weight:600;">staging<\/span>/);
    const row = textRow(mail.text, 'staging');
    expect(row).toMatch(/State: +paused/);
    expect(row).toMatch(/Next check: +none while paused/);
    expect(render([cert('staging', { status: 'paused', notAfter: inDays(3) })]).subject).toBe('certbeat digest: 1 certificate — nothing needs attention');
  });

  it('come most urgent first: failing, fewest days left (never issued first), paused last', () => {
    const mail = render([
      cert('b-green', { notAfter: inDays(60) }),
      cert('a-paused', { status: 'paused', notAfter: inDays(1) }),
      cert('c-amber', { notAfter: inDays(10) }),
      cert('d-failing', { notAfter: inDays(50), lastOutcome: { at: inDays(-1), result: 'failed' } }),
      cert('e-new', { notAfter: undefined, lastOutcome: undefined }),
      cert('a-green', { notAfter: inDays(60) }),
    ]);
    const order = [...mail.text.matchAll(/^ {2}([a-z]-[a-z]+) — /gm)].map((m) => m[1]);
    expect(order).toEqual(['d-failing', 'e-new', 'c-amber', 'a-green', 'b-green', 'a-paused']);
  });
});

describe('days-left bars', () => {
  it('are proportional to days left over a 90-day full bar, in HTML and text', () => {
    const mail = render([cert('x', { notAfter: inDays(45) })]);
    expect(bars(mail.html)).toEqual([{ filled: 50, empty: 50, colour: FILL.green }]);
    expect(textRow(mail.text, 'x')).toContain('[##########----------] 45 days left');
    const widths = [9, 18, 27, 72].map((d) => bars(render([cert('x', { notAfter: inDays(d) })]).html)[0].filled);
    expect(widths).toEqual([10, 20, 30, 80]);
  });

  it('are clamped: full beyond the scale, empty once expired', () => {
    const long = render([cert('long', { notAfter: inDays(400) })]);
    expect(bars(long.html)).toEqual([{ filled: 100, empty: 0, colour: FILL.green }]);
    expect(textRow(long.text, 'long')).toContain(`[${'#'.repeat(20)}] 400 days left`);
    const expired = render([cert('gone', { notAfter: inDays(-3) })]);
    expect(bars(expired.html)).toEqual([{ filled: 0, empty: 100, colour: undefined }]);
    expect(textRow(expired.text, 'gone')).toContain(`[${'-'.repeat(20)}] expired 3 days ago`);
    expect(textRow(expired.text, 'gone')).toMatch(/State: +expired/);
  });

  it('follow a configured full-bar length', () => {
    const mail = render([cert('x', { notAfter: inDays(15) })], [], { fullBarDays: 30 });
    expect(bars(mail.html)[0].filled).toBe(50);
    expect(mail.text).toContain('A full bar is 30 days or more.');
    for (const bad of [0, -5, Number.NaN]) expect(bars(render([cert('x', { notAfter: inDays(45) })], [], { fullBarDays: bad }).html)[0].filled).toBe(50);
  });

  it.each([
    [90, 'green'],
    [14, 'green'],
    [13, 'amber'],
    [7, 'amber'],
    [6, 'red'],
    [0, 'red'],
  ] as const)('%i days left is %s', (days, colour) => {
    expect(digestRow(cert('x', { notAfter: inDays(days) }), NOW).signal).toBe(colour);
    const [bar] = bars(render([cert('x', { notAfter: inDays(days) })]).html);
    if (days > 0) expect(bar.colour).toBe(FILL[colour]);
    const { html } = render([cert('x', { notAfter: inDays(days) })]);
    // The days-left text takes the same step's colour (its darker shade, for contrast).
    const shade = { green: '#116329', amber: '#7d4e00', red: '#a40e26' }[colour];
    expect(html).toMatch(new RegExp(`<span style="color:${shade};">(${days} days? left|expires today)</span>`));
  });

  it('count whole days as the failure mails do', () => {
    const row = digestRow(cert('x', { notAfter: new Date(NOW.getTime() + 13 * DAY + 1000).toISOString() }), NOW);
    expect(row.daysLeft).toBe(13);
    expect(row.fraction).toBeCloseTo(13 / 90);
  });
});

describe('invalid items', () => {
  it('are listed separately with each problem, in HTML and text, and not counted as certificates', () => {
    const mail = render(
      [cert('ok')],
      [
        { id: 'old-blog', problems: ['names[1]: "blog..example.com" has an invalid label ""', 'keyType: must be one of ec256, ec384'], owners: [] },
        { id: 'empty', problems: [], owners: [] },
      ],
    );
    expect(mail.subject).toBe('certbeat digest: 1 certificate — 2 invalid items');
    for (const part of [mail.html, mail.text]) {
      expect(part.toLowerCase()).toContain('invalid inventory items');
      expect(part).toContain('old-blog');
      expect(part).toContain('keyType: must be one of ec256, ec384');
      expect(part).toContain('the item could not be read (no detail was given)');
    }
    expect(mail.text).toContain('INVALID INVENTORY ITEMS');
    expect(mail.text).toContain("  - 'empty'\n");
    expect(mail.html).toContain('&#39;empty&#39;<br>');
    expect(mail.text).toContain('names[1]: "blog..example.com" has an invalid label ""');
    expect(mail.html).toContain('names[1]: &quot;blog..example.com&quot; has an invalid label &quot;&quot;');
    expect(mail.text).not.toMatch(/^ {2}old-blog — /m);
  });
});

describe('hostile values', () => {
  const SCRIPT = '<script>alert(1)</script>';
  const IMG = '"><img src=x onerror=alert(1)>';
  const INJECT = 'x\r\nBcc: evil@example.com';
  const mail = render(
    [
      cert(`id${INJECT}${SCRIPT}`, {
        names: [`${INJECT}${IMG}`, 'b.example.com'],
        lastOutcome: { at: 'not a date', result: 'failed', errorClass: `${SCRIPT}\nInjected` },
        nextCheckAt: 'garbage',
      }),
    ],
    [{ id: `bad${INJECT}${IMG}`, problems: [SCRIPT, `line\nbreak${IMG}`], owners: [] }],
    { fullBarDays: 90 },
  );

  it('the subject is one bounded line', () => {
    expect(mail.subject).not.toMatch(/[\r\n\u0000-\u001f]/);
    expect(mail.subject.length).toBeLessThanOrEqual(200);
  });

  it('no markup from the inventory reaches the HTML', () => {
    expect(mail.html).not.toMatch(/<script/i);
    expect(mail.html).not.toMatch(/<img/i);
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(mail.html).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
  });

  it('names and ids stay on one line in the text part, and bad dates read as unknown', () => {
    expect(mail.text).not.toMatch(/^Bcc: evil/m);
    expect(mail.text).not.toMatch(/^Injected/m);
    expect(mail.text).toContain('x Bcc: evil@example.com<script>alert(1)</script>');
    expect(mail.text).toContain('last: failed unknown date (<script>alert(1)</script> Injected)');
    expect(mail.text).toMatch(/Next check: +unknown/);
  });
});

describe('digest HTML', () => {
  const { html } = render([cert('a'), cert('b', { status: 'paused' }), cert('c', { notAfter: undefined })], [{ id: 'z', problems: ['p'], owners: [] }]);

  it('uses tables and inline styles only: no style blocks, scripts, images, external resources, flex or grid', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<(style|link|script|img|iframe|object|svg)\b/i);
    expect(html).not.toMatch(/\bsrc=|url\(|@import/i);
    expect(html).not.toMatch(/display:\s*(flex|grid)/i);
    expect(html).not.toMatch(/\bclass=/);
    for (const [, href] of html.matchAll(/href="([^"]*)"/g)) expect(href.startsWith('https://')).toBe(true);
    for (const line of html.split('\n')) expect(line.length).toBeLessThan(998);
  });

  it('draws each bar as a fixed-width table with bgcolor cells', () => {
    for (const bar of bars(html)) expect(bar.filled + bar.empty).toBe(100);
    expect(bars(html)).toHaveLength(2);
  });

  it('is deterministic', () => {
    const input = { records: [cert('a'), cert('b')], invalid: [] };
    expect(renderDigest(input, { now: NOW })).toEqual(renderDigest(input, { now: NOW }));
  });
});

describe('digest in the deployment time zone', () => {
  it('shows expiry, next check and the send time in CERTBEAT_TIME_ZONE, with the offset', () => {
    const mail = renderDigest({ records: [cert('ok')], invalid: [] }, { now: NOW, timeZone: 'Asia/Tokyo' });
    // 40 days at 12:00 UTC is 21:00 in Tokyo; the send time 09:30 UTC is 18:30 there.
    expect(mail.text).toContain('3 Jan 2027 21:00 UTC+9');
    expect(mail.text).toContain('24 Nov 2026 18:30 UTC+9');
    expect(mail.text).not.toMatch(/\d\d:\d\d UTC(?![-+])/);
    expect(renderDigest({ records: [cert('ok')], invalid: [] }, { now: NOW }).text).toContain('3 Jan 2027 12:00 UTC');
  });
});
