/**
 * CNAME-delegated dns-01 challenges (the acme.sh `--domain-alias` / cert-manager CNAME-follow pattern).
 *
 * A name whose DNS is hosted outside Route 53 (or outside this account) publishes, once, at its own DNS
 * provider: `_acme-challenge.<name> CNAME <target>`, where `<target>` lies in a Route 53 hosted zone
 * certbeat may write. The certificate's configuration says so with
 * `challengeAliases: { "<name>": "<target>" }`: certbeat then writes the TXT values at `<target>` in
 * the target's zone, the CA follows the CNAME to find them, pre-flight checks that the CNAME is really
 * there and points at `<target>`, and IAM is scoped to `<target>` instead of `_acme-challenge.<name>`.
 *
 * The alias is configured, not discovered at run time, because the Lambda's IAM permissions are fixed at
 * deploy time: a CNAME someone adds later must not widen what certbeat may write.
 * Apex and wildcard share one alias (they share `_acme-challenge.<name>`); either may key it.
 * Pure: no I/O.
 */
import { baseName, challengeRecordName, normalizeName, printable } from './names.js';

/** A DNS name whose labels may start with `_` (e.g. `_acme-challenge.shop.acme.example.net`). */
const TARGET_LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

/** The alias target (TXT record name) of a certificate name, or `undefined` when it has none. */
export function aliasFor(name: string, aliases: Readonly<Record<string, string>> | undefined): string | undefined {
  if (!aliases) return undefined;
  const n = normalizeName(name);
  const base = baseName(n);
  const target = aliases[n] ?? aliases[base] ?? aliases[`*.${base}`];
  return target === undefined ? undefined : normalizeName(target);
}

/** Where the dns-01 TXT values of `name` are written: its alias target, else `_acme-challenge.<name>`. */
export function challengeTarget(name: string, aliases: Readonly<Record<string, string>> | undefined): string {
  return aliasFor(name, aliases) ?? challengeRecordName(name);
}

/**
 * The names to hand to `DnsSolver.locateZones` for a certificate, and how to read its answer back:
 * an aliased name is looked up by its target (the zone that matters is the target's), with the
 * explicit zone id configured for the name carried over to the target.
 */
export function zoneLookup(
  names: readonly string[],
  zones: Readonly<Record<string, string>>,
  aliases: Readonly<Record<string, string>> | undefined,
): { names: string[]; explicit: Record<string, string>; back: (located: Record<string, string>) => Record<string, string> } {
  const lookupName = new Map<string, string>();
  const explicit: Record<string, string> = { ...zones };
  for (const name of names) {
    const target = aliasFor(name, aliases);
    if (!target) {
      lookupName.set(name, name);
      continue;
    }
    lookupName.set(name, target);
    const n = normalizeName(name);
    const b = baseName(n);
    const id = zones[name] ?? zones[n] ?? zones[b] ?? zones[`*.${b}`];
    if (id) explicit[target] = id;
  }
  return {
    names: [...new Set(lookupName.values())],
    explicit,
    back: (located) => Object.fromEntries(names.map((n) => [n, located[lookupName.get(n)!]]).filter(([, z]) => z !== undefined)),
  };
}

/**
 * Checks a certificate's `challengeAliases` (configuration field). Keys must be names of the certificate
 * (apex or wildcard twin), values DNS names (labels may start with `_`), not wildcards, not the name's
 * own `_acme-challenge` record. Returns the normalized map, or pushes problems (field first, fix last).
 */
export function checkChallengeAliases(
  aliases: unknown,
  names: string[] | undefined,
  problems: string[],
): Record<string, string> | undefined {
  if (aliases === undefined) return undefined;
  if (typeof aliases !== 'object' || aliases === null || Array.isArray(aliases)) {
    problems.push(
      'challengeAliases: is not a map; give a map of name to the CNAME target of its _acme-challenge record, e.g. { "shop.example.com": "shop.acme.example.net" }, or remove the field',
    );
    return undefined;
  }
  const before = problems.length;
  const out: Record<string, string> = {};
  const seenBase = new Map<string, string>();
  for (const [key, value] of Object.entries(aliases as Record<string, unknown>)) {
    const field = `challengeAliases["${printable(key)}"]`;
    const name = normalizeName(key);
    const base = baseName(name);
    if (names && !names.some((n) => n === base || n === `*.${base}`)) {
      problems.push(`${field}: is not one of the names; use a name from names as the key, or remove the entry`);
      continue;
    }
    const other = seenBase.get(base);
    if (other !== undefined) {
      problems.push(`${field}: ${other} already sets the alias of ${base} (apex and wildcard share _acme-challenge.${base}); keep one entry`);
      continue;
    }
    const problem = targetProblem(value, base);
    if (problem) {
      problems.push(`${field}: ${problem}`);
      continue;
    }
    seenBase.set(base, key);
    out[base] = normalizeName(value as string);
  }
  return problems.length === before ? out : undefined;
}

function targetProblem(value: unknown, base: string): string | undefined {
  const example = `e.g. "${base.split('.')[0] || 'www'}.acme.example.net"`;
  if (typeof value !== 'string' || value.trim() === '') {
    return `is not a DNS name; give the target of the CNAME at _acme-challenge.${base}, ${example}`;
  }
  const target = normalizeName(value);
  if (/[\s]/.test(value.trim())) return `"${printable(value)}" contains white space; remove it`;
  if (target.includes('*')) return `"${printable(value)}" is a wildcard; give the exact name the CNAME points to, ${example}`;
  if (target.length > 253) return `"${printable(value)}" is longer than 253 characters`;
  const labels = target.split('.');
  if (labels.length < 2 || labels.some((l) => !TARGET_LABEL.test(l))) {
    return `"${printable(value)}" is not a valid DNS name; use letters, digits, "-" and "_", at least two labels, ${example}`;
  }
  if (target === challengeRecordName(base)) {
    return `"${printable(value)}" is the name's own challenge record, not an alias; remove the entry to write the TXT values there`;
  }
  return undefined;
}
