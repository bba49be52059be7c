/**
 * The mail after a failed renewal: the kind of failure in plain words, what happened, the likely cause
 * and fix, the CA's problem type, pre-flight findings, how long the current certificate has left and
 * when the next attempt is. The tone escalates with `urgency`: notice → warning → final notice.
 * English or Japanese (`ctx.lang`); dates in `ctx.timeZone`. The cause and the fix come from the
 * error and stay in English in both.
 */
import type { FailedNotice } from '../notices.js';
import { acmConsoleUrl, caLabel, daysUntil, formatDate, formatDateTime, plural, relativeDays, type MailLanguage } from './format.js';
import { cliHint, footerLines, type Block, type BuiltMail, type Fact, type MailContext } from './layout.js';
import { oneLine } from './sanitize.js';
import { displayName } from '../idn.js';

/** Plain words for the ACME problem types (RFC 8555 §6.7) an owner is most likely to meet. */
const ACME_PROBLEMS: Record<string, string> = {
  caa: 'a CAA record on the domain does not allow this CA to issue',
  dns: 'the CA could not look up the DNS records it needed',
  unauthorized: 'the CA did not accept the proof of control over the domain',
  incorrectResponse: 'the CA found a different challenge value than expected',
  rateLimited: 'the CA’s rate limit was reached',
  rejectedIdentifier: 'the CA will not issue for one of the names',
  externalAccountRequired: 'the CA requires External Account Binding (EAB) credentials',
  accountDoesNotExist: 'the CA does not know the ACME account',
  badCSR: 'the CA refused the certificate request',
  badSignatureAlgorithm: 'the CA does not accept the key type',
  connection: 'the CA could not connect to the server to validate',
  serverInternal: 'the CA had an internal error',
  malformed: 'the CA found the request malformed',
  unsupportedIdentifier: 'the CA does not support one of the names',
};

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The CLI command that renews a certificate at once (the "renew now" button). */
export function renewCommand(id: string): string {
  return `npx certbeat renew ${id}`;
}

/** What the sentences of a failure mail are built from. */
interface Facts {
  product: string;
  id: string;
  name: string;
  /** Days until expiry; undefined when never issued. */
  days?: number;
  expiry?: string;
  next: string;
  nextDate: string;
  failures: number;
  temporary: boolean;
  urgency: FailedNotice['urgency'];
}

interface Words {
  expiryPhrase(days: number): string;
  left(days: number): string;
  subject(f: Facts): string;
  intro(f: Facts): string[];
  heading(f: Facts): string;
  badge(f: Facts): string;
  calloutTitle(f: Facts): string;
  renewNow(id: string): string;
  labels: {
    whatWentWrong: string; kind: string; happened: string; acmeProblem: string; errorClass: string; findings: string; fix: string;
    status: string; id: string; name: string; names: string; expiry: string; notIssued: string; arn: string; ca: string; attempts: string; nextAttempt: string;
  };
}

const EN: Words = {
  expiryPhrase: (days) => (days > 0 ? `expires in ${plural(days, 'day')}` : days === 0 ? 'expires today' : `expired ${plural(-days, 'day')} ago`),
  left: (days) => (days >= 0 ? `${plural(days, 'day')} left` : `expired ${plural(-days, 'day')} ago`),
  subject(f) {
    if (f.days === undefined) return `Not issued: ${f.name} — ${f.temporary ? `will retry ${f.nextDate}` : 'action needed'}`;
    switch (f.urgency) {
      case 'final':
        return `FINAL NOTICE: ${f.name} ${this.expiryPhrase(f.days)} — renewal failing`;
      case 'warning':
        return `Not renewed: ${f.name} — action needed, ${this.left(f.days)}`;
      default:
        return `Not renewed: ${f.name} — ${f.temporary ? 'will retry' : 'action needed'}, ${this.left(f.days)}`;
    }
  },
  intro(f) {
    const tries = plural(f.failures, 'time');
    const advice = f.temporary
      ? 'This looks temporary and may clear up by itself; if it keeps failing, see the cause below.'
      : 'This will not go away by itself: please fix the cause below.';
    if (f.days === undefined || !f.expiry) {
      return [`The certificate has not been issued yet, so nothing serves it. ${f.product} tries again on ${f.next}. ${advice}`];
    }
    switch (f.urgency) {
      case 'final':
        return [
          f.days >= 0
            ? `Final notice: the certificate expires on ${f.expiry} (${relativeDays(f.days)}). After that, every site that serves it shows a security error to its visitors.`
            : `Final notice: the certificate expired on ${f.expiry}. Every site that serves it now shows a security error to its visitors.`,
          `Renewal has failed ${tries}. What to do now: fix the cause below, then renew at once with \`${renewCommand(f.id)}\` instead of waiting for ${f.product}'s next attempt on ${f.next}.`,
        ];
      case 'warning':
        return [
          `The certificate ${this.expiryPhrase(f.days)}, on ${f.expiry}, and renewal has failed ${tries}. ${f.product} keeps trying (next attempt ${f.next}), but please fix the cause below so that the renewal succeeds before the certificate expires.`,
        ];
      default:
        return [`The current certificate stays valid until ${f.expiry} (${relativeDays(f.days)}), so nothing is broken yet. ${f.product} tries again on ${f.next}. ${advice}`];
    }
  },
  heading(f) {
    if (f.days === undefined) return `${f.name} could not be issued`;
    return f.urgency === 'notice' ? `${f.name} could not be renewed` : `${f.name} ${this.expiryPhrase(f.days)} and could not be renewed`;
  },
  badge: (f) => (f.urgency === 'final' ? 'FINAL NOTICE' : f.urgency === 'warning' ? 'ACTION NEEDED' : f.days === undefined ? 'NOT ISSUED' : 'NOT RENEWED'),
  calloutTitle: (f) => (f.urgency === 'final' ? 'What to do now' : f.temporary ? 'What to do' : 'How to fix it'),
  renewNow: (id) => `Then renew at once: \`${renewCommand(id)}\``,
  labels: {
    whatWentWrong: 'What went wrong', kind: 'Kind of failure', happened: 'What happened', acmeProblem: 'ACME problem', errorClass: 'Error class',
    findings: 'Findings', fix: 'Fix', status: 'Status', id: 'Certificate id', name: 'Name', names: 'Names', expiry: 'Current expiry',
    notIssued: 'not issued yet', arn: 'ARN', ca: 'CA', attempts: 'Failed attempts', nextAttempt: 'Next attempt',
  },
};

/**
 * Japanese, in the register of the hosting services certbeat's users come from ("更新未完了").
 * The error's own message and fix are English (they come from the CA and AWS): labelled as such.
 */
const JA: Words = {
  expiryPhrase: (days) => (days > 0 ? `あと${days}日で有効期限切れ` : days === 0 ? '本日有効期限切れ' : `${-days}日前に有効期限切れ`),
  left: (days) => (days >= 0 ? `残り${days}日` : `${-days}日前に期限切れ`),
  subject(f) {
    if (f.days === undefined) return `【発行未完了】${f.name} のSSL証明書 — ${f.temporary ? `${f.nextDate} に再試行します` : '対応が必要です'}`;
    switch (f.urgency) {
      case 'final':
        return `【最終通知・更新未完了】${f.name} のSSL証明書（${this.expiryPhrase(f.days)}）`;
      case 'warning':
        return `【更新未完了・要対応】${f.name} のSSL証明書（${this.left(f.days)}）`;
      default:
        return `【更新未完了】${f.name} のSSL証明書 — ${f.temporary ? '再試行します' : '対応が必要です'}（${this.left(f.days)}）`;
    }
  },
  intro(f) {
    const advice = f.temporary
      ? '一時的な問題の可能性があり、自然に解消することがあります。失敗が続く場合は下記の原因をご確認ください。'
      : 'この問題は自然には解消しません。下記の原因への対応をお願いします。';
    if (f.days === undefined || !f.expiry) {
      return [`証明書はまだ発行されていないため、どこからも配信されていません。${f.product} は ${f.next} に再試行します。${advice}`];
    }
    switch (f.urgency) {
      case 'final':
        return [
          f.days >= 0
            ? `最終通知: 証明書の有効期限は ${f.expiry}（${relativeDays(f.days, 'ja')}）です。期限を過ぎると、この証明書を使うサイトの訪問者にセキュリティ警告が表示されます。`
            : `最終通知: 証明書は ${f.expiry} に有効期限が切れました。この証明書を使うサイトの訪問者にはセキュリティ警告が表示されています。`,
          `更新は${f.failures}回失敗しています。下記の原因に対応したうえで、${f.product} の次回の試行（${f.next}）を待たずに \`${renewCommand(f.id)}\` ですぐに更新してください。`,
        ];
      case 'warning':
        return [
          `証明書の有効期限は ${f.expiry}（${this.expiryPhrase(f.days)}）で、更新は${f.failures}回失敗しています。${f.product} は再試行を続けます（次回 ${f.next}）が、期限までに更新が完了するよう、下記の原因への対応をお願いします。`,
        ];
      default:
        return [`現在の証明書は ${f.expiry}（${relativeDays(f.days, 'ja')}）まで有効なため、今のところ影響はありません。${f.product} は ${f.next} に再試行します。${advice}`];
    }
  },
  heading(f) {
    if (f.days === undefined) return `${f.name} の証明書を発行できませんでした`;
    return f.urgency === 'notice' ? `${f.name} の証明書を更新できませんでした` : `${f.name} の証明書を更新できませんでした（${this.expiryPhrase(f.days)}）`;
  },
  badge: (f) => (f.urgency === 'final' ? '最終通知' : f.urgency === 'warning' ? '要対応' : f.days === undefined ? '発行未完了' : '更新未完了'),
  calloutTitle: (f) => (f.urgency === 'final' ? '今すぐ必要な対応' : f.temporary ? '対応' : '対応方法'),
  renewNow: (id) => `対応後、すぐに更新するには: \`${renewCommand(id)}\``,
  labels: {
    whatWentWrong: '発生した問題', kind: '失敗の種類', happened: '内容（英語）', acmeProblem: 'ACME のエラー', errorClass: 'エラー分類',
    findings: '事前チェックの結果', fix: '対処', status: '状況', id: '証明書 ID', name: 'ドメイン名', names: 'ドメイン名', expiry: '現在の有効期限',
    notIssued: '未発行', arn: 'ARN', ca: '認証局 (CA)', attempts: '失敗した回数', nextAttempt: '次回の試行',
  },
};

const WORDS: Record<MailLanguage, Words> = { en: EN, ja: JA };

export function failedMail(n: FailedNotice, ctx: MailContext): BuiltMail {
  const lang = ctx.lang ?? 'en';
  const w = WORDS[lang];
  const l = w.labels;
  const r = n.record;
  // Names and ids go into sentences: keep each on one line whatever the record holds.
  const id = oneLine(r.id);
  const names = r.names.map((x) => oneLine(displayName(x)));
  const days = n.notAfter ? (n.daysLeft ?? daysUntil(n.notAfter, ctx.now)) : undefined;
  const f: Facts = {
    product: ctx.productName,
    id,
    name: names[0] ?? id,
    days,
    expiry: n.notAfter ? formatDateTime(n.notAfter, ctx) : undefined,
    next: formatDateTime(n.nextAttemptAt, ctx),
    nextDate: formatDate(n.nextAttemptAt, ctx),
    failures: n.failureCount,
    temporary: n.retryable,
    urgency: n.urgency,
  };
  const tone = n.urgency === 'final' ? 'final' : n.urgency === 'warning' ? 'warning' : 'notice';

  const problem: Fact[] = [
    { label: l.kind, value: capitalise(n.errorKind) },
    { label: l.happened, value: n.message },
  ];
  if (n.problemType) {
    const short = n.problemType.replace(/^urn:ietf:params:acme:error:/, '');
    const words = ACME_PROBLEMS[short];
    problem.push({ label: l.acmeProblem, value: words ? `${n.problemType} — ${words}` : n.problemType, mono: !words });
  }
  problem.push({ label: l.errorClass, value: n.errorClass });

  // Close to expiry, waiting for the next scheduled attempt may be too late: name the command that
  // renews at once, and how an owner runs it.
  const urgent = n.urgency !== 'notice' && days !== undefined;
  const blocks: Block[] = [
    { kind: 'callout', title: w.calloutTitle(f), paragraphs: urgent ? [n.remediation, w.renewNow(id), cliHint(lang)] : [n.remediation] },
    { kind: 'facts', title: l.whatWentWrong, facts: problem },
  ];
  if (n.findings.length > 0) {
    blocks.push({
      kind: 'list',
      title: l.findings,
      items: n.findings.map((x) => ({ text: `${x.check}: ${x.message}`, detail: x.fix ? `${l.fix}: ${x.fix}` : undefined })),
    });
  }
  const status: Fact[] = [
    { label: l.id, value: id },
    { label: names.length > 1 ? l.names : l.name, value: names },
    {
      label: l.expiry,
      value: f.expiry && days !== undefined ? (lang === 'ja' ? `${f.expiry}（${w.left(days)}）` : `${f.expiry} (${w.left(days)})`) : l.notIssued,
    },
  ];
  if (r.acmArn) status.push({ label: l.arn, value: r.acmArn, mono: true, href: acmConsoleUrl(r.acmArn) });
  status.push(
    { label: l.ca, value: caLabel(r.directoryUrl) },
    { label: l.attempts, value: String(n.failureCount) },
    { label: l.nextAttempt, value: f.next },
  );
  blocks.push({ kind: 'facts', title: l.status, facts: status });

  return {
    subject: w.subject(f),
    doc: {
      tone,
      badge: w.badge(f),
      heading: w.heading(f),
      preheader: `${capitalise(n.errorKind)}: ${n.message}`.slice(0, 150),
      intro: w.intro(f),
      blocks,
      footer: footerLines(ctx, id, formatDateTime(ctx.now, ctx)),
    },
  };
}
