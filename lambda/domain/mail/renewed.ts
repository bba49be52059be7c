/**
 * The mail after a successful renewal or first issuance: what the certificate now is (names, expiry,
 * serial, CA), where it lives (ARN) and serves (InUseBy), and when certbeat looks at it next.
 */
import type { RenewedNotice } from '../notices.js';
import {
  acmConsoleUrl,
  caLabel,
  daysUntil,
  describeResource,
  formatDate,
  formatDateTime,
  keyTypeLabel,
  namesSummary,
  relativeDays,
} from './format.js';
import { footerLines, type BuiltMail, type MailContext } from './layout.js';
import { oneLine } from './sanitize.js';

/** Shown when ACM reports no resource using the certificate. */
export const NOT_ATTACHED =
  'Not attached to any resource yet — attach the ARN to your CloudFront distribution or load balancer';

export function renewedMail(n: RenewedNotice, ctx: MailContext): BuiltMail {
  // Names and ids go into sentences: keep each on one line whatever the record holds.
  const id = oneLine(n.record.id);
  const names = (n.names.length > 0 ? n.names : n.record.names).map(oneLine);
  const first = names[0] ?? id;
  const product = ctx.productName;
  const days = daysUntil(n.notAfter, ctx.now);
  const attached = n.inUseBy.length > 0;

  const intro = n.firstIssuance
    ? [
        `${product} issued a new certificate for ${first} and imported it into ACM.` +
          (attached
            ? ' It is already in use by the resources listed below.'
            : ' Attach its ARN to your CloudFront distribution or load balancer to start serving it. Later renewals keep the same ARN, so this is needed only once.'),
      ]
    : [
        `${product} renewed the certificate for ${first} and re-imported it into ACM under the same ARN, so every resource that uses it now serves the new certificate. Nothing needs to be done.`,
      ];

  return {
    subject: `${n.firstIssuance ? 'Issued' : 'Renewed'}: ${namesSummary(names)} — valid until ${formatDate(n.notAfter)}`,
    doc: {
      tone: 'success',
      badge: n.firstIssuance ? 'ISSUED' : 'RENEWED',
      heading: n.firstIssuance ? `${first} has a new certificate` : `${first} was renewed`,
      preheader: `Valid until ${formatDate(n.notAfter)} (${relativeDays(days)}); serial ${n.serial}.`,
      intro,
      blocks: [
        {
          kind: 'facts',
          title: 'Certificate',
          facts: [
            { label: names.length > 1 ? 'Names' : 'Name', value: names },
            { label: 'Valid until', value: `${formatDateTime(n.notAfter)} (${relativeDays(days)})` },
            { label: 'Serial', value: n.serial, mono: true },
            { label: 'Issuer', value: n.issuer },
            { label: 'CA', value: caLabel(n.directoryUrl) },
            { label: 'Key type', value: keyTypeLabel(n.record.keyType) },
            ...(n.profile || n.record.profile ? [{ label: 'Profile', value: n.profile ?? `${n.record.profile} (not confirmed by the CA)` }] : []),
            { label: 'Certificate id', value: id },
          ],
        },
        {
          kind: 'facts',
          title: 'In ACM',
          facts: [
            { label: 'ARN', value: n.arn, mono: true, href: acmConsoleUrl(n.arn) },
            { label: 'Used by', value: attached ? n.inUseBy.map(describeResource) : NOT_ATTACHED },
          ],
        },
        {
          kind: 'facts',
          title: 'Next',
          facts: [
            ...(n.profileNote ? [{ label: 'Profile fallback', value: `${n.profileNote}. Update the certificate's profile (certbeat add --profile) to one the CA offers.` }] : []),
            {
              label: 'Next check',
              value: `${formatDateTime(n.nextCheckAt)} — ${product} looks at the certificate again then and renews it when it is due`,
            },
          ],
        },
      ],
      footer: footerLines(ctx, id, formatDateTime(ctx.now)),
    },
  };
}
