/**
 * The shape every certbeat mail shares, and its two renderings. A notice is first turned into a
 * `MailDocument` of plain-text facts; `renderHtml` and `renderText` then write the same document, so the
 * text part always carries the same facts as the HTML part.
 *
 * The HTML is table-based with inline CSS only (what Outlook, Gmail and Apple Mail all render), loads
 * nothing external, and escapes every value: documents hold text, never markup.
 */
import { cleanText, escapeHtml, oneLine, safeHttpsUrl } from './sanitize.js';

export type Tone = 'success' | 'notice' | 'warning' | 'final' | 'invalid';

/**
 * One labelled fact. A list value is shown one entry per line, and each entry (like a `mono` value) is
 * kept on one line, so a name holding a line break cannot pose as a fact of its own.
 */
export interface Fact {
  label: string;
  value: string | string[];
  /** Identifiers (ARN, serial) in a monospace font, breakable anywhere. */
  mono?: boolean;
  /** An https link for the value (ignored unless it is https). */
  href?: string;
}

export interface ListItem {
  text: string;
  /** A second line, e.g. the fix for a finding. */
  detail?: string;
}

export type Block =
  | { kind: 'facts'; title: string; facts: Fact[] }
  /** Highlighted paragraphs: what to do. */
  | { kind: 'callout'; title: string; paragraphs: string[] }
  | { kind: 'list'; title: string; items: ListItem[] }
  | { kind: 'paragraphs'; title: string; paragraphs: string[] };

export interface MailDocument {
  tone: Tone;
  /** A short outcome label above the heading, e.g. `RENEWED`, `FINAL NOTICE`. */
  badge: string;
  heading: string;
  intro: string[];
  blocks: Block[];
  footer: string[];
  /** Shown by mail clients next to the subject in the inbox list. */
  preheader: string;
  /** The HTML `<title>` (the subject). */
  title: string;
}

const PALETTE: Record<Tone, { accent: string; badgeBg: string; badgeFg: string }> = {
  success: { accent: '#1a7f37', badgeBg: '#dafbe1', badgeFg: '#116329' },
  notice: { accent: '#0969da', badgeBg: '#ddf4ff', badgeFg: '#0550ae' },
  warning: { accent: '#bf8700', badgeBg: '#fff8c5', badgeFg: '#7d4e00' },
  final: { accent: '#cf222e', badgeBg: '#ffebe9', badgeFg: '#a40e26' },
  invalid: { accent: '#8250df', badgeBg: '#fbefff', badgeFg: '#6639ba' },
};

const FONT = "font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;";
const MONO = "font-family:Consolas,Menlo,'Courier New',monospace;font-size:13px;word-break:break-all;";
const PAD = 'padding-left:28px;padding-right:28px;';

const esc = escapeHtml;
/** Escaped text with its line breaks kept. */
const escLines = (s: string) => esc(s).replace(/\n/g, '<br>');

/** The lines of a fact's value: list entries and identifiers flattened to one line each. */
function factLines(fact: Fact): string[] {
  if (Array.isArray(fact.value)) return fact.value.map(oneLine);
  return [fact.mono ? oneLine(fact.value) : fact.value];
}

function factValueHtml(fact: Fact): string {
  const values = factLines(fact);
  const style = fact.mono ? MONO : '';
  const href = fact.href ? safeHttpsUrl(fact.href) : undefined;
  const lines = values.map((v) => {
    const text = style ? `<span style="${style}">${escLines(v)}</span>` : escLines(v);
    return href ? `<a href="${esc(href)}" style="color:#0969da;text-decoration:underline;">${text}</a>` : text;
  });
  return lines.join('<br>');
}

function blockHtml(block: Block, tone: Tone): string {
  const { accent } = PALETTE[tone];
  const title = `<h2 style="margin:0 0 8px 0;${FONT}font-size:13px;line-height:18px;font-weight:600;letter-spacing:0.5px;text-transform:uppercase;color:#57606a;">${esc(block.title)}</h2>`;
  let body: string;
  switch (block.kind) {
    case 'facts':
      body =
        `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;">` +
        block.facts
          .map(
            (f) =>
              `<tr><td valign="top" width="150" style="width:150px;padding:6px 12px 6px 0;border-top:1px solid #eaeef2;${FONT}font-size:14px;line-height:20px;color:#57606a;">${esc(f.label)}</td>` +
              `<td valign="top" style="padding:6px 0;border-top:1px solid #eaeef2;${FONT}font-size:14px;line-height:20px;color:#1f2328;">${factValueHtml(f)}</td></tr>`,
          )
          .join('\n') +
        `</table>`;
      break;
    case 'callout':
      body =
        `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;">` +
        `<tr><td style="border-left:4px solid ${accent};background-color:#f6f8fa;padding:12px 16px;${FONT}font-size:15px;line-height:22px;color:#1f2328;">` +
        block.paragraphs.map((p, i) => `<p style="margin:${i === 0 ? 0 : 10}px 0 0 0;">${escLines(p)}</p>`).join('') +
        `</td></tr></table>`;
      break;
    case 'list':
      body =
        `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;">` +
        block.items
          .map(
            (item) =>
              `<tr><td valign="top" width="18" style="width:18px;padding:6px 0;${FONT}font-size:14px;line-height:20px;color:${accent};">&#8226;</td>` +
              `<td valign="top" style="padding:6px 0;${FONT}font-size:14px;line-height:20px;color:#1f2328;">${escLines(item.text)}` +
              (item.detail ? `<br><span style="color:#57606a;">${escLines(item.detail)}</span>` : '') +
              `</td></tr>`,
          )
          .join('\n') +
        `</table>`;
      break;
    case 'paragraphs':
      body = block.paragraphs
        .map((p) => `<p style="margin:0 0 10px 0;${FONT}font-size:14px;line-height:20px;color:#1f2328;">${escLines(p)}</p>`)
        .join('');
      break;
  }
  return `<tr><td style="${PAD}padding-top:12px;padding-bottom:12px;">${title}${body}</td></tr>`;
}

/** Tags next to which a line break is invisible (table structure and block elements). */
const BREAKABLE_TAG = /^<\/?(?:table|tr|td|p|h1|h2|div|span|body|html|head)\b/i;

/**
 * Breaks lines longer than `max` so that no line comes near RFC 5322's 998-character limit: before a
 * table or block tag, or at a space in text. Where it breaks, HTML renders the same.
 */
export function foldHtml(html: string, max = 800): string {
  const out: string[] = [];
  for (const line of html.split('\n')) {
    let current = '';
    for (const token of line.split(/(<[^>]*>)/).filter(Boolean)) {
      if (token.startsWith('<')) {
        if (current.length + token.length > max && current !== '' && BREAKABLE_TAG.test(token)) {
          out.push(current);
          current = '';
        }
        current += token;
        continue;
      }
      for (const word of token.split(/(?<= )/)) {
        if (current.length + word.length > max && current.endsWith(' ')) {
          out.push(current.trimEnd());
          current = '';
        }
        current += word;
      }
    }
    out.push(current);
  }
  return out.join('\n');
}

/** The HTML part: a complete document, one centred 600 px card. */
export function renderHtml(doc: MailDocument): string {
  const p = PALETTE[doc.tone];
  const intro = doc.intro
    .map((para) => `<p style="margin:0 0 12px 0;${FONT}font-size:15px;line-height:22px;color:#1f2328;">${escLines(para)}</p>`)
    .join('');
  const footer = doc.footer
    .map((line) => `<p style="margin:0 0 6px 0;${FONT}font-size:12px;line-height:18px;color:#6e7781;">${escLines(line)}</p>`)
    .join('');
  const html = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light">',
    `<title>${esc(doc.title)}</title>`,
    '</head>',
    '<body style="margin:0;padding:0;background-color:#f4f5f7;">',
    `<div style="display:none;max-height:0;overflow:hidden;opacity:0;">${esc(doc.preheader)}</div>`,
    '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#f4f5f7;">',
    '<tr><td align="center" style="padding:24px 12px;">',
    '<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:600px;background-color:#ffffff;border:1px solid #d0d7de;border-radius:6px;border-collapse:separate;">',
    `<tr><td height="6" style="height:6px;line-height:6px;font-size:0;background-color:${p.accent};border-radius:6px 6px 0 0;">&nbsp;</td></tr>`,
    `<tr><td style="${PAD}padding-top:24px;padding-bottom:8px;">`,
    `<span style="display:inline-block;padding:3px 8px;border-radius:4px;background-color:${p.badgeBg};color:${p.badgeFg};${FONT}font-size:12px;line-height:16px;font-weight:700;letter-spacing:0.5px;">${esc(doc.badge)}</span>`,
    `<h1 style="margin:12px 0 12px 0;${FONT}font-size:22px;line-height:28px;font-weight:600;color:#1f2328;word-break:break-word;">${esc(doc.heading)}</h1>`,
    intro,
    '</td></tr>',
    ...doc.blocks.map((b) => blockHtml(b, doc.tone)),
    `<tr><td style="${PAD}padding-top:16px;padding-bottom:24px;border-top:1px solid #eaeef2;">${footer}</td></tr>`,
    '</table>',
    '</td></tr>',
    '</table>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
  return foldHtml(html);
}

/** Indents every line after the first by `pad` spaces (multi-line values under a label). */
function hang(text: string, pad: number): string {
  return cleanText(text).split('\n').join(`\n${' '.repeat(pad)}`);
}

function blockText(block: Block): string[] {
  const out = [oneLine(block.title).toUpperCase()];
  switch (block.kind) {
    case 'facts': {
      const width = Math.max(...block.facts.map((f) => oneLine(f.label).length)) + 1;
      for (const f of block.facts) {
        const label = `${oneLine(f.label)}:`.padEnd(width + 1);
        const values = factLines(f);
        const pad = 2 + width + 1;
        const shown = values.length === 0 ? [''] : values;
        shown.forEach((v, i) => out.push(`${i === 0 ? `  ${label}` : ' '.repeat(pad)}${hang(v, pad)}`));
        const href = f.href ? safeHttpsUrl(f.href) : undefined;
        if (href) out.push(`${' '.repeat(pad)}${href}`);
      }
      break;
    }
    case 'callout':
    case 'paragraphs':
      block.paragraphs.forEach((p, i) => {
        if (i > 0) out.push('');
        out.push(`  ${hang(p, 2)}`);
      });
      break;
    case 'list':
      for (const item of block.items) {
        out.push(`  - ${hang(item.text, 4)}`);
        if (item.detail) out.push(`    ${hang(item.detail, 4)}`);
      }
      break;
  }
  return out;
}

/** The text part: the same document as plain text, sections in capitals, facts aligned. */
export function renderText(doc: MailDocument): string {
  const heading = `[${oneLine(doc.badge)}] ${oneLine(doc.heading)}`;
  const lines = [heading, '='.repeat(Math.min(heading.length, 72)), ''];
  for (const para of doc.intro) lines.push(cleanText(para), '');
  for (const block of doc.blocks) lines.push(...blockText(block), '');
  lines.push('-- ');
  for (const line of doc.footer) lines.push(cleanText(line));
  return `${lines.join('\n')}\n`;
}

/** What every mail builder gets from `renderNotice`. */
export interface MailContext {
  now: Date;
  /** The product name shown in mails (already header-safe). */
  productName: string;
}

/** A notice turned into words, before the subject is sanitised and the document rendered. */
export interface BuiltMail {
  subject: string;
  doc: Omit<MailDocument, 'title'>;
}

/** The closing lines of every mail: why this address gets it, and who sent it when. */
export function footerLines(ctx: MailContext, id: string, sentAt: string): string[] {
  return [
    `You receive this mail because you are an owner of '${id}' in ${ctx.productName}'s inventory, or a default recipient when it names no owner.`,
    `${ctx.productName} renews imported ACM certificates unattended. Sent ${sentAt}.`,
  ];
}
