/**
 * The mail after a failed renewal: the kind of failure in plain words, what happened, the likely cause
 * and fix, the CA's problem type, pre-flight findings, how long the current certificate has left and
 * when the next attempt is. The tone escalates with `urgency`: notice → warning → final notice.
 */
import type { FailedNotice } from '../notices.js';
import { acmConsoleUrl, caLabel, daysUntil, formatDate, formatDateTime, plural, relativeDays } from './format.js';
import { footerLines, type Block, type BuiltMail, type Fact, type MailContext } from './layout.js';
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

/** `expires in 5 days` / `expires today` / `expired 2 days ago`. */
function expiryPhrase(days: number): string {
  if (days > 0) return `expires in ${plural(days, 'day')}`;
  if (days === 0) return 'expires today';
  return `expired ${plural(-days, 'day')} ago`;
}

function subjectOf(n: FailedNotice, name: string, days: number | undefined, temporary: boolean): string {
  if (days === undefined) return `Not issued: ${name} — ${temporary ? `will retry ${formatDate(n.nextAttemptAt)}` : 'action needed'}`;
  const left = days >= 0 ? `${plural(days, 'day')} left` : `expired ${plural(-days, 'day')} ago`;
  switch (n.urgency) {
    case 'final':
      return `FINAL NOTICE: ${name} ${expiryPhrase(days)} — renewal failing`;
    case 'warning':
      return `Not renewed: ${name} — action needed, ${left}`;
    default:
      return `Not renewed: ${name} — ${temporary ? 'will retry' : 'action needed'}, ${left}`;
  }
}

/** The CLI command that renews a certificate at once (the "renew now" button). */
export function renewCommand(id: string): string {
  return `npx certbeat renew ${id}`;
}

function introOf(n: FailedNotice, ctx: MailContext, id: string, days: number | undefined, temporary: boolean): string[] {
  const product = ctx.productName;
  const next = formatDateTime(n.nextAttemptAt);
  const tries = plural(n.failureCount, 'time');
  const advice = temporary
    ? 'This looks temporary and may clear up by itself; if it keeps failing, see the cause below.'
    : 'This will not go away by itself: please fix the cause below.';
  if (days === undefined || !n.notAfter) {
    return [`The certificate has not been issued yet, so nothing serves it. ${product} tries again on ${next}. ${advice}`];
  }
  const expiry = formatDateTime(n.notAfter);
  switch (n.urgency) {
    case 'final':
      return [
        days >= 0
          ? `Final notice: the certificate expires on ${expiry} (${relativeDays(days)}). After that, every site that serves it shows a security error to its visitors.`
          : `Final notice: the certificate expired on ${expiry}. Every site that serves it now shows a security error to its visitors.`,
        `Renewal has failed ${tries}. What to do now: fix the cause below, then renew at once with ${renewCommand(id)} instead of waiting for ${product}'s next attempt on ${next}.`,
      ];
    case 'warning':
      return [
        `The certificate ${expiryPhrase(days)}, on ${expiry}, and renewal has failed ${tries}. ${product} keeps trying (next attempt ${next}), but please fix the cause below so that the renewal succeeds before the certificate expires.`,
      ];
    default:
      return [
        `The current certificate stays valid until ${expiry} (${relativeDays(days)}), so nothing is broken yet. ${product} tries again on ${next}. ${advice}`,
      ];
  }
}

export function failedMail(n: FailedNotice, ctx: MailContext): BuiltMail {
  const r = n.record;
  // Names and ids go into sentences: keep each on one line whatever the record holds.
  const id = oneLine(r.id);
  const names = r.names.map((x) => oneLine(displayName(x)));
  const name = names[0] ?? id;
  const days = n.notAfter ? (n.daysLeft ?? daysUntil(n.notAfter, ctx.now)) : undefined;
  const temporary = n.retryable;
  const tone = n.urgency === 'final' ? 'final' : n.urgency === 'warning' ? 'warning' : 'notice';

  const problem: Fact[] = [
    { label: 'Kind of failure', value: capitalise(n.errorKind) },
    { label: 'What happened', value: n.message },
  ];
  if (n.problemType) {
    const short = n.problemType.replace(/^urn:ietf:params:acme:error:/, '');
    const words = ACME_PROBLEMS[short];
    problem.push({ label: 'ACME problem', value: words ? `${n.problemType} — ${words}` : n.problemType, mono: !words });
  }
  problem.push({ label: 'Error class', value: n.errorClass });

  const blocks: Block[] = [
    {
      kind: 'callout',
      title: n.urgency === 'final' ? 'What to do now' : temporary ? 'What to do' : 'How to fix it',
      // Close to expiry, waiting for the next scheduled attempt may be too late: name the command that renews at once.
      paragraphs: n.urgency === 'notice' || days === undefined ? [n.remediation] : [n.remediation, `Then renew at once: ${renewCommand(id)}`],
    },
    { kind: 'facts', title: 'What went wrong', facts: problem },
  ];
  if (n.findings.length > 0) {
    blocks.push({
      kind: 'list',
      title: 'Findings',
      items: n.findings.map((f) => ({ text: `${f.check}: ${f.message}`, detail: f.fix ? `Fix: ${f.fix}` : undefined })),
    });
  }
  const status: Fact[] = [
    { label: 'Certificate id', value: id },
    { label: names.length > 1 ? 'Names' : 'Name', value: names },
    {
      label: 'Current expiry',
      value: n.notAfter && days !== undefined ? `${formatDateTime(n.notAfter)} (${days >= 0 ? `${plural(days, 'day')} left` : `expired ${plural(-days, 'day')} ago`})` : 'not issued yet',
    },
  ];
  if (r.acmArn) status.push({ label: 'ARN', value: r.acmArn, mono: true, href: acmConsoleUrl(r.acmArn) });
  status.push(
    { label: 'CA', value: caLabel(r.directoryUrl) },
    { label: 'Failed attempts', value: String(n.failureCount) },
    { label: 'Next attempt', value: formatDateTime(n.nextAttemptAt) },
  );
  blocks.push({ kind: 'facts', title: 'Status', facts: status });

  const badge = n.urgency === 'final' ? 'FINAL NOTICE' : n.urgency === 'warning' ? 'ACTION NEEDED' : days === undefined ? 'NOT ISSUED' : 'NOT RENEWED';
  const heading =
    days === undefined
      ? `${name} could not be issued`
      : n.urgency === 'notice'
        ? `${name} could not be renewed`
        : `${name} ${expiryPhrase(days)} and could not be renewed`;

  return {
    subject: subjectOf(n, name, days, temporary),
    doc: {
      tone,
      badge,
      heading,
      preheader: `${capitalise(n.errorKind)}: ${n.message}`.slice(0, 150),
      intro: introOf(n, ctx, id, days, temporary),
      blocks,
      footer: footerLines(ctx, id, formatDateTime(ctx.now)),
    },
  };
}
