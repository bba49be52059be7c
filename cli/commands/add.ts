/**
 * `certbeat add <id> --name N...`: registers a certificate. Everything is checked before anything is
 * written: the configuration rules every reader applies (record-validation.ts) and, unless
 * `--no-zone-check`, that a Route 53 hosted zone covers every name. A refused add changes nothing.
 */
import { DnsZoneNotFoundError, TransientError } from '../../lambda/domain/errors.js';
import { LETS_ENCRYPT_PRODUCTION, LETS_ENCRYPT_STAGING, type CertificateRecord } from '../../lambda/domain/model.js';
import { displayName } from '../../lambda/domain/idn.js';
import { isWithinZone, normalizeName } from '../../lambda/domain/names.js';
import { aliasFor, zoneLookup } from '../../lambda/domain/challenge-alias.js';
import type { CertificateStore, Clock, DnsSolver, Inventory } from '../../lambda/domain/ports.js';
import { adoptArn, checkAdoption, checkArnOption } from './adopt-option.js';
import { validateCertificateConfig } from '../../lambda/domain/record-validation.js';
import type { CliContext } from '../context.js';
import { EXIT, UsageError, type ExitCode } from '../exit-codes.js';
import { namesText, terminalSafe } from '../format.js';

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
  /** `name=target` pairs (`--challenge-alias`): the name's `_acme-challenge` is a CNAME to target. */
  challengeAliases?: string[];
  /** ACM regions to import into, primary first (`--region`); absent: the deployment's own. */
  regions?: string[];
  /** A `CA_ALIASES` key or an ACME directory URL; default `defaultCa`, else Let's Encrypt. */
  ca?: string;
  /** CERTBEAT_DEFAULT_CA: the CA when `ca` is absent (the testbed sets it to its pebble). */
  defaultCa?: string;
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
  /** Adopt this certificate already in ACM (see adopt-option.ts); absent `keyType` then takes its key type. */
  arn?: string;
}

export interface AddDeps {
  inventory: Inventory;
  dns: DnsSolver;
  clock: Clock;
  /** Needed with `arn`: ACM, to check and tag the adopted certificate. */
  store?: CertificateStore;
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

/**
 * `name=target` pairs → the `challengeAliases` map the config file has; a malformed or repeated pair
 * is a `UsageError` naming it. The values themselves are checked by record-validation.ts.
 */
export function parseChallengeAliasOptions(pairs: string[] | undefined): Record<string, string> | undefined {
  if (pairs === undefined) return undefined;
  const aliases: Record<string, string> = {};
  for (const pair of pairs) {
    const i = pair.indexOf('=');
    if (i <= 0 || i === pair.length - 1) {
      throw new UsageError(`--challenge-alias "${terminalSafe(pair)}" is not NAME=TARGET; nothing was changed`, {
        remediation: 'Write it as --challenge-alias shop.example.com=shop.acme.example.net (the target of the CNAME at _acme-challenge.shop.example.com).',
      });
    }
    const name = pair.slice(0, i).trim();
    // A map keeps one value per name: a second one would silently win.
    if (name in aliases) {
      throw new UsageError(`--challenge-alias: ${terminalSafe(name)} is given twice; nothing was changed`, {
        remediation: `Keep one --challenge-alias for ${terminalSafe(name)}: the target of its one _acme-challenge CNAME.`,
      });
    }
    aliases[name] = pair.slice(i + 1).trim();
  }
  return aliases;
}

/** Variable naming the CA `certbeat add` uses without `--ca` (an alias or a directory URL). */
export const DEFAULT_CA_ENV = 'CERTBEAT_DEFAULT_CA';

/** The ACME directory URL for `--ca`. */
export function directoryUrlFor(ca: string | undefined): string {
  if (!ca) return LETS_ENCRYPT_PRODUCTION;
  return CA_ALIASES[ca.toLowerCase()] ?? ca;
}

/**
 * The deployment config accepts only https CAs (cdk/config.ts); the inventory's own rule lets
 * http://localhost through for tests. The CLI follows the config, so what `add` accepts deploys too.
 */
function refuseHttp(url: string, field: string): void {
  if (!/^http:/i.test(url)) return;
  throw new UsageError(`${field} (directoryUrl): "${url}" is not https; nothing was changed`, {
    remediation: 'Give the CA\'s https ACME directory URL, e.g. https://acme-v02.api.letsencrypt.org/directory, or letsencrypt / letsencrypt-staging.',
  });
}

/**
 * Validates `input`, checks the zones (unless `zoneCheck: false`) and creates the certificate, due at
 * once. Throws `UsageError` (exit 2) with every problem, each naming the field and the fix; nothing is
 * written then. Returns the record as stored.
 */
export async function addCertificate(deps: AddDeps, input: AddInput, notes: string[] = []): Promise<CertificateRecord> {
  if (input.arn !== undefined) checkArnOption(input.arn);
  const directoryUrl = directoryUrlFor(input.ca ?? input.defaultCa);
  refuseHttp(directoryUrl, input.ca !== undefined ? '--ca' : DEFAULT_CA_ENV);
  const checked = validateCertificateConfig(
    {
      id: input.id,
      names: input.names ?? [],
      zones: parseZoneOptions(input.zones),
      ...(input.challengeAliases !== undefined ? { challengeAliases: parseChallengeAliasOptions(input.challengeAliases) } : {}),
      ...(input.regions !== undefined ? { regions: input.regions.map((r) => r.trim()) } : {}),
      directoryUrl,
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
  // Spelling variants of one name were collapsed: tell the operator what was kept.
  notes.push(...(checked.notes ?? []).map(asOption));

  const existing = await deps.inventory.get(config.id);
  if (existing && !input.replace) {
    throw new UsageError(`certificate '${config.id}' exists already (${namesText(existing.names)}); nothing was changed`, {
      remediation: `Pick another id, or pass --replace to change the configuration of '${config.id}' (its certificate and history are kept).`,
    });
  }
  if (!existing) await refuseCaseTwin(deps.inventory, config.id);
  if (input.zoneCheck !== false) await checkZones(deps.dns, config.names, config.zones, config.challengeAliases);
  // Adoption: everything about the ACM certificate is checked before anything is written.
  if (input.arn !== undefined) await checkAdoption(deps, config, input.arn, input.keyType === undefined, existing);

  // --replace changes the configuration, not the state an operator chose: a paused one stays paused.
  const status = existing ? existing.status : config.status;
  const record: CertificateRecord = { ...config, status, failureCount: 0, nextCheckAt: deps.clock.now().toISOString() };
  await deps.inventory.put(record);
  if (input.arn !== undefined) await adoptArn(deps, record, input.arn.trim());
  return (await deps.inventory.get(config.id)) ?? record;
}

/**
 * `Web` beside `web` reads as one certificate in lists, mails and ACM tags, yet DynamoDB keeps two:
 * refused, so an id typed in another case cannot register a second certificate by accident.
 */
async function refuseCaseTwin(inventory: Inventory, id: string): Promise<void> {
  const all = await inventory.listAll();
  const twin = [...all.records.map((r) => r.id), ...all.invalid.map((i) => i.id)].find((other) => other !== id && other.toLowerCase() === id.toLowerCase());
  if (twin) {
    throw new UsageError(`id: '${id}' differs from the existing certificate '${twin}' only in case; nothing was changed`, {
      remediation: `Use '${twin}' (with --replace to change it), or pick an id that differs in more than case.`,
    });
  }
}

/**
 * Every name lies in a hosted zone: explicit ids must exist and contain their name. A CNAME-delegated
 * name needs a zone for its alias target instead (the name's own DNS may be elsewhere), as in a run.
 */
async function checkZones(dns: DnsSolver, names: string[], zones: Record<string, string>, aliases?: Record<string, string>): Promise<void> {
  for (const [name, zoneId] of Object.entries(zones)) {
    const target = aliasFor(name, aliases);
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
    const written = target ?? name;
    if (!isWithinZone(written, zoneName)) {
      throw new UsageError(`--zone ${name}=${zoneId}: the hosted zone ${zoneId} is ${zoneName}, which does not contain ${written}${target ? ` (the --challenge-alias target of ${name})` : ''}`, {
        remediation: `Give the id of a hosted zone for ${written} or one of its parent domains.`,
      });
    }
  }
  try {
    const lookup = zoneLookup(names, zones, aliases);
    await dns.locateZones(lookup.names, lookup.explicit);
  } catch (e) {
    if (!(e instanceof DnsZoneNotFoundError)) throw e;
    const aliased = Object.entries(aliases ?? {}).find(([, t]) => normalizeName(t) === normalizeName(e.dnsName));
    if (aliased) {
      throw new UsageError(`--challenge-alias ${aliased[0]}=${aliased[1]}: no Route 53 hosted zone in this account covers ${e.dnsName}; nothing was changed`, {
        cause: e,
        remediation:
          `Point the alias at a name inside a public hosted zone of this account, create one for ${e.dnsName} (or a parent domain), ` +
          'or pass --no-zone-check if the zone is created later.',
      });
    }
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
    .replace(/^zones\[/, '--zone [')
    .replace(/^challengeAliases\["([^"]*)"\]/, (m, name: string) => `--challenge-alias ${name} (${m})`)
    .replace(/^challengeAliases:/, '--challenge-alias (challengeAliases):')
    .replace(/^regions\[(\d+)\]/, (_m, i: string) => `--region #${Number(i) + 1} (regions[${i}])`)
    .replace(/^regions:/, '--region (regions):');
}

export async function addCommand(ctx: CliContext, input: AddInput): Promise<ExitCode> {
  const { inventory, dns, store } = await ctx.adapters();
  const { config } = await ctx.getTarget();
  const defaultCa = ctx.io.env[DEFAULT_CA_ENV] || undefined;
  const notes: string[] = [];
  const record = await addCertificate({ inventory, dns, clock: ctx.clock, store }, { ...input, defaultCa }, notes);
  const { out } = ctx;
  for (const note of notes) out.note(`note: ${terminalSafe(note)}`, 'yellow');
  out.line(`${input.replace ? 'updated' : 'added'} ${out.paint('bold', terminalSafe(record.id))}: ${terminalSafe(record.names.map(displayName).join(', '))}`);
  out.line(`  CA ${record.directoryUrl}, key ${record.keyType}${record.profile ? `, profile ${record.profile}${record.profileFallback ? ` (else ${record.profileFallback})` : ''}` : ''}${record.owners.length ? `, mails to ${record.owners.join(', ')}` : ''}`);
  if (record.challengeAliases) {
    out.line(`  challenges answered at: ${terminalSafe(Object.entries(record.challengeAliases).map(([n, t]) => `_acme-challenge.${n} → ${t}`).join(', '))}`);
  }
  if (record.regions) out.line(`  imported into ${record.regions.join(', ')} (ACM, an ARN per region)`);
  if (record.status === 'paused') out.line(`  still paused: certbeat resume ${record.id} to renew it again`);
  else if (record.acmArn) {
    out.line(`  adopted ${record.acmArn} (tagged certbeat:id=${record.id}): renewals re-import under this ARN`);
    out.line(`  first renewal on the next scheduled run, or now with: certbeat renew ${record.id}`);
  } else out.line(`  first issuance on the next scheduled run, or now with: certbeat renew ${record.id}`);
  if (record.owners.length === 0 && config.defaultRecipients.length === 0) {
    out.note(
      `warning: ${record.id} has no owner and the deployment has no default recipients, so no mail is sent about it. ` +
        `Fix: certbeat add ${record.id} --replace --owner you@example.com …, or set defaultRecipients in certbeat.config.json.`,
      'yellow',
    );
  }
  return EXIT.ok;
}
