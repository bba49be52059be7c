/**
 * The rules a certificate's *configuration* must follow, shared by the inventory adapter (on every read
 * and write), the CLI and the CDK config, so that a row means the same thing wherever it is checked.
 * Pure: no I/O, no SDK.
 *
 * Every problem is one string that starts with the field at fault and ends with the fix, e.g.
 * `names[2]: "*.*.example.com" misuses the wildcard: only a whole leftmost label may be "*", ...`.
 */
import { checkProfiles } from './profiles.js';
import { KEY_TYPES, type CertificateRecord, type CertificateStatus, type KeyType } from './model.js';
import { displayName } from './idn.js';
import { nameProblem, normalizeName, printable } from './names.js';
import { checkChallengeAliases } from './challenge-alias.js';
import { checkRegions } from './regional-imports.js';

/** ACME CAs (and ACM) refuse more SANs than this on one certificate. */
export const MAX_NAMES = 100;
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** A Route 53 hosted zone id, bare (`Z0123456789ABC`) or as Route 53 returns it (`/hostedzone/Z0123…`). */
export const HOSTED_ZONE_ID_PATTERN = /^(?:\/hostedzone\/)?([A-Z0-9]{1,32})$/;
const MAIL_PATTERN =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
/** Hosts a directory URL may name over plain http (local test CAs only). */
export const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The configuration part of a `CertificateRecord`: what a person sets, never what a run writes.
 * Validated values are normalized: names lower case without trailing dot, zone ids without `/hostedzone/`.
 */
export type CertificateConfig = Pick<CertificateRecord, 'id' | 'names' | 'zones' | 'challengeAliases' | 'regions' | 'directoryUrl' | 'eabSecretId' | 'keyType' | 'owners' | 'status' | 'profile' | 'profileFallback'>;

/**
 * `notes` (present only when there are some): what was tidied rather than refused, e.g. spelling variants
 * of one name (case, trailing dot, Unicode vs xn--) collapsed into one. Each starts with the field.
 */
export type ConfigValidation = { ok: true; value: CertificateConfig; notes?: string[] } | { ok: false; problems: string[] };

/** Values used for absent fields when `applyDefaults` is set (CLI and CDK input, never stored items). */
export const CONFIG_DEFAULTS = {
  zones: {} as Record<string, string>,
  keyType: 'ec256' as KeyType,
  owners: [] as string[],
  status: 'active' as CertificateStatus,
} as const;

export interface ValidateOptions {
  /**
   * Fill absent `zones`, `keyType`, `owners` and `status` from `CONFIG_DEFAULTS`. Off by default:
   * a stored item must carry every field, so a missing one is reported rather than guessed.
   */
  applyDefaults?: boolean;
}

/**
 * Validates the configuration fields of a certificate (`id`, `names`, `zones`, `directoryUrl`,
 * `eabSecretId`, `keyType`, `owners`, `status`). Other properties of `input` (runtime state, unknown
 * keys) are ignored and not copied into `value`.
 *
 * Returns `{ ok: true, value }` with names and zone ids normalized, or `{ ok: false, problems }` listing
 * every problem found (not only the first), each naming the field and how to fix it.
 */
export function validateCertificateConfig(input: unknown, options: ValidateOptions = {}): ConfigValidation {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, problems: ['(record): is not an object; give a certificate as { id, names, directoryUrl, ... }'] };
  }
  const raw = input as Record<string, unknown>;
  const get = (key: keyof typeof CONFIG_DEFAULTS) =>
    raw[key] === undefined && options.applyDefaults ? structuredClone(CONFIG_DEFAULTS[key]) : raw[key];
  const problems: string[] = [];
  const notes: string[] = [];

  const id = checkId(raw.id, problems);
  const names = checkNames(raw.names, problems, notes);
  const zones = checkZones(get('zones'), names, problems);
  const challengeAliases = checkChallengeAliases(raw.challengeAliases, names, problems);
  const regions = checkRegions(raw.regions, problems);
  const directoryUrl = checkDirectoryUrl(raw.directoryUrl, problems);
  const eabSecretId = checkEabSecretId(raw.eabSecretId, problems);
  const keyType = checkKeyType(get('keyType'), problems);
  const owners = checkOwners(get('owners'), problems);
  const status = checkStatus(get('status'), problems);
  const profiles = checkProfiles(raw, problems);

  if (problems.length > 0) return { ok: false, problems };
  const value: CertificateConfig = {
    id: id!,
    names: names!,
    zones: zones!,
    directoryUrl: directoryUrl!,
    keyType: keyType!,
    owners: owners!,
    status: status!,
  };
  if (eabSecretId !== undefined) value.eabSecretId = eabSecretId;
  Object.assign(value, profiles);
  if (challengeAliases !== undefined) value.challengeAliases = challengeAliases;
  if (regions !== undefined) value.regions = regions;
  return notes.length > 0 ? { ok: true, value, notes } : { ok: true, value };
}

/** Why `id` is not a valid certificate id, or `undefined`. Used for lookups by id as well. */
export function idProblem(id: unknown): string | undefined {
  if (typeof id !== 'string' || id === '') return 'id: is missing; give 1–128 letters, digits, ".", "_" or "-", e.g. "www-example-com"';
  if (!ID_PATTERN.test(id)) {
    return `id: "${printable(id)}" is not a valid id; use 1–128 letters, digits, ".", "_" or "-", starting with a letter or digit`;
  }
  return undefined;
}

function checkId(id: unknown, problems: string[]): string | undefined {
  const problem = idProblem(id);
  if (problem) problems.push(problem);
  return problem ? undefined : (id as string);
}

function checkNames(names: unknown, problems: string[], notes: string[]): string[] | undefined {
  if (!Array.isArray(names)) {
    problems.push('names: is missing or not a list; give a list of DNS names, e.g. ["example.com", "*.example.com"]');
    return undefined;
  }
  if (names.length === 0) {
    problems.push('names: is empty; give at least one DNS name, e.g. ["example.com"]');
    return undefined;
  }
  const before = problems.length;
  if (names.length > MAX_NAMES) {
    problems.push(`names: has ${names.length} entries, more than the ${MAX_NAMES} a certificate may carry; split them over several certificates`);
  }
  const seen = new Map<string, number>();
  const out: string[] = [];
  names.forEach((name, i) => {
    if (typeof name !== 'string') {
      problems.push(`names[${i}]: is not a string; write the DNS name in quotes, e.g. "www.example.com"`);
      return;
    }
    const problem = nameProblem(name);
    if (problem) {
      problems.push(`names[${i}]: ${problem}`);
      return;
    }
    const normalized = normalizeName(name);
    const first = seen.get(normalized);
    if (first !== undefined) {
      // Spelling variants of one name (case, trailing dot, Unicode vs xn--) are one name: kept once.
      notes.push(variantNote(i, name, first, names[first] as string, normalized));
      return;
    }
    seen.set(normalized, i);
    out.push(normalized);
  });
  return problems.length === before ? out : undefined;
}

function checkZones(zones: unknown, names: string[] | undefined, problems: string[]): Record<string, string> | undefined {
  if (typeof zones !== 'object' || zones === null || Array.isArray(zones)) {
    problems.push('zones: is missing or not a map; give {} or a map of name to hosted zone id, e.g. { "example.com": "Z0123456789ABC" }');
    return undefined;
  }
  const before = problems.length;
  const out: Record<string, string> = {};
  for (const [key, id] of Object.entries(zones as Record<string, unknown>)) {
    const name = normalizeName(key);
    // Apex and wildcard live in the same zone, so either may key the entry for both (as the DNS solver reads it).
    const base = name.startsWith('*.') ? name.slice(2) : name;
    if (names && !names.some((n) => n === base || n === `*.${base}`)) {
      problems.push(`zones["${printable(key)}"]: is not one of the names; use a name from names as the key, or remove the entry`);
      continue;
    }
    const match = typeof id === 'string' ? HOSTED_ZONE_ID_PATTERN.exec(id) : null;
    if (!match) {
      problems.push(
        `zones["${printable(key)}"]: ${typeof id === 'string' ? `"${printable(id)}"` : 'the value'} is not a hosted zone id; copy the id from Route 53, e.g. "Z0123456789ABC"`,
      );
      continue;
    }
    out[name] = match[1];
  }
  return problems.length === before ? out : undefined;
}

function checkDirectoryUrl(url: unknown, problems: string[]): string | undefined {
  const fix = `use the CA's ACME directory URL, e.g. "https://acme-v02.api.letsencrypt.org/directory"`;
  if (typeof url !== 'string' || url.trim() === '') {
    problems.push(`directoryUrl: is missing; ${fix}`);
    return undefined;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    problems.push(`directoryUrl: "${printable(url)}" is not a URL; ${fix}`);
    return undefined;
  }
  if (parsed.username || parsed.password) {
    problems.push('directoryUrl: contains a user name or password; remove them (EAB credentials belong in eabSecretId)');
    return undefined;
  }
  if (parsed.protocol === 'https:') return url;
  if (parsed.protocol === 'http:' && LOOPBACK_HOSTS.has(parsed.hostname)) return url; // local test CAs only
  problems.push(`directoryUrl: "${printable(url)}" must use https (http is allowed only for 127.0.0.1 or localhost); ${fix}`);
  return undefined;
}

function checkEabSecretId(value: unknown, problems: string[]): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    problems.push('eabSecretId: is empty; give the name or ARN of the Secrets Manager secret holding { "keyId", "hmacKey" }, or leave the field out');
    return undefined;
  }
  if (/[\u0000-\u001f\u007f\s]/.test(value) || value.length > 2048) {
    problems.push(`eabSecretId: "${printable(value)}" is not a secret name or ARN; remove white space and control characters`);
    return undefined;
  }
  return value;
}

function checkKeyType(value: unknown, problems: string[]): KeyType | undefined {
  if ((KEY_TYPES as readonly unknown[]).includes(value)) return value as KeyType;
  const shown = typeof value === 'string' ? `"${printable(value)}"` : 'is missing or';
  problems.push(`keyType: ${shown} is not a supported key type; use one of ${KEY_TYPES.join(', ')} (ec256 is the default)`);
  return undefined;
}

function checkOwners(value: unknown, problems: string[]): string[] | undefined {
  if (!Array.isArray(value)) {
    problems.push('owners: is missing or not a list; give a list of mail addresses, or [] for the default recipients');
    return undefined;
  }
  const before = problems.length;
  value.forEach((owner, i) => {
    if (typeof owner !== 'string') {
      problems.push(`owners[${i}]: is not a string; write the mail address in quotes`);
    } else if (/[\r\n]/.test(owner)) {
      // A line break in a mail header field would let the value add headers of its own.
      problems.push(`owners[${i}]: "${printable(owner)}" contains a line break; give a single mail address without CR or LF`);
    } else if (owner.length > 254 || !MAIL_PATTERN.test(owner)) {
      problems.push(`owners[${i}]: "${printable(owner)}" is not a mail address; write it as name@example.com, without a display name`);
    }
  });
  return problems.length === before ? (value as string[]) : undefined;
}

function checkStatus(value: unknown, problems: string[]): CertificateStatus | undefined {
  if (value === 'active' || value === 'paused') return value;
  const shown = typeof value === 'string' ? `"${printable(value)}"` : 'is missing or';
  problems.push(`status: ${shown} is not a status; use "active" or "paused"`);
  return undefined;
}

/** `names[2]: "BÜCHER.example.test." is bücher.example.test (xn--bcher-kva.example.test) again, as names[0] "bücher.example.test"; kept once`. */
export function variantNote(index: number, raw: string, firstIndex: number, firstRaw: string, normalized: string): string {
  return `names[${index}]: "${printable(raw)}" is ${displayName(normalized)} again, as names[${firstIndex}] "${printable(firstRaw)}"; kept once`;
}

/** Whether `s` is a mail address certbeat can send to (no display name, no line breaks). */
export function isMailAddress(s: unknown): s is string {
  return typeof s === 'string' && s.length <= 254 && !/[\r\n]/.test(s) && MAIL_PATTERN.test(s);
}
