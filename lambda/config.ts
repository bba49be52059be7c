/**
 * Runtime configuration from the environment, validated once at cold start. The CDK stack sets these
 * variables; the CLI and the testbed set the same ones.
 */
import * as z from './zod.js';
import { MAIL_LANGUAGES, isTimeZone } from './domain/mail/format.js';
import { checkCaLimits, type CaLimits } from './domain/ca-limits.js';

export const ENV = {
  tableName: 'CERTBEAT_TABLE_NAME',
  dueIndexName: 'CERTBEAT_DUE_INDEX',
  sender: 'CERTBEAT_SENDER',
  defaultRecipients: 'CERTBEAT_DEFAULT_RECIPIENTS',
  /** Who gets the digest (`{"action":"digest"}`); empty means the default recipients. */
  digestRecipients: 'CERTBEAT_DIGEST_RECIPIENTS',
  accountSecretId: 'CERTBEAT_ACCOUNT_SECRET_ID',
  accountEmail: 'CERTBEAT_ACCOUNT_EMAIL',
  /** Secret name prefix of the pending-import slot (certificates issued but not yet imported). */
  pendingSecretPrefix: 'CERTBEAT_PENDING_SECRET_PREFIX',
  /** Value of the `certbeat:stack` tag put on first import (the deployment's IAM policy requires it). */
  stackTag: 'CERTBEAT_STACK_TAG',
  concurrency: 'CERTBEAT_CONCURRENCY',
  /** The region ACM imports go to (the Lambda's own). */
  region: 'AWS_REGION',
  /** JSON map of hosted zone id → role ARN to assume for zones in other accounts. */
  zoneRoles: 'CERTBEAT_ZONE_ROLES',
  /** PEM file of extra CAs to trust for ACME (the testbed's pebble). */
  acmeCaFile: 'CERTBEAT_ACME_CA_FILE',
  /** "host:port" of the DNS resolver for pre-flight checks (the testbed's DNS server). */
  dnsResolver: 'CERTBEAT_DNS_RESOLVER',
  /** JSON map of ACME directory URL → CAA issuer domains, for CAs the built-in table does not know. */
  caaIdentities: 'CERTBEAT_CAA_IDENTITIES',
  /** JSON map of ACME directory URL → order limits (`caLimits` of certbeat.config.json; domain/ca-limits.ts). */
  caLimits: 'CERTBEAT_CA_LIMITS',
  /** Milliseconds between Route 53 GetChange polls. */
  route53PollMs: 'CERTBEAT_ROUTE53_POLL_MS',
  /** Milliseconds between ACME authorization/order polls. */
  acmePollMs: 'CERTBEAT_ACME_POLL_MS',
  /** IANA time zone the mails show dates in (default UTC). */
  timeZone: 'CERTBEAT_TIME_ZONE',
  /** Language of the certificate mails: en (default) or ja. */
  mailLanguage: 'CERTBEAT_MAIL_LANGUAGE',
} as const;

const emailList = z.pipe(
  z.pipe(z.string(), z.transform((s: string) => s.split(',').map((x) => x.trim()).filter(Boolean))),
  z.array(z.email({ message: 'must be a comma-separated list of mail addresses' })),
);

/** A variable holding a JSON object of `shape`; anything else is one issue saying `message`. Default: `{}`. */
function jsonObject<T extends object>(shape: z.ZodMiniType<T>, message: string) {
  return z._default(
    z.pipe(
      z.string(),
      z.transform((s: string, ctx): T => {
        try {
          return shape.parse(JSON.parse(s));
        } catch {
          ctx.issues.push({ code: 'custom', message, input: s });
          return z.NEVER;
        }
      }),
    ),
    // An empty object is a value of every record shape given here.
    {} as never,
  );
}

const schema = z.object({
  tableName: z.string({ error: 'is not set: give the inventory table name (stack output TableName)' }),
  dueIndexName: z._default(z.string(), 'due'),
  sender: z.email({
    error: (issue) => (issue.input === undefined ? 'is not set: give a verified SES sender address' : 'must be a mail address verified in SES'),
  }),
  defaultRecipients: z._default(emailList, []),
  digestRecipients: z._default(emailList, []),
  accountSecretId: z.string({ error: 'is not set: give the ACME account key secret (stack output AccountSecretId)' }),
  accountEmail: z.optional(z.email()),
  pendingSecretPrefix: z._default(z.string().check(z.minLength(1)), 'certbeat/pending/'),
  stackTag: z.optional(z.string().check(z.maxLength(256))),
  concurrency: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(32)), 16),
  region: z._default(z.string(), 'us-east-1'),
  zoneRoles: jsonObject(z.record(z.string(), z.string()), 'must be a JSON object of zone id to role ARN'),
  caaIdentities: jsonObject(z.record(z.string(), z.array(z.string())), 'must be a JSON object of directory URL to a list of CAA domains'),
  caLimits: z._default(
    z.pipe(
      z.string(),
      z.transform((s: string, ctx): Record<string, CaLimits> => {
        let json: unknown;
        try {
          json = JSON.parse(s);
        } catch {
          ctx.issues.push({ code: 'custom', message: 'is not JSON; give an object of directory URL to { "ordersPer3Hours": n, "certificatesPerDomainPerWeek": n }', input: s });
          return z.NEVER;
        }
        const checked = checkCaLimits(json);
        if (checked.ok) return checked.value;
        for (const p of checked.problems) ctx.issues.push({ code: 'custom', message: p.path.length > 0 ? `${p.path.join('.')}: ${p.message}` : p.message, input: s });
        return z.NEVER;
      }),
    ),
    {},
  ),
  acmeCaFile: z.optional(z.string()),
  dnsResolver: z.optional(z.string()),
  route53PollMs: z._default(z.coerce.number().check(z.int(), z.minimum(10)), 2000),
  acmePollMs: z._default(z.coerce.number().check(z.int(), z.minimum(10)), 1000),
  timeZone: z._default(
    z.string().check(z.refine(isTimeZone, { message: 'is not an IANA time zone; give one such as "UTC", "Asia/Tokyo" or "Europe/Berlin"' })),
    'UTC',
  ),
  mailLanguage: z._default(z.enum(MAIL_LANGUAGES, { message: `must be one of ${MAIL_LANGUAGES.join(', ')}` }), 'en'),
});

export type RuntimeConfig = z.infer<typeof schema>;

/** Reads and validates the environment; throws one error listing every bad variable and its fix. */
export function loadRuntimeConfig(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const raw: Record<string, string | undefined> = {};
  for (const [key, name] of Object.entries(ENV)) {
    const v = env[name];
    if (v !== undefined && v !== '') raw[key] = v;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const key = String(i.path[0]) as keyof typeof ENV;
      return `${ENV[key] ?? key}: ${i.message}`;
    });
    throw new Error(`certbeat runtime configuration is invalid:\n  ${lines.join('\n  ')}`);
  }
  return parsed.data;
}
