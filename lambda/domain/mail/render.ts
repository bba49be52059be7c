/**
 * Entry point of mail rendering: a `Notice` becomes a subject, an HTML part and a text part carrying the
 * same facts. The subject goes through `sanitizeHeader` and every value in the body is escaped, so no
 * field of an inventory record or CA message can add a header or markup.
 */
import type { Notice } from '../notices.js';
import { failedMail } from './failed.js';
import { invalidMail } from './invalid.js';
import { renderHtml, renderText, type BuiltMail, type MailContext } from './layout.js';
import { renewedMail } from './renewed.js';
import { sanitizeHeader } from './sanitize.js';
import type { MailLanguage } from './format.js';

export { sanitizeHeader, escapeHtml } from './sanitize.js';

export interface RenderedMail {
  subject: string;
  html: string;
  text: string;
}

/** How mails read for a deployment (or an owner): language and time zone. */
export interface MailSettings {
  /** IANA time zone for every date and time (default UTC). */
  timeZone?: string;
  /** Default English. */
  language?: MailLanguage;
}

/**
 * Renders a notice. `now` is the send time (for "in N days" and the footer); `productName` defaults
 * to `certbeat`; dates in `timeZone`, words in `language`. Pure: same input, same output.
 */
export function renderNotice(notice: Notice, ctx: { now: Date; productName?: string } & MailSettings): RenderedMail {
  const mailCtx: MailContext = {
    now: ctx.now,
    productName: sanitizeHeader(ctx.productName ?? '') || 'certbeat',
    timeZone: ctx.timeZone ?? 'UTC',
    lang: ctx.language ?? 'en',
  };
  let built: BuiltMail;
  switch (notice.kind) {
    case 'renewed':
      built = renewedMail(notice, mailCtx);
      break;
    case 'failed':
      built = failedMail(notice, mailCtx);
      break;
    case 'invalid':
      built = invalidMail(notice, mailCtx);
      break;
    default: {
      const unknown: never = notice;
      throw new Error(`unknown notice kind: ${(unknown as { kind?: unknown }).kind}`);
    }
  }
  const subject = sanitizeHeader(built.subject);
  const doc = { ...built.doc, title: subject, lang: built.doc.lang ?? mailCtx.lang };
  return { subject, html: renderHtml(doc), text: renderText(doc) };
}
