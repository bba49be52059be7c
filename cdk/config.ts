/**
 * The deployment config: `certbeat.config.json` beside `cdk.json`. Typed and validated before any
 * construct is built, so a mistake fails synthesis with one message per problem that names the field
 * and says how to fix it. A certificate's own rules are the ones the CLI and the inventory use
 * (lambda/domain/record-validation.ts); this file adds the config file's shape and deployment-wide rules.
 */
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { LETS_ENCRYPT_PRODUCTION, LETS_ENCRYPT_STAGING } from '../lambda/domain/model.js';
import { baseName, challengeRecordName, normalizeName } from '../lambda/domain/names.js';
import { acmArnProblem } from '../lambda/domain/adoption.js';
import { MAIL_LANGUAGES, isTimeZone, type MailLanguage } from '../lambda/domain/mail/format.js';
import { challengeTarget } from '../lambda/domain/challenge-alias.js';
import { REGION_PATTERN } from '../lambda/domain/regional-imports.js';
import { checkCaLimits, type CaLimits } from '../lambda/domain/ca-limits.js';
import {
  CONFIG_DEFAULTS,
  HOSTED_ZONE_ID_PATTERN,
  isMailAddress,
  validateCertificateConfig,
  type CertificateConfig,
} from '../lambda/domain/record-validation.js';

export type { CertificateConfig };

/** A configured certificate; `acmArn` adopts a certificate already imported into ACM (see adoption.ts). */
export type DeployedCertificate = CertificateConfig & { acmArn?: string };

export const CONFIG_FILE_NAME = 'certbeat.config.json';

export interface CertbeatConfig {
  /** SES identity (address, or an address in a verified domain) every mail is sent from. */
  sender: string;
  defaultRecipients: string[];
  /** Contact address registered with the ACME account. */
  accountEmail?: string;
  /** Fixed daily run time (UTC unless `timezone`); absent: a minute derived from the stack. */
  schedule: { time?: { hour: number; minute: number }; timezone?: string };
  /** Hosted zone id → IAM role ARN to assume, for zones in other accounts. */
  zoneRoles: Record<string, string>;
  /**
   * ACME directory URL → the CA's order limits, for a CA whose limits certbeat does not know (none are
   * enforced for it otherwise) or to override a known CA's (CERTBEAT_CA_LIMITS of the function).
   */
  caLimits: Record<string, CaLimits>;
  alarms: { emails: string[]; topicArn?: string };
  logRetentionDays: number;
  /** Mails' language and time zone (CERTBEAT_MAIL_LANGUAGE / CERTBEAT_TIME_ZONE of the function). */
  mail: { language: MailLanguage; timeZone: string };
  certificates: DeployedCertificate[];
  /** The inventory digest mail; absent (the default): no digest is sent. */
  digest?: DigestConfig;
  /**
   * What validation tidied rather than refused (e.g. spelling variants of one name collapsed), one
   * "field: what was done" line each; `cdk synth` prints them. Absent when there is nothing to say.
   */
  notes?: string[];
  /**
   * The one region this config is deployed to: the stack there owns every certificate and imports each
   * into its `regions`. `cdk deploy` always targets it, so one config never makes two stacks that
   * would both issue every certificate. Required when a certificate lists `regions`.
   */
  region?: string;
}

export const WEEKDAYS = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** When, and to whom, the digest of the whole inventory is mailed. */
export interface DigestConfig {
  frequency: 'daily' | 'weekly';
  /** Resolved: the digest's own recipients, else `defaultRecipients`; never empty. */
  recipients: string[];
  /** In the schedule's time zone (`schedule.timezone`, UTC by default). */
  time: { hour: number; minute: number };
  /** Weekly only (default MON). */
  weekday?: Weekday;
}

/** The digest's time of day when `digest.time` is not given: a morning mail. */
export const DEFAULT_DIGEST_TIME = { hour: 8, minute: 0 } as const;

/** Thrown when the config cannot be used. `problems` holds one "field: what is wrong; the fix" line each. */
export class CertbeatConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file} is invalid:\n  - ${problems.join('\n  - ')}`);
    this.name = 'CertbeatConfigError';
  }
}

const missing = (input: unknown) => input === undefined;

const email = (what: string) =>
  z
    .string({ error: (i) => (missing(i.input) ? `is missing; give ${what}` : `must be a mail address (${what})`) })
    .refine(isMailAddress, { error: (i) => `"${String(i.input)}" is not a mail address; give ${what}, e.g. certs@example.com` });

const zoneId = z.string({ error: 'must be a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ' }).transform((s, ctx) => {
  const match = HOSTED_ZONE_ID_PATTERN.exec(s.trim());
  if (match) return match[1];
  ctx.addIssue({ code: 'custom', message: `"${s}" is not a hosted zone id; copy the id (e.g. Z0123456789ABCDEFGHIJ) from the Route 53 console` });
  return z.NEVER;
});

const CA_ALIASES = { letsencrypt: LETS_ENCRYPT_PRODUCTION, 'letsencrypt-staging': LETS_ENCRYPT_STAGING } as const;

const customCa = z.strictObject({
    directoryUrl: z
      .string({ error: (i) => (missing(i.input) ? 'is missing; give the ACME directory URL of the CA' : 'must be a URL') })
      .pipe(
        z.url({
          protocol: /^https$/,
          error: (i) => `"${String(i.input)}" is not an https URL; give the CA's ACME directory URL, e.g. https://acme.example-ca.com/directory`,
        }),
      ),
    eabSecretName: z
      .string({
        error: (i) =>
          missing(i.input)
            ? 'is missing: a CA given by directory URL needs External Account Binding; store {"keyId":"...","hmacKey":"..."} in a Secrets Manager secret and put its name here'
            : 'must be the name or ARN of a Secrets Manager secret',
      })
      .regex(/^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:)?[A-Za-z0-9/_+=.@-]{1,512}$/, {
        error: (i) => `"${String(i.input)}" is not a Secrets Manager secret name or ARN`,
      }),
});

type CaInput = 'letsencrypt' | 'letsencrypt-staging' | z.infer<typeof customCa>;

// A hand-rolled union so that an object CA reports its own field problems (a zod union only says "invalid").
const ca = z.unknown().transform((input, ctx): CaInput => {
  if (typeof input === 'string' && input in CA_ALIASES) return input as keyof typeof CA_ALIASES;
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    const parsed = customCa.safeParse(input);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) {
      const message = issue.code === 'unrecognized_keys' ? `unknown key(s) ${issue.keys.join(', ')}; use directoryUrl and eabSecretName` : issue.message;
      ctx.addIssue({ code: 'custom', message, path: issue.path });
    }
    return z.NEVER;
  }
  ctx.addIssue({
    code: 'custom',
    message: `${JSON.stringify(input)} is not a CA; use "letsencrypt", "letsencrypt-staging" or { "directoryUrl": "https://...", "eabSecretName": "..." }`,
  });
  return z.NEVER;
});

// The certificate's own rules (id, names, zones, directory URL, key type, owners) are the shared ones
// in record-validation.ts; this schema only shapes the config file's way of writing a certificate.
const certificateShape = z.strictObject({
  id: z.unknown(),
  names: z.unknown(),
  zoneId: z.unknown().optional(),
  zones: z.unknown().optional(),
  challengeAliases: z.unknown().optional(),
  regions: z.unknown().optional(),
  ca: ca.optional(),
  keyType: z.unknown().optional(),
  owners: z.unknown().optional(),
  acmArn: z.unknown().optional(),
  profile: z.unknown().optional(),
  profileFallback: z.unknown().optional(),
});

/** Config-file field that a record-validation problem is about (the record names some differently). */
const RECORD_FIELD_IN_CONFIG: Record<string, string> = { directoryUrl: 'ca.directoryUrl', eabSecretId: 'ca.eabSecretName' };

const certificate = certificateShape.transform((c, ctx): DeployedCertificate & { notes?: string[] } => {
  const arnProblem = c.acmArn === undefined ? undefined : acmArnProblem(c.acmArn);
  if (arnProblem) {
    ctx.addIssue({ code: 'custom', path: ['acmArn'], message: arnProblem.replace(/^acmArn: /, '') });
    return z.NEVER;
  }
  const adopt = typeof c.acmArn === 'string' ? { acmArn: c.acmArn.trim() } : {};
  let zones = c.zones ?? CONFIG_DEFAULTS.zones;
  if (c.zoneId !== undefined) {
    const match = typeof c.zoneId === 'string' ? HOSTED_ZONE_ID_PATTERN.exec(c.zoneId.trim()) : null;
    if (!match) {
      ctx.addIssue({
        code: 'custom',
        path: ['zoneId'],
        message: `${JSON.stringify(c.zoneId)} is not a hosted zone id; copy the id (e.g. Z0123456789ABCDEFGHIJ) from the Route 53 console`,
      });
      return z.NEVER;
    }
    if (c.zones !== undefined) {
      ctx.addIssue({ code: 'custom', message: 'give either zoneId (one zone for all names) or zones (per name), not both' });
      return z.NEVER;
    }
    zones = Array.isArray(c.names) ? Object.fromEntries(c.names.filter((n) => typeof n === 'string').map((n) => [n, match[1]])) : {};
  }
  const ca = c.ca ?? 'letsencrypt';
  const custom = typeof ca === 'object' ? ca : undefined;
  const checked = validateCertificateConfig(
    {
      id: c.id,
      names: c.names,
      zones,
      challengeAliases: c.challengeAliases,
      regions: c.regions,
      directoryUrl: custom ? custom.directoryUrl : CA_ALIASES[ca as keyof typeof CA_ALIASES],
      eabSecretId: custom?.eabSecretName,
      keyType: c.keyType,
      owners: c.owners,
      ...(c.profile !== undefined ? { profile: c.profile } : {}),
      ...(c.profileFallback !== undefined ? { profileFallback: c.profileFallback } : {}),
    },
    { applyDefaults: true },
  );
  if (checked.ok) return { ...checked.value, ...adopt, ...(checked.notes ? { notes: checked.notes } : {}) };
  for (const problem of checked.problems) {
    const colon = problem.indexOf(': ');
    const field = colon > 0 ? problem.slice(0, colon) : '';
    const root = field.replace(/[[.].*$/, '');
    const mapped = RECORD_FIELD_IN_CONFIG[root] ? RECORD_FIELD_IN_CONFIG[root] + field.slice(root.length) : field;
    ctx.addIssue({ code: 'custom', path: mapped ? [mapped] : [], message: colon > 0 ? problem.slice(colon + 2) : problem });
  }
  return z.NEVER;
});

// The rules are shared with the function's CERTBEAT_CA_LIMITS (lambda/domain/ca-limits.ts).
const caLimits = z.unknown().transform((input, ctx): Record<string, CaLimits> => {
  const checked = checkCaLimits(input);
  if (checked.ok) return checked.value;
  for (const problem of checked.problems) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
  return z.NEVER;
});

const time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, {
  error: (i) => `"${String(i.input)}" is not a time; use 24-hour "HH:MM", e.g. "04:17"`,
});

const FREQUENCIES = ['daily', 'weekly'] as const;

const digest = z
  .strictObject({
    frequency: z.enum(FREQUENCIES, {
      error: (i) =>
        missing(i.input)
          ? 'is missing; use "daily" or "weekly" (or remove "digest" to send no digest)'
          : `${JSON.stringify(i.input)} is not a digest frequency; use "daily" or "weekly"`,
    }),
    recipients: z.array(email('a recipient of the digest'), { error: 'must be a list of mail addresses, e.g. ["ops@example.com"]' }).optional(),
    time: time.optional(),
    weekday: z
      .enum(WEEKDAYS, { error: (i) => `${JSON.stringify(i.input)} is not a weekday; use one of ${WEEKDAYS.join(', ')}` })
      .optional(),
  }, { error: (i) => (i.code === 'invalid_type' ? 'must be an object such as { "frequency": "weekly" }' : undefined) })
  .superRefine((d, ctx) => {
    if (d.weekday !== undefined && d.frequency === 'daily') {
      ctx.addIssue({
        code: 'custom',
        path: ['weekday'],
        message: 'only a weekly digest has a weekday; remove "weekday" or set "frequency": "weekly"',
      });
    }
  });

const schema = z.strictObject({
  $schema: z.string().optional(),
  region: z
    .string()
    .regex(REGION_PATTERN, { error: (i) => `"${String(i.input)}" is not an AWS region; give the one region certbeat is deployed to, e.g. "us-east-1"` })
    .optional(),
  sender: email('the SES identity certbeat sends from (a verified address or an address in a verified domain)'),
  defaultRecipients: z.array(email('a recipient for certificates without owners')).default([]),
  accountEmail: email('the ACME account contact').optional(),
  schedule: z
    .strictObject({
      time: time.optional(),
      timezone: z
        .string()
        .refine((tz) => isTimeZone(tz), { error: (i) => `"${String(i.input)}" is not an IANA time zone; use e.g. "Europe/Berlin" or leave it out for UTC` })
        .optional(),
    })
    .default({}),
  zoneRoles: z
    .record(
      zoneId,
      z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, {
        error: (i) => `"${String(i.input)}" is not an IAM role ARN; use arn:aws:iam::<account>:role/<name>`,
      }),
    )
    .default({}),
  caLimits: caLimits.optional(),
  alarms: z
    .strictObject({
      emails: z.array(email('where alarm notifications go')).default([]),
      topicArn: z
        .string()
        .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/, { error: (i) => `"${String(i.input)}" is not an SNS topic ARN` })
        .optional(),
    })
    .default({ emails: [] }),
  mail: z
    .strictObject({
      language: z.enum(MAIL_LANGUAGES, { error: (i) => `"${String(i.input)}" is not a mail language; use "en" or "ja"` }).default('en'),
      timeZone: z
        .string()
        .refine((tz) => isTimeZone(tz), { error: (i) => `"${String(i.input)}" is not an IANA time zone; use e.g. "Asia/Tokyo" or leave it out for UTC` })
        .default('UTC'),
    })
    .default({ language: 'en', timeZone: 'UTC' }),
  logRetentionDays: z
    .number()
    .refine((n) => LOG_RETENTION_DAYS.includes(n), {
      error: (i) => `${String(i.input)} is not a CloudWatch Logs retention; use one of ${LOG_RETENTION_DAYS.join(', ')}`,
    })
    .default(90),
  certificates: z
    .array(certificate, { error: 'must be a list of certificates' })
    .min(1, { error: 'is empty; declare at least one certificate' }),
  digest: digest.optional(),
});

/** The retention values CloudWatch Logs accepts. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

type RawConfig = z.infer<typeof schema>;

function pathOf(path: PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(top level)';
}

/** Rules that span fields: unique ids, zones that name configured names, roles for used zones. */
function crossFieldProblems(raw: RawConfig): string[] {
  const problems: string[] = [];
  const seenIds = new Map<string, number>();
  const seenArns = new Map<string, number>();
  const usedZones = new Set<string>();
  raw.certificates.forEach((c, i) => {
    const first = seenIds.get(c.id);
    if (first !== undefined) problems.push(`certificates[${i}].id: "${c.id}" is already used by certificates[${first}]; give each certificate its own id`);
    else seenIds.set(c.id, i);
    if (c.acmArn !== undefined) {
      const adoptedBy = seenArns.get(c.acmArn);
      if (adoptedBy !== undefined) problems.push(`certificates[${i}].acmArn: ${c.acmArn} is already adopted by certificates[${adoptedBy}]; one ACM certificate can be renewed by one certificate id only`);
      else seenArns.set(c.acmArn, i);
    }
    for (const zone of Object.values(c.zones)) usedZones.add(zone);
  });
  for (const zone of Object.keys(raw.zoneRoles)) {
    if (!usedZones.has(zone)) {
      problems.push(`zoneRoles.${zone}: no certificate names this zone; set it as zoneId/zones of the certificates in that account, or remove the role`);
    }
  }
  const multi = raw.certificates.findIndex((c) => c.regions !== undefined);
  if (multi !== -1 && !raw.region) {
    problems.push(
      `region: certificates[${multi}] lists regions, so say which one region certbeat is deployed to (e.g. "region": "us-east-1"); one stack there imports into every listed region`,
    );
  }
  if (raw.alarms.topicArn && raw.alarms.emails.length > 0) {
    problems.push('alarms: give either emails (certbeat creates a topic) or topicArn (an existing topic), not both');
  }
  if (raw.digest && (raw.digest.recipients ?? []).length === 0 && raw.defaultRecipients.length === 0) {
    problems.push('digest.recipients: the digest has no recipients; list them in digest.recipients, or set defaultRecipients');
  }
  return problems;
}

const hhmm = (s: string) => {
  const [hour, minute] = s.split(':').map(Number);
  return { hour, minute };
};

function normalizeDigest(raw: NonNullable<RawConfig['digest']>, defaultRecipients: string[]): DigestConfig {
  const own = raw.recipients ?? [];
  return {
    frequency: raw.frequency,
    recipients: [...new Set(own.length > 0 ? own : defaultRecipients)],
    time: raw.time ? hhmm(raw.time) : { ...DEFAULT_DIGEST_TIME },
    ...(raw.frequency === 'weekly' ? { weekday: raw.weekday ?? 'MON' } : {}),
  };
}

const withNotes = (notes: string[]) => (notes.length > 0 ? { notes } : {});

function normalize(raw: RawConfig): CertbeatConfig {
  const time = raw.schedule.time?.split(':').map(Number);
  return {
    sender: raw.sender,
    defaultRecipients: raw.defaultRecipients,
    accountEmail: raw.accountEmail,
    schedule: { time: time ? { hour: time[0], minute: time[1] } : undefined, timezone: raw.schedule.timezone },
    zoneRoles: raw.zoneRoles,
    caLimits: raw.caLimits ?? {},
    alarms: { emails: raw.alarms.emails, topicArn: raw.alarms.topicArn },
    logRetentionDays: raw.logRetentionDays,
    mail: raw.mail,
    certificates: raw.certificates.map(({ notes: _notes, ...c }) => c),
    ...(raw.digest ? { digest: normalizeDigest(raw.digest, raw.defaultRecipients) } : {}),
    ...withNotes(raw.certificates.flatMap((c, i) => (c.notes ?? []).map((n) => `certificates[${i}].${n}`))),
    ...(raw.region ? { region: raw.region } : {}),
  };
}

/**
 * Validates a parsed config object. Returns the normalized config or throws `CertbeatConfigError`
 * listing every problem (field path, what is wrong, how to fix it). `file` only labels the message.
 */
export function parseConfig(input: unknown, file = CONFIG_FILE_NAME): CertbeatConfig {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      if (i.code === 'unrecognized_keys') {
        return `${pathOf(i.path)}: unknown key(s) ${i.keys.map((k) => `"${k}"`).join(', ')}; check the spelling against certbeat.config.example.json`;
      }
      // A bad record key (zoneRoles) carries the key's own problem inside.
      if (i.code === 'invalid_key' && i.issues[0]) return `${pathOf(i.path)}: ${i.issues[0].message}`;
      return `${pathOf(i.path)}: ${i.message}`;
    });
    throw new CertbeatConfigError(file, problems);
  }
  const problems = crossFieldProblems(parsed.data);
  if (problems.length > 0) throw new CertbeatConfigError(file, problems);
  return normalize(parsed.data);
}

/** Reads and validates the config file; a missing file or bad JSON fails with the fix. */
export function loadConfig(file: string): CertbeatConfig {
  if (!existsSync(file)) {
    throw new CertbeatConfigError(file, [
      `the file does not exist; copy certbeat.config.example.json to ${CONFIG_FILE_NAME} beside cdk.json and edit it`,
    ]);
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CertbeatConfigError(file, [`is not valid JSON (${(e as Error).message}); fix the syntax`]);
  }
  return parseConfig(json, file);
}

/**
 * The explicit zone id of a name, read the way the DNS solver reads `zones`: the name itself, or its
 * apex/wildcard twin (both live in one zone).
 */
export function zoneOf(certificate: CertificateConfig, name: string): string | undefined {
  const base = baseName(normalizeName(name));
  return certificate.zones[normalizeName(name)] ?? certificate.zones[base] ?? certificate.zones[`*.${base}`];
}

/**
 * The value of `route53:ChangeResourceRecordSetsNormalizedRecordNames` for a certificate name:
 * `_acme-challenge.<base name>`, lower-case, no trailing dot, wildcard label stripped (apex and
 * wildcard share one record). Characters outside a–z 0–9 - _ . are written as \ooo octal escapes, as
 * Route 53 documents; names that pass validation never contain any.
 */
export function normalizedChallengeName(name: string): string {
  return escapeRecordName(challengeRecordName(name));
}

/** A record name as `route53:ChangeResourceRecordSetsNormalizedRecordNames` carries it (\ooo escapes). */
function escapeRecordName(name: string): string {
  return name.replace(/[^a-z0-9\-_.]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/** Challenge record names grouped by where they are written: an explicit zone, or automatic lookup. */
export interface ChallengeScope {
  /** zone id → sorted, de-duplicated challenge record names in that zone. */
  byZone: Map<string, string[]>;
  /** Challenge record names whose zone is found at run time (ListHostedZones). */
  lookedUp: string[];
}

export function challengeScope(config: CertbeatConfig): ChallengeScope {
  const byZone = new Map<string, Set<string>>();
  const lookedUp = new Set<string>();
  for (const c of config.certificates) {
    for (const name of c.names) {
      // A CNAME-delegated name is written at its alias target (lambda/domain/challenge-alias.ts).
      const record = escapeRecordName(challengeTarget(name, c.challengeAliases));
      const zone = zoneOf(c, name);
      if (zone) {
        if (!byZone.has(zone)) byZone.set(zone, new Set());
        byZone.get(zone)!.add(record);
      } else lookedUp.add(record);
    }
  }
  const sorted = (s: Set<string>) => [...s].sort();
  return { byZone: new Map([...byZone].sort(([a], [b]) => a.localeCompare(b)).map(([z, s]) => [z, sorted(s)])), lookedUp: sorted(lookedUp) };
}
