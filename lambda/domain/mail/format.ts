/**
 * Formatting of the facts a mail shows: dates (in the deployment's time zone, UTC by default, with the
 * offset written out; the month spelled out so that 02/03 can never be read two ways), day counts, name
 * lists, the CA's name and the resources that use a certificate. Pure functions.
 */
import { identifyCa } from '../ca-identity.js';

const DAY_MS = 86_400_000;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The languages mails are written in. */
export const MAIL_LANGUAGES = ['en', 'ja'] as const;
export type MailLanguage = (typeof MAIL_LANGUAGES)[number];

/** How dates read: the IANA time zone (default UTC) and the language. */
export interface DateStyle {
  timeZone?: string;
  lang?: MailLanguage;
}

function valid(d: Date | undefined): d is Date {
  return d instanceof Date && !Number.isNaN(d.getTime());
}

/** Whether `timeZone` is an IANA zone this runtime knows (`Asia/Tokyo`, `UTC`). */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

const partsCache = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock fields of `d` in `timeZone`, and its offset as `UTC+9` / `UTC-3:30` / `UTC`. */
function wallClock(d: Date, timeZone = 'UTC') {
  let fmt = partsCache.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
      timeZoneName: 'shortOffset',
    });
    partsCache.set(timeZone, fmt);
  }
  const parts = Object.fromEntries(fmt.formatToParts(d).map((p) => [p.type, p.value]));
  const offset = (parts.timeZoneName ?? 'GMT').replace(/^GMT/, 'UTC');
  return {
    year: Number(parts.year), month: Number(parts.month), day: Number(parts.day),
    time: `${parts.hour}:${parts.minute}`,
    // UTC itself is named as such; elsewhere the offset says how far from it, whatever the zone's name.
    zone: timeZone === 'UTC' || timeZone === 'Etc/UTC' ? 'UTC' : offset,
  };
}

/** `22 Feb 2027` (`2027年2月22日` in Japanese), in the time zone; `unknown date` when missing. */
export function formatDate(d: Date | undefined, style: DateStyle = {}): string {
  if (!valid(d)) return style.lang === 'ja' ? '不明な日付' : 'unknown date';
  const w = wallClock(d, style.timeZone);
  return style.lang === 'ja' ? `${w.year}年${w.month}月${w.day}日` : `${w.day} ${MONTHS[w.month - 1]} ${w.year}`;
}

/** `22 Feb 2027 14:03 UTC+9` (`2027年2月22日 14:03 (UTC+9)`); `unknown date` when missing. */
export function formatDateTime(d: Date | undefined, style: DateStyle = {}): string {
  if (!valid(d)) return formatDate(d, style);
  const w = wallClock(d, style.timeZone);
  return style.lang === 'ja' ? `${formatDate(d, style)} ${w.time} (${w.zone})` : `${formatDate(d, style)} ${w.time} ${w.zone}`;
}

/** `14:03 UTC+9`: the time part of `formatDateTime`. */
export function formatTime(d: Date, style: DateStyle = {}): string {
  const w = wallClock(d, style.timeZone);
  return style.lang === 'ja' ? `${w.time} (${w.zone})` : `${w.time} ${w.zone}`;
}

/** Whole days from `now` until `d`, rounded down (negative once `d` has passed). */
export function daysUntil(d: Date, now: Date): number {
  return Math.floor((d.getTime() - now.getTime()) / DAY_MS);
}

/** `1 day`, `12 days`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** How long is left, as a phrase: `in 12 days`, `in 1 day`, `today`, `3 days ago` (`あと12日`, `今日`, `3日前`). */
export function relativeDays(days: number, lang: MailLanguage = 'en'): string {
  if (lang === 'ja') return days > 0 ? `あと${days}日` : days === 0 ? '今日' : `${-days}日前`;
  if (days > 0) return `in ${plural(days, 'day')}`;
  if (days === 0) return 'today';
  return `${plural(-days, 'day')} ago`;
}

/** `example.com (+2 names)`: the first name and how many more the certificate covers. */
export function namesSummary(names: readonly string[]): string {
  if (names.length === 0) return '(no names)';
  const more = names.length - 1;
  return more > 0 ? `${names[0]} (+${plural(more, 'name')})` : names[0];
}

/**
 * The CA, for people: the known CA's name with the directory host (`Let's Encrypt (acme-v02.api.letsencrypt.org)`),
 * `(staging)` for a staging directory, or the bare host for a CA certbeat does not know.
 */
export function caLabel(directoryUrl: string): string {
  let host: string;
  try {
    host = new URL(directoryUrl).host;
  } catch {
    return directoryUrl;
  }
  const ca = identifyCa(directoryUrl);
  if (!ca) return host;
  const staging = /staging|test/i.test(host) ? ' staging' : '';
  return `${ca.name}${staging} (${host})`;
}

/**
 * A resource ARN from ACM's InUseBy list in plain words, e.g. `CloudFront distribution E2ABC (arn:...)`.
 * Unknown services come back as the bare ARN.
 */
export function describeResource(arn: string): string {
  const parts = arn.split(':');
  const service = parts[2];
  const resource = parts.slice(5).join(':');
  let what: string | undefined;
  if (service === 'cloudfront' && resource.startsWith('distribution/')) {
    what = `CloudFront distribution ${resource.slice('distribution/'.length)}`;
  } else if (service === 'elasticloadbalancing') {
    const m = /^loadbalancer\/(app|net|gwy)\/([^/]+)/.exec(resource);
    const kind = m?.[1] === 'app' ? 'Application Load Balancer' : m?.[1] === 'net' ? 'Network Load Balancer' : 'Load balancer';
    what = m ? `${kind} ${m[2]}` : `Classic Load Balancer ${resource.replace(/^loadbalancer\//, '')}`;
  } else if (service === 'apigateway') {
    what = `API Gateway custom domain ${resource.replace(/^\/domainnames\//, '')}`;
  } else if (service === 'appsync') {
    what = 'AppSync custom domain';
  } else if (service === 'amplify') {
    what = 'Amplify app';
  }
  return what ? `${what} (${arn})` : arn;
}

/**
 * The ACM console page of a certificate, for `arn:aws:acm:...` ARNs only (other partitions have other
 * consoles); `undefined` when the ARN does not have the expected shape.
 */
export function acmConsoleUrl(arn: string): string | undefined {
  const m = /^arn:aws:acm:([a-z0-9-]+):\d{12}:certificate\/([A-Za-z0-9-]+)$/.exec(arn);
  if (!m) return undefined;
  return `https://${m[1]}.console.aws.amazon.com/acm/home?region=${m[1]}#/certificates/${m[2]}`;
}

const KEY_TYPE_LABELS: Record<string, string> = {
  ec256: 'ECDSA P-256',
  ec384: 'ECDSA P-384',
  rsa2048: 'RSA 2048',
  rsa3072: 'RSA 3072',
  rsa4096: 'RSA 4096',
};

/** `ec256` → `ECDSA P-256`; unknown values unchanged. */
export function keyTypeLabel(keyType: string): string {
  return KEY_TYPE_LABELS[keyType] ?? keyType;
}
