/**
 * The mail about an inventory item certbeat cannot read: which item, and each problem (every problem
 * already names the field and the fix).
 */
import type { InvalidItemNotice } from '../notices.js';
import { formatDateTime, plural } from './format.js';
import { footerLines, type BuiltMail, type MailContext } from './layout.js';
import { oneLine } from './sanitize.js';

/** For the operator who edits the inventory: in English, with dates in the deployment's time zone. */
export function invalidMail(n: InvalidItemNotice, mailCtx: MailContext): BuiltMail {
  const ctx: MailContext = { ...mailCtx, lang: 'en' };
  const { problems } = n.item;
  const id = oneLine(n.item.id); // it goes into sentences: one line whatever the item holds
  const product = ctx.productName;
  return {
    subject: `${product}: inventory item '${id}' is invalid`,
    doc: {
      tone: 'invalid',
      lang: 'en',
      badge: 'INVALID ITEM',
      heading: `Inventory item '${id}' is invalid`,
      preheader: `${plural(problems.length, 'problem')} to fix; the item is skipped until then.`,
      intro: [
        `${product} cannot read this item of its certificate inventory, so it skips the item on every run until it is fixed. Other certificates are not affected. If the item stands for a certificate in ACM, that certificate is not being renewed meanwhile.`,
      ],
      blocks: [
        {
          kind: 'list',
          title: problems.length === 1 ? 'Problem' : 'Problems',
          items: problems.length > 0 ? problems.map((p) => ({ text: p })) : [{ text: 'the item could not be read (no detail was given)' }],
        },
        {
          kind: 'callout',
          title: 'How to fix it',
          paragraphs: [
            `Correct the fields listed above in the inventory table (each problem names the field and the fix), or remove the item if it is no longer needed. The next run picks up the corrected item.`,
          ],
        },
        {
          kind: 'facts',
          title: 'Item',
          facts: [
            { label: 'Item id', value: id },
            { label: 'Checked', value: formatDateTime(ctx.now, ctx) },
          ],
        },
      ],
      footer: footerLines(ctx, id, formatDateTime(ctx.now, ctx)),
    },
  };
}
