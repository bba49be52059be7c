import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePng, encodePng, findChromium, lastContentRow, renderSampleMails, sampleMails, SHOT_WIDTH } from '../../scripts/render-mails.js';

const KINDS = ['renewed', 'issued', 'failed-notice', 'failed-warning', 'failed-final', 'renewed-ja', 'failed-warning-ja', 'failed-final-new-york', 'invalid-item', 'digest'];
const DOCS = fileURLToPath(new URL('../../docs/mails/', import.meta.url));

/** Width and height from a PNG's IHDR, read by hand (independent of the script's decoder). */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(png.toString('latin1', 12, 16)).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

const hex = (s: string) => [1, 3, 5].map((i) => parseInt(s.slice(i, i + 2), 16));

/** How many pixels have exactly this colour. */
function pixelsOf(bitmap: ReturnType<typeof decodePng>, colour: string): number {
  const [r, g, b] = hex(colour);
  let n = 0;
  for (let o = 0; o < bitmap.pixels.length; o += bitmap.channels) {
    if (bitmap.pixels[o] === r && bitmap.pixels[o + 1] === g && bitmap.pixels[o + 2] === b) n++;
  }
  return n;
}

/**
 * Horizontal runs of exactly this colour at least 4 px long, as run length → number of rows: a bar is a
 * run of its width repeated on 8 rows; anti-aliased text never makes such runs.
 */
function runs(bitmap: ReturnType<typeof decodePng>, colour: string): Map<number, number> {
  const [r, g, b] = hex(colour);
  const found = new Map<number, number>();
  for (let y = 0; y < bitmap.height; y++) {
    let run = 0;
    for (let x = 0; x <= bitmap.width; x++) {
      const o = (y * bitmap.width + x) * bitmap.channels;
      if (x < bitmap.width && bitmap.pixels[o] === r && bitmap.pixels[o + 1] === g && bitmap.pixels[o + 2] === b) run++;
      else {
        if (run >= 4) found.set(run, (found.get(run) ?? 0) + 1);
        run = 0;
      }
    }
  }
  return found;
}

describe('sample mails rendered in headless Chromium', () => {
  let out: string;
  let files: string[];

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'certbeat-mails-'));
    // Chromium is required: findChromium throws, naming the package to install, when it is missing.
    findChromium();
    files = await renderSampleMails(out);
  }, 180_000);
  afterAll(async () => {
    if (out) await rm(out, { recursive: true, force: true });
  });

  it('writes .html, .txt and .png for every kind of mail', () => {
    expect(files.map((f) => basename(f))).toEqual(KINDS.flatMap((k) => [`${k}.html`, `${k}.txt`, `${k}.png`]));
  });

  it.each(KINDS)('%s.png is a real, non-blank screenshot of sensible size', async (kind) => {
    const png = await readFile(join(out, `${kind}.png`));
    const { width, height } = pngSize(png);
    expect(width).toBe(SHOT_WIDTH);
    expect(height).toBeGreaterThan(500);
    expect(height).toBeLessThan(4000);
    expect(png.length).toBeGreaterThan(10_000);
    expect(png.length).toBeLessThan(150_000);

    const bitmap = decodePng(png);
    expect([bitmap.width, bitmap.height]).toEqual([width, height]);
    // Cropped just below the card: the last content row is MARGIN px above the bottom.
    expect(lastContentRow(bitmap)).toBe(height - 25);
    // Not blank: the white card covers much of the page, and text brings many shades.
    expect(pixelsOf(bitmap, '#ffffff') / (width * height)).toBeGreaterThan(0.4);
    const shades = new Set<number>();
    for (let o = 0; o < bitmap.pixels.length; o += bitmap.channels) shades.add((bitmap.pixels[o] << 16) | (bitmap.pixels[o + 1] << 8) | bitmap.pixels[o + 2]);
    expect(shades.size).toBeGreaterThan(50);
  });

  it('each mail shows its tone: the accent stripe in the colour of the outcome', async () => {
    const accent: Record<string, string> = {
      renewed: '#1a7f37',
      issued: '#1a7f37',
      'failed-notice': '#0969da',
      'failed-warning': '#bf8700',
      'failed-final': '#cf222e',
      'invalid-item': '#8250df',
    };
    for (const [kind, colour] of Object.entries(accent)) {
      const bitmap = decodePng(await readFile(join(out, `${kind}.png`)));
      // The stripe is 6 px high across the 600 px card (less the rounded corners).
      expect(pixelsOf(bitmap, colour), kind).toBeGreaterThan(6 * 560);
    }
  });

  it('the digest draws its days-left bars: 8 px high, as wide as the days left say, in green, amber, red and grey', async () => {
    const bitmap = decodePng(await readFile(join(out, 'digest.png')));
    // Filled widths in the sample (90 days = 100 px): 40, 58 and 71 days green; 11 and 13 amber; 4 red; 25 paused, grey.
    expect(runs(bitmap, '#2da44e')).toEqual(new Map([[44, 8], [64, 8], [79, 8]]));
    expect(runs(bitmap, '#d4a72c')).toEqual(new Map([[12, 8], [14, 8]]));
    expect(runs(bitmap, '#afb8c1')).toEqual(new Map([[28, 8]]));
    expect(runs(bitmap, '#cf222e').get(4)).toBe(8);
  });

  it.each(KINDS)('%s.html keeps to what mail clients render: inline styles, no scripts, nothing external', async (kind) => {
    const html = await readFile(join(out, `${kind}.html`), 'utf8');
    const head = html.slice(html.indexOf('<head>'), html.indexOf('</head>'));
    expect(head.replace(/<meta [^>]*>|<title>[^<]*<\/title>|<head>|\n/g, '')).toBe('');
    expect(html).not.toMatch(/<(style|link|script|img|iframe|object|embed|form|input|svg|video|audio)\b/i);
    expect(html).not.toMatch(/\bon[a-z]+=|\bsrc=|url\(|@import|javascript:/i);
    expect(html).not.toMatch(/display:\s*(flex|grid)|position:\s*(absolute|fixed)/i);
    for (const [, href] of html.matchAll(/href="([^"]*)"/g)) expect(href.startsWith('https://')).toBe(true);
    for (const line of html.split('\n')) expect(line.length).toBeLessThan(998);
    expect(await readFile(join(out, `${kind}.txt`), 'utf8')).toMatch(/^Subject: \S/);
  });

  it('the committed samples in docs/mails match what the code renders now', async () => {
    for (const { name, mail } of sampleMails()) {
      const hint = `docs/mails/${name} is stale: run npx tsx scripts/render-mails.ts`;
      expect(await readFile(join(DOCS, `${name}.html`), 'utf8'), hint).toBe(mail.html);
      expect(await readFile(join(DOCS, `${name}.txt`), 'utf8'), hint).toBe(`Subject: ${mail.subject}\n\n${mail.text}`);
      const png = await stat(join(DOCS, `${name}.png`));
      expect(png.size, `docs/mails/${name}.png`).toBeLessThan(150_000);
    }
  });
});

describe('PNG helpers', () => {
  it('encode and decode round-trip a bitmap with few colours exactly', () => {
    const width = 7;
    const height = 5;
    const pixels = Buffer.alloc(width * height * 3);
    for (let i = 0; i < width * height; i++) pixels.set([(i * 37) % 256, (i * 11) % 256, i % 2 ? 255 : 0], i * 3);
    const decoded = decodePng(encodePng({ width, height, channels: 3, pixels }));
    expect(decoded).toMatchObject({ width, height, channels: 3 });
    expect(decoded.pixels.equals(pixels)).toBe(true);
  });

  it('refuses what is not a PNG', () => {
    expect(() => decodePng(Buffer.from('GIF89a........'))).toThrow('not a PNG file');
  });
});
