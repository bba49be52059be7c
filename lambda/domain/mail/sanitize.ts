/**
 * Making untrusted values (names, ids, error messages from records and CAs) safe for a mail's header,
 * HTML body and text body. Every value the renderer writes passes through one of these.
 */

/** Longest subject certbeat sends; longer ones are cut and end in `…`. */
export const MAX_SUBJECT_LENGTH = 200;

// C0 and C1 controls, DEL, and the Unicode line/paragraph separators some clients treat as line breaks.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
// Bidirectional overrides can make a subject read differently from what it says.
const BIDI = /[\u202a-\u202e\u2066-\u2069]/g;

/**
 * A value fit for a mail header: CR, LF and every other control character become a space (so
 * `"x\r\nBcc: evil@example.com"` stays on one line, as plain text), runs of white space collapse, and the
 * result is at most 200 characters (cut at a character boundary, ending in `…`).
 */
export function sanitizeHeader(value: string): string {
  const flat = String(value).replace(CONTROL, ' ').replace(BIDI, '').replace(/\s+/g, ' ').trim();
  const chars = Array.from(flat); // code points, so a cut never splits a surrogate pair
  if (chars.length <= MAX_SUBJECT_LENGTH) return flat;
  return `${chars.slice(0, MAX_SUBJECT_LENGTH - 1).join('').trimEnd()}…`;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/**
 * Text → HTML text or attribute value. Escapes `& < > " ' \``, and drops control characters other than
 * tab and line breaks (which HTML renders as spaces anyway).
 */
export function escapeHtml(value: string): string {
  return cleanText(value).replace(/[&<>"'`]/g, (c) => HTML_ESCAPES[c]);
}

/**
 * A value for the text body: line breaks normalised to `\n`, other control characters (escape sequences
 * a terminal would act on, NUL, ...) and bidirectional overrides removed.
 */
export function cleanText(value: string): string {
  return String(value)
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '')
    .replace(/[\u2028\u2029]/g, '\n')
    .replace(BIDI, '');
}

/** A value that must stay on one line (a name, an id, a label): every line break becomes a space. */
export function oneLine(value: string): string {
  return cleanText(value).replace(/[\n\t]+/g, ' ');
}

/** An `https:` URL safe to put in an `href`, or `undefined` (no `javascript:`, no `data:`, no relative). */
export function safeHttpsUrl(value: string): string | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' ? url.toString() : undefined;
  } catch {
    return undefined;
  }
}
