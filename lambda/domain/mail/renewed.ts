/**
 * The mail after a successful renewal or first issuance: what the certificate now is (names, expiry,
 * serial, CA), where it lives (ARN) and serves (InUseBy), and when certbeat looks at it next. In
 * English or Japanese (`ctx.lang`); dates in `ctx.timeZone`.
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
  type MailLanguage,
} from './format.js';
import { footerLines, type BuiltMail, type Fact, type MailContext } from './layout.js';
import { oneLine } from './sanitize.js';
import { displayName } from '../idn.js';

/** Shown when ACM reports no resource using the certificate. */
export const NOT_ATTACHED =
  'Not attached to any resource yet — attach the ARN to your CloudFront distribution or load balancer';

interface Facts {
  product: string;
  first: string;
  names: string[];
  until: string;
  untilDate: string;
  left: string;
  serial: string;
}

/** Every sentence and label of the mail, per language. */
const WORDS: Record<MailLanguage, {
  subject(issued: boolean, f: Facts): string;
  badge(issued: boolean): string;
  heading(issued: boolean, f: Facts): string;
  preheader(f: Facts): string;
  intro(issued: boolean, attached: boolean, f: Facts): string;
  labels: { certificate: string; name: string; names: string; validUntil: string; serial: string; issuer: string; ca: string; keyType: string; id: string; inAcm: string; arn: string; usedBy: string; next: string; nextCheck: string };
  notAttached: string;
  nextCheck(at: string, product: string): string;
}> = {
  en: {
    subject: (issued, f) => `${issued ? 'Issued' : 'Renewed'}: ${namesSummary(f.names)} — valid until ${f.untilDate}`,
    badge: (issued) => (issued ? 'ISSUED' : 'RENEWED'),
    heading: (issued, f) => (issued ? `${f.first} has a new certificate` : `${f.first} was renewed`),
    preheader: (f) => `Valid until ${f.untilDate} (${f.left}); serial ${f.serial}.`,
    intro: (issued, attached, f) =>
      issued
        ? `${f.product} issued a new certificate for ${f.first} and imported it into ACM.` +
          (attached
            ? ' It is already in use by the resources listed below.'
            : ' Attach its ARN to your CloudFront distribution or load balancer to start serving it. Later renewals keep the same ARN, so this is needed only once.')
        : attached
          ? `${f.product} renewed the certificate for ${f.first} and re-imported it into ACM under the same ARN, so every resource that uses it now serves the new certificate. Nothing needs to be done.`
          : // Nothing serves it: "nothing needs to be done" would hide that no site has the new certificate.
            `${f.product} renewed the certificate for ${f.first} and re-imported it into ACM under the same ARN. No resource uses it yet, so no site serves it: attach the ARN to your CloudFront distribution or load balancer, or remove the certificate from ${f.product} if it is no longer needed.`,
    labels: {
      certificate: 'Certificate', name: 'Name', names: 'Names', validUntil: 'Valid until', serial: 'Serial', issuer: 'Issuer', ca: 'CA',
      keyType: 'Key type', id: 'Certificate id', inAcm: 'In ACM', arn: 'ARN', usedBy: 'Used by', next: 'Next', nextCheck: 'Next check',
    },
    notAttached: NOT_ATTACHED,
    nextCheck: (at, product) => `${at} — ${product} looks at the certificate again then and renews it when it is due`,
  },
  ja: {
    subject: (issued, f) => `【${issued ? '発行完了' : '更新完了'}】${namesSummaryJa(f.names)} のSSL証明書（有効期限 ${f.untilDate}）`,
    badge: (issued) => (issued ? '発行完了' : '更新完了'),
    heading: (issued, f) => (issued ? `${f.first} の証明書を発行しました` : `${f.first} の証明書を更新しました`),
    preheader: (f) => `有効期限 ${f.untilDate}（${f.left}）、シリアル番号 ${f.serial}`,
    intro: (issued, attached, f) =>
      issued
        ? `${f.product} は ${f.first} の証明書を新しく発行し、ACM にインポートしました。` +
          (attached
            ? '下記のリソースですでに使用されています。'
            : 'CloudFront ディストリビューションまたはロードバランサーにこの ARN を設定すると配信が始まります。以後の更新でも ARN は変わらないため、設定は一度だけで済みます。')
        : attached
          ? `${f.product} は ${f.first} の証明書を更新し、同じ ARN のまま ACM に再インポートしました。この証明書を使うリソースはすでに新しい証明書で配信しています。対応は不要です。`
          : `${f.product} は ${f.first} の証明書を更新し、同じ ARN のまま ACM に再インポートしました。ただし、この証明書を使っているリソースがないため、どのサイトでも配信されていません。CloudFront ディストリビューションまたはロードバランサーに ARN を設定するか、不要であれば ${f.product} から削除してください。`,
    labels: {
      certificate: '証明書', name: 'ドメイン名', names: 'ドメイン名', validUntil: '有効期限', serial: 'シリアル番号', issuer: '発行者', ca: '認証局 (CA)',
      keyType: '鍵の種類', id: '証明書 ID', inAcm: 'ACM', arn: 'ARN', usedBy: '使用中のリソース', next: '次回', nextCheck: '次回の確認',
    },
    notAttached: 'まだどのリソースにも設定されていません。CloudFront ディストリビューションまたはロードバランサーに ARN を設定してください',
    nextCheck: (at, product) => `${at}（${product} がこの日時に証明書を確認し、更新時期であれば更新します）`,
  },
};

/** `example.com ほか2件`: the Japanese form of `namesSummary`. */
export function namesSummaryJa(names: readonly string[]): string {
  if (names.length === 0) return '（ドメイン名なし）';
  return names.length > 1 ? `${names[0]} ほか${names.length - 1}件` : names[0];
}

export function renewedMail(n: RenewedNotice, ctx: MailContext): BuiltMail {
  const lang = ctx.lang ?? 'en';
  const w = WORDS[lang];
  // Names and ids go into sentences: keep each on one line whatever the record holds.
  const id = oneLine(n.record.id);
  const names = (n.names.length > 0 ? n.names : n.record.names).map((x) => oneLine(displayName(x)));
  const first = names[0] ?? id;
  const days = daysUntil(n.notAfter, ctx.now);
  const attached = n.inUseBy.length > 0;
  const f: Facts = {
    product: ctx.productName,
    first,
    names,
    until: formatDateTime(n.notAfter, ctx),
    untilDate: formatDate(n.notAfter, ctx),
    left: relativeDays(days, lang),
    serial: n.serial,
  };
  const l = w.labels;

  return {
    subject: w.subject(n.firstIssuance, f),
    doc: {
      tone: 'success',
      badge: w.badge(n.firstIssuance),
      heading: w.heading(n.firstIssuance, f),
      preheader: w.preheader(f),
      intro: [w.intro(n.firstIssuance, attached, f)],
      blocks: [
        {
          kind: 'facts',
          title: l.certificate,
          facts: [
            { label: names.length > 1 ? l.names : l.name, value: names },
            { label: l.validUntil, value: lang === 'ja' ? `${f.until}（${f.left}）` : `${f.until} (${f.left})` },
            { label: l.serial, value: n.serial, mono: true },
            { label: l.issuer, value: n.issuer },
            { label: l.ca, value: caLabel(n.directoryUrl) },
            { label: l.keyType, value: keyTypeLabel(n.record.keyType) },
            ...(n.profile || n.record.profile ? [{ label: lang === 'ja' ? 'プロファイル' : 'Profile', value: n.profile ?? `${n.record.profile} (not confirmed by the CA)` }] : []),
            { label: l.id, value: id },
          ],
        },
        {
          kind: 'facts',
          title: l.inAcm,
          facts: n.regions
            ? regionFacts(n.regions, l, w.notAttached)
            : [
            { label: l.arn, value: n.arn, mono: true, href: acmConsoleUrl(n.arn) },
            { label: l.usedBy, value: attached ? n.inUseBy.map(describeResource) : w.notAttached },
          ],
        },
        {
          kind: 'facts',
          title: l.next,
          facts: [
            ...(n.profileNote ? [{ label: lang === 'ja' ? 'プロファイルの代替' : 'Profile fallback', value: `${n.profileNote}. Update the certificate's profile (certbeat add --profile) to one the CA offers.` }] : []),
            { label: l.nextCheck, value: w.nextCheck(formatDateTime(n.nextCheckAt, ctx), f.product) },
          ],
        },
      ],
      footer: footerLines(ctx, id, formatDateTime(ctx.now, ctx)),
    },
  };
}

/** Several regions: each region's ARN and what uses the certificate there. */
function regionFacts(regions: NonNullable<RenewedNotice['regions']>, l: { arn: string; usedBy: string }, notAttached: string): Fact[] {
  return regions.flatMap((r) => [
    { label: `${l.arn} (${oneLine(r.region)})`, value: r.arn, mono: true, href: acmConsoleUrl(r.arn) },
    { label: `${l.usedBy} (${oneLine(r.region)})`, value: r.inUseBy.length > 0 ? r.inUseBy.map(describeResource) : notAttached },
  ]);
}
