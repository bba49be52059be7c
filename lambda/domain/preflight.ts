/**
 * Pre-flight checks: what would make an order for a certificate fail, found before the order is
 * placed (the CLI's `doctor`, and every run). Pure domain logic over two ports: public DNS lookups
 * (`DnsLookup`) and the hosted zones' details (`DnsSolver.zoneDetails`).
 *
 * Every check yields findings, passing ones included, each failing one with a `fix` sentence.
 * A lookup that fails (timeout, SERVFAIL, a Route 53 hiccup) becomes a non-blocking finding named
 * `<check>-lookup` instead of an exception: the order may still work, and the CA has the last word.
 */
import { caaIdentitiesFor, identifyCa } from './ca-identity.js';
import { CertbeatError, TransientError } from './errors.js';
import type { CertificateRecord, KeyType } from './model.js';
import { baseName, challengeRecordName, isWildcard, normalizeName } from './names.js';
import type { Finding } from './notices.js';
import type { DnsLookup, DnsSolver } from './ports.js';
import { caaLookupChain, evaluateCaa, type RelevantCaaSet } from './preflight/caa.js';
import { zoneMatch } from './preflight/zone-match.js';
import { lookupFinding } from './preflight/lookup-finding.js';
import { DNSSEC_CHECK, checkDnssec } from './preflight/dnssec.js';
import { aliasFor } from './challenge-alias.js';
import { aliasZoneMatch, challengeCnameFinding } from './preflight/challenge-alias.js';

/** The `check` names findings carry. */
export const PREFLIGHT_CHECKS = {
  /** A hosted zone covers the name, and its challenge record lies within that zone's name (blocking). */
  zone: 'zone',
  /** The public NS records of the zone name point at the hosted zone's name servers (blocking). */
  delegation: 'delegation',
  /** CAA allows the CA (blocking). */
  caa: 'caa',
  /** CAA restricts issuance but the CA's CAA identity is unknown, so it cannot be told (warning). */
  caaUnverified: 'caa-unverified',
  /**
   * `_acme-challenge.<name>` is not a CNAME leading away from the zone we write to; with a configured
   * `challengeAliases` entry, it is a CNAME to exactly that alias (blocking).
   */
  challengeCname: 'acme-challenge-cname',
  /** The new key has the algorithm of the certificate in ACM (blocking). */
  keyType: 'key-type',
  /** The region suits where the certificate is used (warning: renewal itself works). */
  region: 'region',
} as const;

/** Checks whose failure makes an order fail or the import be refused. */
const BLOCKING_CHECKS: ReadonlySet<string> = new Set([
  PREFLIGHT_CHECKS.zone,
  PREFLIGHT_CHECKS.delegation,
  PREFLIGHT_CHECKS.caa,
  PREFLIGHT_CHECKS.challengeCname,
  PREFLIGHT_CHECKS.keyType,
  DNSSEC_CHECK,
]);

export interface PreflightInput {
  record: CertificateRecord;
  /** Name → hosted zone id, from `DnsSolver.locateZones`; a name absent here has no zone. */
  zoneIds: Record<string, string>;
  /** The AWS region the certificate lives in (ACM). */
  region: string;
  /** Key algorithm of the certificate currently in ACM (from `CertificateStore.describe`). */
  storedKeyType?: KeyType;
  /** ARNs of the resources using the current certificate. */
  inUseBy?: string[];
  /** CAA issuer domains of the CA, replacing the built-in table (private CAs, pebble in tests). */
  caaIdentities?: string[];
}

export interface PreflightDeps {
  dns: DnsLookup;
  zones: Pick<DnsSolver, 'zoneDetails'>;
}

/**
 * Runs every pre-flight check for one certificate, lookups concurrently (each distinct DNS query
 * once). Never throws for a failed lookup: it becomes a non-blocking `<check>-lookup` finding.
 * Findings come in a stable order: zone, delegation, CAA, challenge CNAME, key type, region, DNSSEC.
 */
export async function runPreflight(input: PreflightInput, deps: PreflightDeps): Promise<Finding[]> {
  const dns = memoize(deps.dns);
  const names = [...new Set(input.record.names.map(normalizeName))];
  // Each zone read once here; the solver also caches across the certificates of a run.
  const ids = [...new Set(names.map((n) => zoneIdFor(n, input.zoneIds)).filter((z): z is string => !!z))];
  const details = new Map(ids.map((id) => [id, settle(deps.zones.zoneDetails(id))] as const));
  const sections = await Promise.all([
    checkZones(names, input.zoneIds, details, input.record.challengeAliases),
    Promise.all(ids.map((id) => checkDelegation(id, details.get(id)!, dns))),
    Promise.all(names.map((n) => checkCaa(n, input, dns))),
    Promise.all([...new Set(names.map(challengeRecordName))].map((c) => checkChallengeCname(c, names, dns, input.record.challengeAliases))),
    Promise.resolve([checkKeyType(input)]),
    Promise.resolve([checkRegion(input)]),
    checkDnssec(names, dns),
  ]);
  return sections.flat();
}

/**
 * The findings that must stop an order: failing `zone`, `delegation`, `caa`, `acme-challenge-cname`,
 * `key-type` and `dnssec` checks. Not blocking: `region` (renewal works, the certificate is just in the wrong
 * place), `caa-unverified` (unknown CA) and `*-lookup` (a lookup failed; the CA may still succeed).
 */
export function blockingFindings(findings: Finding[]): Finding[] {
  return findings.filter((f) => !f.ok && BLOCKING_CHECKS.has(f.check));
}

function zoneIdFor(name: string, zoneIds: Record<string, string>): string | undefined {
  return zoneIds[name] ?? zoneIds[baseName(name)] ?? zoneIds[`${name}.`];
}

type ZoneDetails = Awaited<ReturnType<DnsSolver['zoneDetails']>>;

/** Per name: a zone covers it, and its challenge record lies within that zone's name. */
async function checkZones(
  names: string[],
  zoneIds: Record<string, string>,
  details: Map<string, Promise<Settled<ZoneDetails>>>,
  aliases?: Record<string, string>,
): Promise<Finding[]> {
  return Promise.all(
    names.map(async (name): Promise<Finding> => {
      const zoneId = zoneIdFor(name, zoneIds);
      const alias = aliasFor(name, aliases);
      if (!zoneId && alias) {
        return {
          check: PREFLIGHT_CHECKS.zone,
          ok: false,
          message: `no Route 53 hosted zone in this account covers ${alias}, the alias ${name}'s challenge is delegated to`,
          fix: `Create a public hosted zone that holds ${alias} in Route 53, or point challengeAliases for ${name} at a name in a zone certbeat manages.`,
        };
      }
      if (!zoneId) {
        return {
          check: PREFLIGHT_CHECKS.zone,
          ok: false,
          message: `no Route 53 hosted zone in this account covers ${name}`,
          fix: `Create a public hosted zone for ${baseName(name)} (or its parent domain) in Route 53, or set the zone id for this name explicitly.`,
        };
      }
      const zone = await details.get(zoneId)!;
      // An unreadable zone is reported once, for the zone, by checkDelegation.
      if (!zone.ok) return { check: PREFLIGHT_CHECKS.zone, ok: true, message: `${name} is in the hosted zone ${zoneId}` };
      if (alias) return { check: PREFLIGHT_CHECKS.zone, ...aliasZoneMatch(name, alias, zoneId, zone.value.name) };
      return { check: PREFLIGHT_CHECKS.zone, ...zoneMatch(name, zoneId, zone.value.name) };
    }),
  );
}

async function checkDelegation(zoneId: string, read: Promise<Settled<ZoneDetails>>, dns: DnsLookup): Promise<Finding> {
  const zone = await read;
  if (!zone.ok) {
    const e = zone.error;
    if (e instanceof CertbeatError && !(e instanceof TransientError)) {
      return { check: PREFLIGHT_CHECKS.zone, ok: false, message: `hosted zone ${zoneId}: ${e.message}`, fix: e.remediation };
    }
    return lookupFinding(PREFLIGHT_CHECKS.delegation, `reading the name servers of hosted zone ${zoneId}`, e);
  }
  const details = zone.value;
  const zoneName = normalizeName(details.name);
  const expected = details.nameServers.map(normalizeName);
  let published: string[];
  try {
    published = (await dns.ns(zoneName)).map(normalizeName);
  } catch (e) {
    return lookupFinding(PREFLIGHT_CHECKS.delegation, `looking up the NS records of ${zoneName}`, e);
  }
  const expectedList = expected.join(', ');
  if (published.length === 0) {
    return {
      check: PREFLIGHT_CHECKS.delegation,
      ok: false,
      message: `the public DNS has no NS records for ${zoneName}, so the CA cannot reach the Route 53 zone ${zoneId}`,
      fix: `Set the name servers of ${zoneName} at the registrar (or the NS records in the parent zone, for a sub-zone) to ${expectedList}.`,
    };
  }
  // Publishing a subset of the zone's servers works; any other server answers for a different zone.
  const foreign = published.filter((ns) => !expected.includes(ns));
  if (foreign.length === 0) {
    return {
      check: PREFLIGHT_CHECKS.delegation,
      ok: true,
      message: `${zoneName} is delegated to the Route 53 zone ${zoneId} (${published.join(', ')})`,
    };
  }
  return {
    check: PREFLIGHT_CHECKS.delegation,
    ok: false,
    message: `the domain's registrar points ${zoneName} at ${published.join(', ')}, but the Route 53 zone ${zoneId} is served by ${expectedList}`,
    fix: `Update the name servers of ${zoneName} at the registrar (or the NS records in the parent zone, for a sub-zone) to ${expectedList}.`,
  };
}

async function relevantCaaSet(name: string, dns: DnsLookup): Promise<RelevantCaaSet | { failedAt: string; error: unknown } | undefined> {
  const chain = caaLookupChain(name);
  // All levels at once; the answer is the first non-empty set, unless a lookup before it failed.
  const results = await Promise.all(chain.map((n) => settle(dns.caa(n))));
  for (let i = 0; i < chain.length; i++) {
    const r = results[i];
    if (!r.ok) return { failedAt: chain[i], error: r.error };
    if (r.value.length > 0) return { owner: chain[i], records: r.value };
  }
  return undefined;
}

async function checkCaa(name: string, input: PreflightInput, dns: DnsLookup): Promise<Finding> {
  const base = baseName(name);
  const wildcard = isWildcard(name);
  const set = await relevantCaaSet(base, dns);
  if (set && 'failedAt' in set) return lookupFinding(PREFLIGHT_CHECKS.caa, `looking up the CAA records of ${set.failedAt}`, set.error);
  if (!set) return { check: PREFLIGHT_CHECKS.caa, ok: true, message: `no CAA records restrict ${name}: any CA may issue` };

  const identities = caaIdentitiesFor(input.record.directoryUrl, input.caaIdentities);
  const caName = identifyCa(input.record.directoryUrl)?.name ?? `the CA at ${input.record.directoryUrl}`;
  const where = set.owner === base ? `at ${set.owner}` : `at ${set.owner} (inherited by ${name})`;
  const verdict = evaluateCaa(set.records, { wildcard, identities });
  const primary = identities[0];

  switch (verdict.kind) {
    case 'allowed':
      return {
        check: PREFLIGHT_CHECKS.caa,
        ok: true,
        message: verdict.issuer
          ? `CAA ${where} allows ${verdict.issuer} (${verdict.tag}) to issue for ${name}`
          : `CAA ${where} has no ${wildcard ? 'issue or issuewild' : 'issue'} property: any CA may issue for ${name}`,
      };
    case 'unknown-ca':
      return {
        check: PREFLIGHT_CHECKS.caaUnverified,
        ok: false,
        message: `CAA ${where} lets only ${listText(verdict.listed)} issue ${kindOf(verdict.tag)}certificates for ${name} (${verdict.tag}), and certbeat does not know which CAA domain ${caName} uses`,
        fix: `Make sure the CAA records at ${set.owner} name the CA's issuer domain, and set that domain as the certificate's CAA identity so this check can verify it.`,
      };
    case 'forbidden':
      if (verdict.reason === 'critical-tag') {
        return {
          check: PREFLIGHT_CHECKS.caa,
          ok: false,
          message: `CAA ${where} has a record with the unknown tag "${verdict.criticalTag}" marked critical, so no CA may issue for ${name}`,
          fix: `Remove the critical flag (128) from the "${verdict.criticalTag}" CAA record at ${set.owner}, or remove that record.`,
        };
      }
      if (verdict.reason === 'validation-method') {
        return {
          check: PREFLIGHT_CHECKS.caa,
          ok: false,
          message: `CAA ${where} allows ${verdict.issuer} only with validation methods ${verdict.methods.join(', ')}, but certbeat validates with dns-01`,
          fix: `Add dns-01 to the validationmethods parameter of the ${verdict.tag} "${verdict.issuer}" CAA record at ${set.owner}, or remove the parameter.`,
        };
      }
      return {
        check: PREFLIGHT_CHECKS.caa,
        ok: false,
        message:
          verdict.listed.length === 0
            ? `CAA ${where} lets no CA issue ${kindOf(verdict.tag)}certificates for ${name} (${verdict.tag} ";"), so ${caName} may not either`
            : `CAA ${where} lets only ${verdict.listed.join(', ')} issue ${kindOf(verdict.tag)}certificates for ${name} (${verdict.tag}), not ${caName} (${primary})`,
        fix: `Add \`0 ${verdict.tag} "${primary}"\` at ${set.owner} or remove the CAA record.`,
      };
  }
}

async function checkChallengeCname(challengeName: string, names: string[], dns: DnsLookup, aliases?: Record<string, string>): Promise<Finding> {
  const r = await settle(dns.cname(challengeName));
  if (!r.ok) return lookupFinding(PREFLIGHT_CHECKS.challengeCname, `looking up a CNAME at ${challengeName}`, r.error);
  const targets = r.value.map(normalizeName);
  const mine = names.filter((n) => challengeRecordName(n) === challengeName);
  // Without a configured alias a CNAME leads away from what certbeat writes; with one it must lead there.
  return challengeCnameFinding(challengeName, mine.join(', '), targets, aliasFor(mine[0] ?? challengeName, aliases));
}

function checkKeyType(input: PreflightInput): Finding {
  const wanted = input.record.keyType;
  const stored = input.storedKeyType;
  if (stored === undefined) {
    return { check: PREFLIGHT_CHECKS.keyType, ok: true, message: `no certificate in ACM yet: the first one gets key type ${wanted}` };
  }
  if (stored === wanted) {
    return { check: PREFLIGHT_CHECKS.keyType, ok: true, message: `the new key is ${wanted}, like the certificate in ACM` };
  }
  return {
    check: PREFLIGHT_CHECKS.keyType,
    ok: false,
    message: `the certificate in ACM has key type ${stored} but ${input.record.id} asks for ${wanted}; ACM refuses to re-import a certificate with a different key algorithm`,
    fix: `Set the key type of ${input.record.id} back to ${stored}; to change the algorithm, issue a new certificate (new ARN) and move its users over.`,
  };
}

const CLOUDFRONT_ARN = /^arn:aws[a-z-]*:cloudfront::/;

function checkRegion(input: PreflightInput): Finding {
  const distributions = (input.inUseBy ?? []).filter((arn) => CLOUDFRONT_ARN.test(arn));
  if (distributions.length === 0) {
    return { check: PREFLIGHT_CHECKS.region, ok: true, message: `no CloudFront distribution uses the certificate: ${input.region} is fine` };
  }
  if (input.region === 'us-east-1') {
    return { check: PREFLIGHT_CHECKS.region, ok: true, message: `CloudFront uses the certificate and it is in us-east-1, as CloudFront requires` };
  }
  return {
    check: PREFLIGHT_CHECKS.region,
    ok: false,
    message: `${distributions.join(', ')} use${distributions.length === 1 ? 's' : ''} the certificate, but it is in ${input.region} and CloudFront only serves certificates from us-east-1`,
    fix: `Manage this certificate with a certbeat deployment in us-east-1 and point the distribution at that certificate.`,
  };
}

function kindOf(tag: 'issue' | 'issuewild'): string {
  return tag === 'issuewild' ? 'wildcard ' : '';
}

function listText(items: string[]): string {
  return items.length === 0 ? 'no CA' : items.join(', ');
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

function settle<T>(p: Promise<T>): Promise<Settled<T>> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/**
 * Answers shared by the certificates of a run: a query asked again within `ttlMs` gets the answer (or
 * the lookup still in flight) of the first. The certificates of a zone share its parent names' CAA and
 * its DNSSEC chain. Failures are not kept, and an answer is at most `ttlMs` old, so a fix made between
 * runs is seen by the next one.
 */
export function sharedLookups(dns: DnsLookup, ttlMs: number, now: () => number): DnsLookup {
  const cache = new Map<string, { at: number; answer: Promise<unknown> }>();
  const shared = <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const t = now();
    const hit = cache.get(key);
    if (hit && t - hit.at < ttlMs) return hit.answer as Promise<T>;
    if (cache.size > 10_000) cache.clear();
    const answer = fn();
    cache.set(key, { at: t, answer });
    answer.catch(() => {
      if (cache.get(key)?.answer === answer) cache.delete(key);
    });
    return answer;
  };
  return {
    ns: (n) => shared(`NS ${n}`, () => dns.ns(n)),
    caa: (n) => shared(`CAA ${n}`, () => dns.caa(n)),
    cname: (n) => shared(`CNAME ${n}`, () => dns.cname(n)),
    ds: (n) => shared(`DS ${n}`, () => dns.ds(n)),
    dnskey: (n) => shared(`DNSKEY ${n}`, () => dns.dnskey(n)),
  };
}

/** Each distinct query once per certificate, however many names share it. */
function memoize(dns: DnsLookup): DnsLookup {
  return sharedLookups(dns, Number.POSITIVE_INFINITY, () => 0);
}
