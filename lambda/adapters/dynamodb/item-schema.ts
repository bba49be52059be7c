/**
 * The stored shape of an inventory item and its mapping to `CertificateRecord`.
 *
 * An item's attributes are the record's field names plus `dueShard` (present, = "active", exactly when
 * the certificate is active, so that the sparse `due` index holds only active items). Dates are ISO 8601
 * UTC strings. Configuration fields are checked by the shared domain rules (record-validation.ts);
 * runtime fields by the zod schema below. Every problem names the field and the fix.
 */
import * as z from '../../zod.js';
import type { CertificateRecord, InvalidItem } from '../../domain/model.js';
import { printable } from '../../domain/names.js';
import { isMailAddress, validateCertificateConfig } from '../../domain/record-validation.js';
import { withDueIndexProblems } from './due-index.js';
import { TABLE_KEYS } from './table-schema.js';

/** The id reported for an item that has none. */
export const MISSING_ID = '(missing id)';

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

/** True for an ISO 8601 UTC timestamp such as `2026-01-31T00:00:00.000Z` that names a real instant. */
export function isIsoTimestamp(value: unknown): value is string {
  return typeof value === 'string' && ISO_UTC.test(value) && !Number.isNaN(Date.parse(value));
}

function shown(input: unknown): string {
  if (input === undefined) return 'is missing;';
  if (typeof input === 'string') return `"${printable(input)}" is not valid;`;
  return `has the wrong type (${input === null ? 'null' : Array.isArray(input) ? 'list' : typeof input});`;
}

/** A zod error callback: "<what the value is>; <fix>". The field path is prefixed by `formatIssues`. */
const fix = (how: string) => ({ error: (issue: { input?: unknown }) => `${shown(issue.input)} ${how}` });

const timestamp = z.string(fix('write an ISO 8601 UTC timestamp such as 2026-01-31T00:00:00.000Z')).check(
  z.refine(isIsoTimestamp, {
    error: (issue) => `${shown(issue.input)} write an ISO 8601 UTC timestamp such as 2026-01-31T00:00:00.000Z`,
  }),
);
const text = (how: string) => z.string(fix(how)).check(z.minLength(1, fix(how)));

const renewalWindowSchema = z.object(
  {
    start: timestamp,
    end: timestamp,
    retryAfter: z.optional(timestamp),
    explanationUrl: z.optional(z.string(fix('give the URL the CA sent, or remove the field'))),
  },
  fix('give a map { start, end } of ISO timestamps, or remove the field (the next run asks the CA again)'),
);

const lastOutcomeSchema = z.object(
  {
    at: timestamp,
    result: z.enum(['renewed', 'issued', 'failed'], fix('use "renewed", "issued" or "failed"')),
    errorClass: z.optional(z.string(fix('give an error class name, or remove the field'))),
    message: z.optional(z.string(fix('give a text, or remove the field'))),
    fix: z.optional(z.string(fix('give a text, or remove the field'))),
  },
  fix('give a map { at, result }, or remove the field'),
);

const leaseSchema = z.object(
  {
    owner: text('give the invocation id that holds the lease'),
    until: timestamp,
  },
  fix('give a map { owner, until }, or remove the field to release the lease'),
);

const publishedSchema = z.array(
  z.object({ recordName: text('give the TXT record name'), value: text('give the TXT value'), zoneId: text('give the hosted zone id') }),
  fix('give the list of { recordName, value, zoneId } a run published, or remove the field'),
);

const owedMailSchema = z.array(
  z.object({
    kind: z.enum(['renewed', 'failed'], fix('use "renewed" or "failed"')),
    to: z.array(z.string(fix('write each address as a string')), fix('give the list of recipients')),
    subject: z.string(fix('give the subject')),
    html: z.string(fix('give the HTML body')),
    text: z.string(fix('give the text body')),
    since: timestamp,
    attempts: z.int(fix('give a whole number')).check(z.minimum(0, fix('give 0 or more'))),
    lastError: z.string(fix('give a text')),
  }),
  fix('give the list of owed mails, or remove the field (they are then not sent again)'),
);

/** Runtime state: written by runs, never by configuration. Unknown attributes are ignored. */
export const runtimeSchema = z.object({
  acmArn: z.optional(
    z
      .string(fix('give the ACM certificate ARN, or remove the field to issue a new certificate'))
      .check(z.regex(/^arn:[^:\s]+:acm:[^:\s]*:[^:\s]*:certificate\/\S+$/, fix('give an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>), or remove the field'))),
  ),
  notBefore: z.optional(timestamp),
  notAfter: z.optional(timestamp),
  serial: z.optional(text('give the certificate serial number in hex, or remove the field')),
  issuedNames: z.optional(z.array(z.string(fix('write each name as a string')), fix('give the list of names on the current certificate, or remove the field'))),
  ariCertId: z.optional(text('give the ARI certificate id (base64url AKI "." base64url serial), or remove the field')),
  renewalWindow: z.optional(renewalWindowSchema),
  lastOutcome: z.optional(lastOutcomeSchema),
  acmArns: z.optional(
    z.record(
      z.string(fix('key each ARN by its region')),
      z.string(fix('give the ACM certificate ARN in that region')).check(z.regex(/^arn:[^:\s]+:acm:[^:\s]*:[^:\s]*:certificate\/\S+$/, fix('give an ACM certificate ARN'))),
      fix('give a map of region to ACM certificate ARN, or remove the field'),
    ),
  ),
  pendingRegions: z.optional(z.array(z.string(fix('write each region as a string')), fix('give the list of regions still waiting for the kept certificate, or remove the field'))),
  // Absent on items written by hand: a certificate that never failed.
  failureCount: z._default(z.int(fix('give a whole number of consecutive failures (0 when none)')).check(z.minimum(0, fix('give 0 or more'))), 0),
  nextCheckAt: timestamp,
  forceRenewal: z.optional(z.boolean(fix('give true or false, or remove the field'))),
  pendingImport: z.optional(z.boolean(fix('give true or false, or remove the field'))),
  importingSerial: z.optional(text('give the serial of the certificate being imported, or remove the field')),
  pendingOrderUrl: z.optional(z.url(fix('give the ACME order URL, or remove the field (the next attempt orders anew)'))),
  published: z.optional(publishedSchema),
  owedMails: z.optional(owedMailSchema),
  lease: z.optional(leaseSchema),
  dueShard: z.optional(z.literal(TABLE_KEYS.activeShard, fix(`give "${TABLE_KEYS.activeShard}" on active items, and remove it on paused ones`))),
});

export type ItemParse = { ok: true; record: CertificateRecord } | { ok: false; invalid: InvalidItem };

/** `["lease", "until"]` → `lease.until`; `["issuedNames", 2]` → `issuedNames[2]`. */
function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '');
}

function formatIssues(error: z.core.$ZodError): string[] {
  return error.issues.map((issue) => `${fieldPath(issue.path) || '(item)'}: ${issue.message}`);
}

/**
 * Reads a stored item as a `CertificateRecord`. On failure returns an `InvalidItem` with the item's id
 * (or `(missing id)`), every problem found, and the owners that are readable mail addresses (so the
 * people responsible still hear about it).
 */
export function itemToRecord(item: Record<string, unknown>): ItemParse {
  const config = validateCertificateConfig(item);
  const runtime = runtimeSchema.safeParse(item);
  const problems = withDueIndexProblems(item, [...(config.ok ? [] : config.problems), ...(runtime.success ? [] : formatIssues(runtime.error))]);

  if (!config.ok || !runtime.success || problems.length > 0) {
    return {
      ok: false,
      invalid: {
        id: typeof item.id === 'string' && item.id !== '' ? item.id : MISSING_ID,
        problems,
        owners: Array.isArray(item.owners) ? item.owners.filter(isMailAddress) : [],
      },
    };
  }
  const { dueShard: _shard, ...state } = runtime.data;
  return { ok: true, record: compact({ ...config.value, ...state }) as CertificateRecord };
}

/** The stored item for a record: its fields (undefined ones dropped) plus `dueShard` when active. */
export function recordToItem(record: CertificateRecord): Record<string, unknown> {
  const item = compact({ ...record }) as Record<string, unknown>;
  delete item.dueShard;
  if (record.status === 'active') item.dueShard = TABLE_KEYS.activeShard;
  return item;
}

/**
 * Drops `undefined` values at every depth, so that the document client marshals the value whether or
 * not it was built with `removeUndefinedValues`.
 */
export function compact<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => compact(v)) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = compact(v);
    return out as T;
  }
  return value;
}
