/**
 * Does a name's dns-01 record lie within the hosted zone it was assigned? Route 53 refuses a record
 * outside the zone's name (InvalidChangeBatch), so a wrong explicit zone id, or one zone id given for
 * names of two domains, fails every order of that certificate. Pure: the caller reads the zone's name.
 */
import { baseName, challengeRecordName, isWithinZone, normalizeName } from '../names.js';

export interface ZoneMatch {
  ok: boolean;
  message: string;
  fix?: string;
}

/** `zoneName` is the hosted zone's name as Route 53 reports it (a trailing dot is fine). */
export function zoneMatch(name: string, zoneId: string, zoneName: string): ZoneMatch {
  const zone = normalizeName(zoneName);
  const record = challengeRecordName(name);
  if (isWithinZone(record, zone)) {
    return { ok: true, message: `${name} is in the hosted zone ${zoneId} (${zone})` };
  }
  const base = baseName(normalizeName(name));
  return {
    ok: false,
    message: `${name} is assigned to the hosted zone ${zoneId}, which is ${zone}: Route 53 refuses ${record} there, since it lies outside that zone`,
    fix:
      `In the certificate's \`zones\`, set the zoneId for ${name} to the hosted zone that holds ${base}, ` +
      'or remove the explicit zone id so certbeat finds the zone by name.',
  };
}
