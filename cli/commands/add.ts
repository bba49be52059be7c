/**
 * `certbeat add <id> --name N...`: registers a certificate. Everything is checked before anything is
 * written: the configuration rules every reader applies (record-validation.ts) and, unless
 * `--no-zone-check`, that a Route 53 hosted zone covers every name. A refused add changes nothing.
 */
import { DnsZoneNotFoundError, TransientError } from '../../lambda/domain/errors.js';
import { LETS_ENCRYPT_PRODUCTION, LETS_ENCRYPT_STAGING, type CertificateRecord } from '../../lambda/domain/model.js';
import { isWithinZone } from '../../lambda/domain/names.js';
import type { Clock, DnsSolver, Inventory } from '../../lambda/domain/ports.js';
import { validateCertificateConfig } from '../../lambda/domain/record-validation.js';
import type { CliContext } from '../context.js';
import { EXIT, UsageError, type ExitCode } from '../exit-codes.js';
import { namesText } from '../format.js';

/** `--ca` shorthands. */
export const CA_ALIASES: Record<string, string> = {
  letsencrypt: LETS_ENCRYPT_PRODUCTION,
  'letsencrypt-staging': LETS_ENCRYPT_STAGING,
};

export interface AddInput {
  id: string;
  names: string[];
  /** `name=ZONEID` pairs as given on the command line. */
  zones?: string[];
  /** A `CA_ALIASES` key or an ACME directory URL; default Let's Encrypt. */
  ca?: string;
  eabSecret?: string;
  keyType?: string;
  owners?: string[];
  /** ACME profile to order (draft-ietf-acme-profiles) and what to order when the CA refuses it. */
  profile?: string;
  profileFallback?: string;
  /** Check that a hosted zone covers every name (default true). */
  zoneCheck?: boolean;
  /** Replace the configuration of an existing certificate (its runtime state is kept). */
  replace?: boolean;
}

export interface AddDeps {
  inventory: Inventory;
  dns: DnsSolver;
  clock: Clock;
}

/** `name=ZONEID` → map; a malformed pair is a `UsageError` naming it. */
export function parseZoneOptions(pairs: string[] = []): Record<string, string> {
  const zones: Record<string, string> = {};
  for (const pair of pairs) {
    const i = pair.indexOf('=');
    if (i <= 0 || i === pair.length - 1) {
      throw new UsageError(`--zone "${pair}" is not NAME=ZONEID`, {
        remediation: 'Write it as --zone example.com=Z0123456789ABC (the id Route 53 shows for the hosted zone).',
      });
    }
    zones[pair.slice(0, i).trim()] = pair.slice(i + 1).trim();
  }
  return zones;
}

/** The ACME directory URL for `--ca`. */
export function directoryUrlFor(ca: string | undefined): string {
  if (!ca) return LETS_ENCRYPT_PRODUCTION;
  return CA_ALIASES[ca.toLowerCase()] ?? ca;
}

/**
 * Validates `input`, checks the zones (unless `zoneCheck: false`) and creates the certificate, due at
 * once. Throws `UsageError` (exit 2) with every problem, each naming the field and the fix; nothing is
 * written then. Returns the record as stored.
 */
export async function addCertificate(deps: AddDeps, input: AddInput): Promise<CertificateRecord> {
  const checked = validateCertificateConfig(
    {
      id: input.id,
      names: input.names ?? [],
      zones: parseZoneOptions(input.zones),
      directoryUrl: directoryUrlFor(input.ca),
      ...(input.eabSecret !== undefined ? { eabSecretId: input.eabSecret } : {}),
      ...(input.keyType !== undefined ? { keyType: input.keyType } : {}),
      ...(input.owners !== undefined ? { owners: input.owners } : {}),
      ...(input.profile !== undefined ? { profile: input.profile } : {}),
      ...(input.profileFallback !== undefined ? { profileFallback: input.profileFallback } : {}),
    },
    { applyDefaults: true },
  );
  if (!checked.ok) {
    throw new UsageError(`certificate '${input.id}' not added:\n  ${checked.problems.map(asOption).join('\n  ')}`, {
      problems: checked.problems,
      remediation: 'Correct the values listed and run the command again; nothing was changed.',
    });
  }
  const config = checked.value;

  const existing = await deps.inventory.get(config.id);
  if (existing && !input.replace) {
    throw new UsageError(`certificate '${config.id}' exists already (${namesText(existing.names)}); nothing was changed`, {
      remediation: `Pick another id, or pass --replace to change the configuration of '${config.id}' (its certificate and history are kept).`,
    });
  }
  if (input.zoneCheck !== false) await checkZones(deps.dns, config.names, config.zones);

  const record: CertificateRecord = { ...config, failureCount: 0, nextCheckAt: deps.clock.now().toISOString() };
  await deps.inventory.put(record);
  return (await deps.inventory.get(config.id)) ?? record;
}

/** Every name lies in a hosted zone: explicit ids must exist and contain their name. */
async function checkZones(dns: DnsSolver, names: string[], zones: Record<string, string>): Promise<void> {
  for (const [name, zoneId] of Object.entries(zones)) {
    let zoneName: string;
    try {
      zoneName = (await dns.zoneDetails(zoneId)).name;
    } catch (e) {
      if (e instanceof TransientError) throw e;
      throw new UsageError(`--zone ${name}=${zoneId}: no such hosted zone (${(e as Error).message})`, {
        cause: e,
        remediation: 'Copy the hosted zone id from Route 53 (`aws route53 list-hosted-zones`), or leave --zone out to find the zone by name.',
      });
    }
    if (!isWithinZone(name, zoneName)) {
      throw new UsageError(`--zone ${name}=${zoneId}: the hosted zone ${zoneId} is ${zoneName}, which does not contain ${name}`, {
        remediation: `Give the id of a hosted zone for ${name} or one of its parent domains.`,
      });
    }
  }
  try {
    await dns.locateZones(names, zones);
  } catch (e) {
    if (!(e instanceof DnsZoneNotFoundError)) throw e;
    throw new UsageError(`names: no Route 53 hosted zone in this account covers ${e.dnsName}; nothing was changed`, {
      cause: e,
      remediation:
        `Create a public hosted zone for ${e.dnsName} (or a parent domain), give its id with --zone NAME=ZONEID, ` +
        'or pass --no-zone-check if the zone is created later.',
    });
  }
}

/** `names[1]: …` → `--name #2: …`, so the message names what the operator typed. */
function asOption(problem: string): string {
  return problem
    .replace(/^names\[(\d+)\]/, (_m, i: string) => `--name #${Number(i) + 1} (names[${i}])`)
    .replace(/^owners\[(\d+)\]/, (_m, i: string) => `--owner #${Number(i) + 1} (owners[${i}])`)
    .replace(/^directoryUrl:/, '--ca (directoryUrl):')
    .replace(/^keyType:/, '--key-type (keyType):')
    .replace(/^eabSecretId:/, '--eab-secret (eabSecretId):')
    .replace(/^profile:/, '--profile (profile):')
    .replace(/^profileFallback:/, '--profile-fallback (profileFallback):')
    .replace(/^zones\[/, '--zone [');
}

export async function addCommand(ctx: CliContext, input: AddInput): Promise<ExitCode> {
  const { inventory, dns } = await ctx.adapters();
  const record = await addCertificate({ inventory, dns, clock: ctx.clock }, input);
  const { out } = ctx;
  out.line(`${input.replace ? 'updated' : 'added'} ${out.paint('bold', record.id)}: ${record.names.join(', ')}`);
  out.line(`  CA ${record.directoryUrl}, key ${record.keyType}${record.profile ? `, profile ${record.profile}${record.profileFallback ? ` (else ${record.profileFallback})` : ''}` : ''}${record.owners.length ? `, mails to ${record.owners.join(', ')}` : ''}`);
  out.line(`  first issuance on the next scheduled run, or now with: certbeat renew ${record.id}`);
  return EXIT.ok;
}
