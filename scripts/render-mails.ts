/**
 * Renders a sample of every mail certbeat sends (renewed, first issuance, failed notice / warning / final
 * notice, invalid inventory item, digest) to .html, .txt and — through headless Chromium — a .png
 * screenshot 800 px wide, cropped to the mail's height. The committed renders live in docs/mails/.
 *
 *   npx tsx scripts/render-mails.ts [outDir]      (default: docs/mails)
 *
 * Chromium is the Debian package `chromium` (`apt-get install -y chromium`), or the binary named by
 * `CHROMIUM_PATH`. The samples use a fixed clock, so re-running changes nothing unless a mail changed.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { deflateSync, inflateSync } from 'node:zlib';
import { renderDigest } from '../lambda/domain/mail/digest.js';
import { renderNotice, type RenderedMail } from '../lambda/domain/mail/render.js';
import type { CertificateRecord } from '../lambda/domain/model.js';
import type { FailedNotice, RenewedNotice } from '../lambda/domain/notices.js';

/** Screenshot width, px. */
export const SHOT_WIDTH = 800;
/** First window height tried; doubled while the mail does not fit. */
const FIRST_HEIGHT = 2400;
const MAX_HEIGHT = 9600;
/** Space kept below the mail's last content when cropping, px. */
const MARGIN = 24;

// ---------------------------------------------------------------------------------------------------
// Samples

const NOW = new Date('2026-11-24T09:30:00Z');
const LE = 'https://acme-v02.api.letsencrypt.org/directory';
const ARN = 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666';
const iso = (days: number, hour = 12) => new Date(Date.UTC(2026, 10, 24 + days, hour, 0, 0)).toISOString();

function record(o: Partial<CertificateRecord> = {}): CertificateRecord {
  return {
    id: 'shop',
    names: ['shop.example.com', '*.shop.example.com', 'www.shop.example.com'],
    zones: {},
    directoryUrl: LE,
    keyType: 'ec256',
    owners: ['ops@example.com'],
    status: 'active',
    failureCount: 0,
    nextCheckAt: iso(1, 3),
    acmArn: ARN,
    notBefore: iso(-50),
    notAfter: iso(40),
    lastOutcome: { at: iso(-50, 3), result: 'renewed' },
    ...o,
  };
}

function renewed(o: Partial<RenewedNotice> = {}): RenewedNotice {
  const r = o.record ?? record();
  return {
    kind: 'renewed',
    record: r,
    firstIssuance: false,
    arn: ARN,
    names: r.names,
    serial: '04:a1:b2:c3:d4:e5:f6:07:18:29:3a:4b:5c:6d:7e:8f:90:a1',
    notAfter: new Date('2027-02-22T14:03:00Z'),
    issuer: "Let's Encrypt R11",
    directoryUrl: r.directoryUrl,
    inUseBy: [
      'arn:aws:cloudfront::123456789012:distribution/E2ABCDEF0GHIJK',
      'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web-production/50dc6c495c0c9188',
    ],
    nextCheckAt: new Date('2026-12-24T03:12:00Z'),
    ...o,
  };
}

function failed(o: Partial<FailedNotice> = {}): FailedNotice {
  return {
    kind: 'failed',
    record: record({ failureCount: 3 }),
    errorClass: 'CaRejectedError',
    errorKind: 'refused by the CA',
    message: 'CAA record for shop.example.com prevents issuance',
    remediation: 'Allow Let\'s Encrypt in the CAA records of example.com (0 issue "letsencrypt.org"), or remove the CAA records that exclude it.',
    retryable: false,
    problemType: 'urn:ietf:params:acme:error:caa',
    // The renewal service mails the failing findings only.
    findings: [
      {
        check: 'caa',
        ok: false,
        message: "CAA at example.com lets only digicert.com issue certificates for shop.example.com (issue), not Let's Encrypt (letsencrypt.org)",
        fix: 'Add `0 issue "letsencrypt.org"` at example.com or remove the CAA record.',
      },
    ],
    failureCount: 3,
    daysLeft: 40,
    notAfter: new Date(iso(40)),
    nextAttemptAt: new Date('2026-11-25T09:30:00Z'),
    urgency: 'notice',
    ...o,
  };
}

/** The digest's sample inventory: every state a row can show. */
function digestSample() {
  const day = (d: number) => iso(d);
  const records: CertificateRecord[] = [
    record(),
    record({ id: 'marketing-site', names: ['www.example.org', 'example.org'], notAfter: day(71), notBefore: day(-19), nextCheckAt: iso(1, 3) }),
    record({
      id: 'api-gateway',
      names: ['api.example.com'],
      notAfter: day(11),
      failureCount: 0,
      nextCheckAt: iso(0, 15),
      lastOutcome: { at: iso(-79, 3), result: 'issued' },
    }),
    record({
      id: 'legacy-portal',
      names: ['portal.example.net', '*.portal.example.net'],
      notAfter: day(4),
      failureCount: 6,
      nextCheckAt: iso(0, 21),
      lastOutcome: { at: iso(-1, 21), result: 'failed', errorClass: 'CaRejectedError', message: 'CAA forbids the CA' },
    }),
    record({ id: 'status-page', names: ['status.example.com'], notAfter: day(13), nextCheckAt: iso(0, 16) }),
    record({
      id: 'new-landing',
      names: ['launch.example.com'],
      acmArn: undefined,
      notAfter: undefined,
      notBefore: undefined,
      lastOutcome: undefined,
      nextCheckAt: iso(0, 9),
    }),
    record({ id: 'staging', names: ['staging.example.com', '*.staging.example.com'], status: 'paused', notAfter: day(25) }),
    record({
      id: 'eu-customers-very-long-identifier-for-tenant-4711',
      names: ['a-rather-long-subdomain-name-for-a-customer.eu-west-1.tenants.example-enterprises.com', 'b.example.com', 'c.example.com'],
      notAfter: day(58),
      nextCheckAt: iso(2, 3),
    }),
  ];
  const invalid = [
    {
      id: 'old-blog',
      problems: ['names[1]: "blog..example.com" has an invalid label ""; use letters, digits and inner hyphens', 'keyType: must be one of ec256, ec384, rsa2048, rsa3072, rsa4096'],
      owners: [],
    },
  ];
  return { records, invalid };
}

/** Every sample mail, by file stem. */
export function sampleMails(): Array<{ name: string; mail: RenderedMail }> {
  const ctx = { now: NOW };
  const fresh = record({ id: 'docs', names: ['docs.example.com', '*.docs.example.com'], acmArn: undefined, notAfter: undefined, lastOutcome: undefined });
  return [
    { name: 'renewed', mail: renderNotice(renewed(), ctx) },
    { name: 'issued', mail: renderNotice(renewed({ record: fresh, names: fresh.names, firstIssuance: true, inUseBy: [] }), ctx) },
    { name: 'failed-notice', mail: renderNotice(failed(), ctx) },
    {
      name: 'failed-warning',
      mail: renderNotice(
        failed({
          errorClass: 'PropagationTimeoutError',
          errorKind: 'DNS change not visible in time',
          message: 'Route 53 change C2ABCDEF for _acme-challenge.shop.example.com was not INSYNC after 120 s',
          remediation: 'Route 53 was slow or throttled; certbeat retries with backoff. If it keeps failing, check the Route 53 service health and the function’s timeout.',
          retryable: true,
          problemType: undefined,
          findings: [],
          failureCount: 4,
          daysLeft: 12,
          notAfter: new Date(iso(12)),
          urgency: 'warning',
        }),
        ctx,
      ),
    },
    {
      name: 'failed-final',
      mail: renderNotice(failed({ record: record({ failureCount: 9 }), failureCount: 9, daysLeft: 4, notAfter: new Date(iso(4)), urgency: 'final' }), ctx),
    },
    // CERTBEAT_MAIL_LANGUAGE=ja, CERTBEAT_TIME_ZONE=Asia/Tokyo: the "更新完了" / "更新未完了" mails.
    { name: 'renewed-ja', mail: renderNotice(renewed(), { ...ctx, language: 'ja', timeZone: 'Asia/Tokyo' }) },
    {
      name: 'failed-warning-ja',
      mail: renderNotice(failed({ failureCount: 5, daysLeft: 12, notAfter: new Date(iso(12)), urgency: 'warning' }), { ...ctx, language: 'ja', timeZone: 'Asia/Tokyo' }),
    },
    // English in a zone west of UTC: the offset is written out on every time.
    {
      name: 'failed-final-new-york',
      mail: renderNotice(failed({ record: record({ failureCount: 9 }), failureCount: 9, daysLeft: 4, notAfter: new Date(iso(4)), urgency: 'final' }), { ...ctx, timeZone: 'America/New_York' }),
    },
    {
      name: 'invalid-item',
      mail: renderNotice(
        {
          kind: 'invalid',
          item: {
            id: 'old-blog',
            problems: ['names[1]: "blog..example.com" has an invalid label ""; use letters, digits and inner hyphens', 'keyType: must be one of ec256, ec384, rsa2048, rsa3072, rsa4096'],
            owners: ['ops@example.com'],
          },
        },
        ctx,
      ),
    },
    { name: 'digest', mail: renderDigest(digestSample(), ctx) },
  ];
}

// ---------------------------------------------------------------------------------------------------
// PNG: just enough to crop Chromium's 8-bit RGB/RGBA screenshots and to check they are not blank.

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface Bitmap {
  width: number;
  height: number;
  /** Bytes per pixel: 3 (RGB) or 4 (RGBA). */
  channels: 3 | 4;
  pixels: Buffer;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Decodes an 8-bit, non-interlaced RGB, RGBA or palette PNG (what Chromium and `encodePng` write). */
export function decodePng(png: Buffer): Bitmap {
  if (png.length < 8 || !png.subarray(0, 8).equals(PNG_SIGNATURE)) throw new Error('not a PNG file');
  let width = 0;
  let height = 0;
  let colour = 0;
  let palette: Buffer | undefined;
  const data: Buffer[] = [];
  for (let at = 8; at + 8 <= png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const body = png.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const [depth, interlace] = [body[8], body[12]];
      colour = body[9];
      if (depth !== 8 || ![2, 3, 6].includes(colour) || interlace !== 0) throw new Error(`unsupported PNG (depth ${depth}, colour type ${colour}, interlace ${interlace})`);
    } else if (type === 'PLTE') palette = body;
    else if (type === 'IDAT') data.push(body);
    else if (type === 'IEND') break;
    at += 12 + length;
  }
  // Bytes per pixel as stored (filters work on these), and as returned.
  const stored = colour === 6 ? 4 : colour === 2 ? 3 : 1;
  const channels: 3 | 4 = colour === 6 ? 4 : 3;
  if (colour === 3 && !palette) throw new Error('palette PNG without PLTE');
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * stored;
  if (raw.length < (stride + 1) * height) throw new Error('PNG image data is truncated');
  const rows = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= stored ? rows[out + x - stored] : 0;
      const b = y > 0 ? rows[out - stride + x] : 0;
      const c = x >= stored && y > 0 ? rows[out - stride + x - stored] : 0;
      const predictor = filter === 0 ? 0 : filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : filter === 4 ? paeth(a, b, c) : NaN;
      if (Number.isNaN(predictor)) throw new Error(`bad PNG filter ${filter}`);
      rows[out + x] = (line[x] + predictor) & 0xff;
    }
  }
  if (colour !== 3) return { width, height, channels, pixels: rows };
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) palette!.copy(pixels, i * 3, rows[i] * 3, rows[i] * 3 + 3);
  return { width, height, channels: 3, pixels };
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0);
  return Buffer.concat([head, body, crc]);
}

/**
 * Encodes a bitmap as an 8-bit palette PNG (alpha dropped: screenshots are opaque). A mail screenshot
 * holds a few hundred to a few thousand colours, most of them anti-aliasing shades: the 256 most frequent
 * become the palette and every other colour takes its nearest entry, which keeps text crisp at a third
 * of the size of an RGB PNG.
 */
export function encodePng(bitmap: Bitmap): Buffer {
  const { width, height, channels, pixels } = bitmap;
  const count = width * height;
  const keys = new Uint32Array(count);
  const frequency = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    const o = i * channels;
    const key = (pixels[o] << 16) | (pixels[o + 1] << 8) | pixels[o + 2];
    keys[i] = key;
    frequency.set(key, (frequency.get(key) ?? 0) + 1);
  }
  const palette = [...frequency.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, 256).map(([key]) => key);
  const index = new Map<number, number>(palette.map((key, i) => [key, i]));
  const nearest = (key: number): number => {
    let best = 0;
    let bestDistance = Infinity;
    palette.forEach((p, i) => {
      const dr = ((p >> 16) & 0xff) - ((key >> 16) & 0xff);
      const dg = ((p >> 8) & 0xff) - ((key >> 8) & 0xff);
      const db = (p & 0xff) - (key & 0xff);
      const distance = 3 * dr * dr + 4 * dg * dg + 2 * db * db; // rough perceptual weights
      if (distance < bestDistance) [best, bestDistance] = [i, distance];
    });
    index.set(key, best);
    return best;
  };
  const raw = Buffer.alloc((width + 1) * height); // filter byte 0 (None) on every row
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const key = keys[y * width + x];
      raw[y * (width + 1) + 1 + x] = index.get(key) ?? nearest(key);
    }
  }
  const plte = Buffer.alloc(palette.length * 3);
  palette.forEach((key, i) => plte.writeUIntBE(key, i * 3, 3));
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 3; // palette
  return Buffer.concat([
    PNG_SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('PLTE', plte),
    chunk('IDAT', deflateSync(raw, { level: 9, memLevel: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * Index of the last row that differs from the top row, or -1. The mail's outer padding makes the top row
 * pure page background; a mail cut off by the window ends in a row of content, so the result is the last row.
 */
export function lastContentRow(bitmap: Bitmap): number {
  const stride = bitmap.width * bitmap.channels;
  const background = bitmap.pixels.subarray(0, stride);
  for (let y = bitmap.height - 1; y > 0; y--) {
    if (!bitmap.pixels.subarray(y * stride, (y + 1) * stride).equals(background)) return y;
  }
  return -1;
}

function crop(bitmap: Bitmap, height: number): Bitmap {
  const stride = bitmap.width * bitmap.channels;
  return { ...bitmap, height, pixels: bitmap.pixels.subarray(0, height * stride) };
}

// ---------------------------------------------------------------------------------------------------
// Chromium

/** The Chromium binary: `CHROMIUM_PATH`, else `chromium` (Debian) or a usual alternative on the PATH. */
export function findChromium(): string {
  const explicit = process.env.CHROMIUM_PATH;
  if (explicit) {
    if (!existsSync(explicit)) throw new Error(`CHROMIUM_PATH is ${explicit}, which does not exist`);
    return explicit;
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']) {
      const candidate = join(dir, name);
      if (dir && existsSync(candidate)) return candidate;
    }
  }
  throw new Error('Chromium not found: install it with `apt-get install -y chromium` (Debian package), or set CHROMIUM_PATH to its binary');
}

function run(file: string, args: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`${file} failed: ${error.message}\n${String(stderr).slice(-2000)}`, { cause: error }));
      else resolvePromise();
    });
  });
}

/**
 * Screenshots `htmlFile` in headless Chromium (fresh profile, no network extras, scrollbars hidden),
 * 800 px wide, cropped `MARGIN` px below the last content; a window too short for the mail is doubled.
 */
export async function screenshot(htmlFile: string, pngFile: string, chromium = findChromium()): Promise<void> {
  for (let height = FIRST_HEIGHT; ; height *= 2) {
    const profile = await mkdtemp(join(tmpdir(), 'certbeat-chromium-'));
    try {
      await run(
        chromium,
        [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          `--user-data-dir=${profile}`,
          '--hide-scrollbars',
          '--force-device-scale-factor=1',
          `--window-size=${SHOT_WIDTH},${height}`,
          `--screenshot=${pngFile}`,
          pathToFileURL(htmlFile).href,
        ],
        60_000,
      );
    } finally {
      await rm(profile, { recursive: true, force: true });
    }
    const shot = decodePng(await readFile(pngFile));
    const last = lastContentRow(shot);
    if (last < 0) throw new Error(`${pngFile}: the screenshot is blank`);
    if (last + 1 + MARGIN <= shot.height) {
      await writeFile(pngFile, encodePng(crop(shot, last + 1 + MARGIN)));
      return;
    }
    if (height * 2 > MAX_HEIGHT) throw new Error(`${htmlFile}: the mail is taller than ${MAX_HEIGHT} px`);
  }
}

/**
 * Writes every sample mail as `<name>.html` and `<name>.txt` into `outDir` and, unless
 * `screenshots: false`, `<name>.png` rendered by Chromium. Returns the paths written, in order.
 * Throws when Chromium is needed and missing.
 */
export async function renderSampleMails(outDir: string, opts: { screenshots?: boolean } = {}): Promise<string[]> {
  const shots = opts.screenshots ?? true;
  const chromium = shots ? findChromium() : undefined;
  await mkdir(outDir, { recursive: true });
  const written: string[] = [];
  for (const { name, mail } of sampleMails()) {
    const html = resolve(outDir, `${name}.html`);
    const text = resolve(outDir, `${name}.txt`);
    await writeFile(html, mail.html);
    await writeFile(text, `Subject: ${mail.subject}\n\n${mail.text}`);
    written.push(html, text);
    if (chromium) {
      const png = resolve(outDir, `${name}.png`);
      await screenshot(html, png, chromium); // one at a time: Chromium is heavy on a shared machine
      written.push(png);
    }
  }
  return written;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = resolve(process.argv[2] ?? fileURLToPath(new URL('../docs/mails/', import.meta.url)));
  renderSampleMails(outDir).then(
    (files) => {
      for (const f of files) console.log(f);
    },
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : e);
      process.exitCode = 1;
    },
  );
}
