/**
 * Pre-flight for CNAME-delegated challenges (see ../challenge-alias.ts): the `_acme-challenge` CNAME
 * must exist and point exactly at the configured alias target, and that target must lie inside the
 * Route 53 zone certbeat writes to. A `_acme-challenge` CNAME without a configured alias is the
 * supported path once the alias is configured, so its finding says how to configure it.
 * Pure: the caller does the lookups.
 */
import { baseName, isWithinZone, normalizeName } from '../names.js';
import type { ZoneMatch } from './zone-match.js';

export const CHALLENGE_CNAME_CHECK = 'acme-challenge-cname';

/** Does the alias target lie within the zone it was assigned (Route 53 refuses a record outside it)? */
export function aliasZoneMatch(name: string, target: string, zoneId: string, zoneName: string): ZoneMatch {
  const zone = normalizeName(zoneName);
  if (isWithinZone(target, zone)) {
    return { ok: true, message: `the dns-01 values of ${name} go to its alias ${target}, in the hosted zone ${zoneId} (${zone})` };
  }
  return {
    ok: false,
    message: `${name} is CNAME-delegated to ${target}, but that lies outside the hosted zone ${zoneId} (${zone}) it was assigned`,
    fix: `Set the zone id for ${name} to the hosted zone that holds ${target}, or remove the explicit zone id so certbeat finds it by name.`,
  };
}

/** The finding for `_acme-challenge.<name>` given its CNAME targets (normalized) and the configured alias. */
export function challengeCnameFinding(
  challengeName: string,
  covered: string,
  targets: string[],
  alias: string | undefined,
): { check: string; ok: boolean; message: string; fix?: string } {
  const check = CHALLENGE_CNAME_CHECK;
  if (alias === undefined) {
    if (targets.length === 0) {
      return { check, ok: true, message: `${challengeName} is not a CNAME: the TXT values go into the zone itself` };
    }
    const target = targets.join(', ');
    return {
      check,
      ok: false,
      message: `${challengeName} is a CNAME to ${target}: certbeat's TXT values for ${covered} would go into this zone, but the CA follows the CNAME to ${target}`,
      fix:
        `Point ${challengeName} to a zone certbeat manages, or remove the CNAME. To keep the CNAME, make sure ${targets[0]} is in a Route 53 hosted zone ` +
        `certbeat may write and add "challengeAliases": { "${baseOf(covered)}": "${targets[0]}" } to the certificate in certbeat.config.json, then deploy ` +
        `(IAM then allows writing there).`,
    };
  }
  if (targets.length === 0) {
    return {
      check,
      ok: false,
      message: `${covered} is configured to answer its challenge at ${alias}, but ${challengeName} is not a CNAME, so the CA looks for the values at ${challengeName} and does not find them`,
      fix: `At the DNS provider of ${baseOf(covered)}, create the record ${challengeName}. CNAME ${alias}. (or remove the challengeAliases entry).`,
    };
  }
  if (targets.length === 1 && targets[0] === alias) {
    return { check, ok: true, message: `${challengeName} is a CNAME to ${alias}: the CA follows it to the values certbeat writes there` };
  }
  return {
    check,
    ok: false,
    message: `${challengeName} is a CNAME to ${targets.join(', ')}, but certbeat is configured to write the values of ${covered} at ${alias}`,
    fix: `Point ${challengeName} at ${alias}, or set challengeAliases for ${baseOf(covered)} to "${targets[0]}" and deploy.`,
  };
}

/** The configured name an alias entry is keyed by: the first name covered, wildcard label stripped. */
function baseOf(covered: string): string {
  return baseName(covered.split(', ')[0]);
}
