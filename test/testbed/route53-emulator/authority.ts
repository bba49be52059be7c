/**
 * Which hosted zone the public DNS answers from for a name. Route 53 accepts a record in a parent zone
 * for a name inside a delegated sub-zone (the name is within the parent's name), but resolvers follow
 * the delegation and never see it. The emulator mirrors a TXT set to challtestsrv only from the zone
 * this function names, so a value written to the wrong zone does not validate, as in real DNS.
 */
import { isInZone } from './names.js';
import type { Zone } from './state.js';

/**
 * The public, delegated zone with the longest name that `name` (canonical) equals or lies below;
 * among zones of the same name the first created wins. `undefined` when no such zone exists.
 */
export function authoritativeZone(name: string, zones: Iterable<Zone>, undelegated: ReadonlySet<string>): Zone | undefined {
  let best: Zone | undefined;
  for (const zone of zones) {
    if (zone.private || undelegated.has(zone.id) || !isInZone(name, zone.name)) continue;
    if (!best || zone.name.length > best.name.length) best = zone;
  }
  return best;
}
