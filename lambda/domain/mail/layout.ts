/**
 * The shape every certbeat mail shares, and its two renderings. A notice is first turned into a
 * `MailDocument` of plain-text facts; `renderHtml` and `renderText` then write the same document, so the
 * text part always carries the same facts as the HTML part.
 *
 * The HTML is table-based with inline CSS only (what Outlook, Gmail and Apple Mail all render), loads
 * nothing external, and escapes every value: documents hold text, never markup.
 */
import { cleanText, escapeHtml, oneLine, safeHttpsUrl } from './sanitize.js';
import type { MailLanguage } from './format.js';

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

/** Colours a bar or a cell may take: the digest's days-left steps, and grey for what is paused or unknown. */
export type Signal = 'green' | 'amber' | 'red' | 'grey';

/** A horizontal bar, `fraction` of its track filled (clamped to 0..1; not a number counts as 0). */
export interface Bar {
  fraction: number;
  colour: Signal;
}

/**
 * One table cell. The first line is the value; further lines are secondary (smaller). Every line stays
 * one line, whatever it holds.
 */
export interface TableCell {
  lines: string[];
  /** Drawn above the lines. */
  bar?: Bar;
  /** Text colour of the cell's first line. */
  colour?: Signal;
  strong?: boolean;
  /** How the text part joins the lines (default ` · `), e.g. a space for a date and its time. */
  joiner?: string;
}

export interface TableColumn {
  label: string;
  /** Width in px in the HTML part (the card's content is 544 px wide). */
  width: number;
}

export interface TableRow {
  cells: TableCell[];
  /** Greyed out (e.g. a paused certificate). */
  muted?: boolean;
}

export type Block =
  | { kind: 'facts'; title: string; facts: Fact[] }
  /**
   * Rows of cells under column labels. In the text part each row becomes a paragraph: the first cell's
   * lines as its heading, the other cells as `Label: value` lines.
   */
  | { kind: 'table'; title: string; columns: TableColumn[]; rows: TableRow[] }
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
  /** The document's language (`<html lang>`); default English. */
  lang?: MailLanguage;
}

const PALETTE: Record<Tone, { accent: string; badgeBg: string; badgeFg: string }> = {
  success: { accent: '#1a7f37', badgeBg: '#dafbe1', badgeFg: '#116329' },
  notice: { accent: '#0969da', badgeBg: '#ddf4ff', badgeFg: '#0550ae' },
  warning: { accent: '#bf8700', badgeBg: '#fff8c5', badgeFg: '#7d4e00' },
  final: { accent: '#cf222e', badgeBg: '#ffebe9', badgeFg: '#a40e26' },
  invalid: { accent: '#8250df', badgeBg: '#fbefff', badgeFg: '#6639ba' },
};

// Japanese faces after the Latin ones: Latin text keeps its look, Japanese text gets a Japanese face.
const FONT =
  "font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,'Hiragino Sans','Hiragino Kaku Gothic ProN',Meiryo,'Noto Sans CJK JP','Noto Sans JP',sans-serif;";
const MONO = "font-family:Consolas,Menlo,'Courier New',monospace;font-size:13px;word-break:break-all;";
const PAD = 'padding-left:28px;padding-right:28px;';
/** A command in prose: kept on one line (a command broken as "npm pac k" cannot be copied). */
const CODE = "font-family:Consolas,Menlo,'Courier New',monospace;font-size:13px;white-space:nowrap;background-color:#eaeef2;padding:1px 4px;border-radius:3px;";

/** Bar fill and text colour per signal; text colours keep WCAG AA contrast on white. */
const SIGNAL: Record<Signal, { bar: string; text: string }> = {
  green: { bar: '#2da44e', text: '#116329' },
  amber: { bar: '#d4a72c', text: '#7d4e00' },
  red: { bar: '#cf222e', text: '#a40e26' },
  grey: { bar: '#afb8c1', text: '#6e7781' },
};
const BAR_TRACK = '#eaeef2';
/** Width of a bar's track in the HTML part, px. */
export const BAR_WIDTH_PX = 100;
/** Width of a bar's track in the text part, characters. */
export const BAR_WIDTH_CHARS = 20;

/** A fraction made safe for drawing: 0..1, and 0 for NaN. */
export function clampFraction(fraction: number): number {
  if (!Number.isFinite(fraction)) return fraction === Infinity ? 1 : 0;
  return Math.min(1, Math.max(0, fraction));
}

/** Filled units of a track `width` units long: proportional to the fraction, rounded, clamped. */
export function barUnits(fraction: number, width: number): number {
  return Math.round(clampFraction(fraction) * width);
}

/** The text part's bar, e.g. `[#####---------------]`. */
export function textBar(bar: Bar, width = BAR_WIDTH_CHARS): string {
  const filled = barUnits(bar.fraction, width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

/**
 * The HTML part's bar: a fixed-width table whose filled cell has a background colour (`bgcolor` too, for
 * Outlook). No images, no flex or grid, so every common mail client draws it.
 */
function barHtml(bar: Bar): string {
  const filled = barUnits(bar.fraction, BAR_WIDTH_PX);
  const cell = (width: number, colour: string) =>
    `<td width="${width}" height="8" bgcolor="${colour}" style="width:${width}px;height:8px;line-height:8px;font-size:0;mso-line-height-rule:exactly;background-color:${colour};">&nbsp;</td>`;
  const cells = (filled > 0 ? cell(filled, SIGNAL[bar.colour].bar) : '') + (filled < BAR_WIDTH_PX ? cell(BAR_WIDTH_PX - filled, BAR_TRACK) : '');
  return `<table role="presentation" width="${BAR_WIDTH_PX}" cellpadding="0" cellspacing="0" border="0" style="width:${BAR_WIDTH_PX}px;border-collapse:collapse;margin:3px 0 5px 0;"><tr>${cells}</tr></table>`;
}

const esc = escapeHtml;
/** `code` in prose (commands, record values in remediations): a code span in HTML, bare in text. */
const CODE_SPAN = /`([^`\n]+)`/g;
/** Escaped text with its line breaks kept and `code` spans set in monospace instead of raw backticks. */
const escLines = (s: string) =>
  cleanText(s)
    .split(CODE_SPAN)
    .map((part, i) => (i % 2 === 1 ? `<code style="${CODE}">${esc(part)}</code>` : esc(part)))
    .join('')
    .replace(/\n/g, '<br>');
/** Text-part prose: `code` spans lose their backticks (a mail reader shows them raw). */
export const plainProse = (s: string) => cleanText(s).replace(CODE_SPAN, '$1');

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

function cellHtml(cell: TableCell, muted: boolean): string {
  const [first = '', ...rest] = cell.lines.map(oneLine);
  const firstColour = muted ? SIGNAL.grey.text : cell.colour ? SIGNAL[cell.colour].text : '#1f2328';
  const weight = cell.strong ? 'font-weight:600;' : '';
  const bar = cell.bar ? barHtml(muted ? { ...cell.bar, colour: 'grey' } : cell.bar) : '';
  const secondary = rest.map((line) => `<br><span style="font-size:12px;line-height:18px;color:${muted ? '#8c959f' : '#57606a'};font-weight:400;">${esc(line)}</span>`).join('');
  return `${bar}<span style="color:${firstColour};${weight}">${esc(first)}</span>${secondary}`;
}

function tableHtml(columns: TableColumn[], rows: TableRow[]): string {
  const head = columns
    .map(
      (c, i) =>
        `<th align="left" valign="bottom" width="${c.width}" style="width:${c.width}px;padding:0 ${i === columns.length - 1 ? 0 : 8}px 6px 0;${FONT}font-size:11px;line-height:16px;font-weight:600;letter-spacing:0.3px;text-transform:uppercase;color:#57606a;text-align:left;">${esc(c.label)}</th>`,
    )
    .join('');
  const body = rows.map((row) => {
    const cells = columns.map((_c, i) => {
      const cell = row.cells[i] ?? { lines: [] };
      return `<td valign="top" style="padding:8px ${i === columns.length - 1 ? 0 : 8}px 8px 0;border-top:1px solid #eaeef2;${FONT}font-size:14px;line-height:20px;color:#1f2328;word-break:break-word;overflow-wrap:anywhere;">${cellHtml(cell, row.muted === true)}</td>`;
    });
    return `<tr>${cells.join('')}</tr>`;
  });
  // Fixed px columns (and px bars, which Outlook draws reliably) keep every row aligned at the card's
  // 600 px; narrow clients scale the mail down rather than squeezing words apart.
  return (
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="width:100%;border-collapse:collapse;table-layout:fixed;">` +
    `<tr>${head}</tr>\n` +
    body.join('\n') +
    `</table>`
  );
}

function blockHtml(block: Block, tone: Tone): string {
  const { accent } = PALETTE[tone];
  const title = `<h2 style="margin:0 0 8px 0;${FONT}font-size:13px;line-height:18px;font-weight:600;letter-spacing:0.5px;text-transform:uppercase;color:#57606a;">${esc(block.title)}</h2>`;
  let body: string;
  switch (block.kind) {
    case 'facts':
      // Fixed layout: a long unbreakable value (an ARN) wraps instead of squeezing the label column.
      body =
        `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="width:100%;border-collapse:collapse;table-layout:fixed;">` +
        block.facts
          .map(
            (f) =>
              `<tr><td valign="top" width="150" style="width:150px;padding:6px 12px 6px 0;border-top:1px solid #eaeef2;${FONT}font-size:14px;line-height:20px;color:#57606a;">${esc(f.label)}</td>` +
              `<td valign="top" style="padding:6px 0;border-top:1px solid #eaeef2;${FONT}font-size:14px;line-height:20px;color:#1f2328;word-break:break-word;overflow-wrap:anywhere;">${factValueHtml(f)}</td></tr>`,
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
    case 'table':
      body = tableHtml(block.columns, block.rows);
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
const BREAKABLE_TAG = /^<\/?(?:table|tr|td|th|p|h1|h2|div|span|body|html|head)\b/i;

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
    `<html lang="${doc.lang === 'ja' ? 'ja' : 'en'}">`,
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
  return plainProse(text).split('\n').join(`\n${' '.repeat(pad)}`);
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
    case 'table':
      out.push(...tableText(block.columns, block.rows));
      break;
  }
  return out;
}

function tableText(columns: TableColumn[], rows: TableRow[]): string[] {
  const out: string[] = [];
  const labels = columns.slice(1).map((c) => `${oneLine(c.label)}:`);
  const width = Math.max(0, ...labels.map((l) => l.length)) + 1;
  rows.forEach((row, r) => {
    if (r > 0) out.push('');
    const [head, ...cells] = columns.map((_c, i) => row.cells[i] ?? { lines: [] });
    out.push(`  ${head.lines.map(oneLine).join(' — ')}`.trimEnd());
    cells.forEach((cell, i) => {
      const value = cell.lines.map(oneLine).filter((l) => l !== '').join(cell.joiner ?? ' · ');
      out.push(`    ${labels[i].padEnd(width)}${cell.bar ? `${textBar(cell.bar)} ` : ''}${value}`.trimEnd());
    });
  });
  return out;
}

/** The text part: the same document as plain text, sections in capitals, facts aligned. */
export function renderText(doc: MailDocument): string {
  const heading = `[${oneLine(doc.badge)}] ${oneLine(doc.heading)}`;
  const lines = [heading, '='.repeat(Math.min(heading.length, 72)), ''];
  for (const para of doc.intro) lines.push(plainProse(para), '');
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
  /** IANA time zone every date and time is shown in (default UTC). */
  timeZone?: string;
  /** The language the mail is written in (default English). */
  lang?: MailLanguage;
}

/** A notice turned into words, before the subject is sanitised and the document rendered. */
export interface BuiltMail {
  subject: string;
  doc: Omit<MailDocument, 'title'>;
}

/**
 * How an owner runs the commands a mail names: the certbeat package installed where they work
 * (`npm pack` in the certbeat checkout, then `npm install ./certbeat-<version>.tgz`), with AWS
 * credentials for the account and region of the deployment.
 */
export function cliHint(lang: MailLanguage = 'en'): string {
  return lang === 'ja'
    ? 'コマンドは certbeat パッケージをインストールした環境で、このアカウントの AWS 認証情報を使って実行します（certbeat のソースで `npm pack` を実行し、`npm install ./certbeat-<version>.tgz` でインストール）。'
    : 'Run certbeat commands where the certbeat package is installed (`npm pack` in the certbeat checkout, then `npm install ./certbeat-<version>.tgz`), with AWS credentials for this account and region.';
}

/** The closing lines of every mail: why this address gets it, and who sent it when. */
export function footerLines(ctx: MailContext, id: string, sentAt: string): string[] {
  if (ctx.lang === 'ja') {
    return [
      `このメールは、${ctx.productName} の証明書一覧で '${id}' の担当者として登録されているか、担当者の登録がないため既定の宛先として送信しています。`,
      `${ctx.productName} は ACM にインポートした証明書を自動で更新します。送信日時 ${sentAt}。`,
    ];
  }
  return [
    `You receive this mail because you are an owner of '${id}' in ${ctx.productName}'s inventory, or a default recipient when it names no owner.`,
    `${ctx.productName} renews imported ACM certificates unattended. Sent ${sentAt}.`,
  ];
}
