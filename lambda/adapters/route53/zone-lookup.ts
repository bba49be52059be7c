/**
 * Pure hosted-zone matching: which Route 53 zone holds the dns-01 record of a certificate name.
 * The solver lists the account's zones; these functions only choose among them.
 */
import { ConfigurationError, DnsZoneNotFoundError } from '../../domain/errors.js';
import { baseName, isWithinZone, normalizeName } from '../../domain/names.js';

export interface HostedZoneSummary {
  /** Bare id, e.g. `Z0123ABC` (no `/hostedzone/` prefix). */
  id: string;
  /** Normalized zone name (lower case, no trailing dot). */
  name: string;
  private: boolean;
}

/** `/hostedzone/Z123` and `Z123` both → `Z123`. */
export function normalizeZoneId(id: string): string {
  return id.trim().replace(/^\/?hostedzone\//, '');
}

/** The explicit zone id configured for a name: by the name as given, normalized, or its apex/wildcard twin. */
export function explicitZoneFor(name: string, explicit: Readonly<Record<string, string>>): string | undefined {
  const n = normalizeName(name);
  const base = baseName(n);
  const id = explicit[name] ?? explicit[n] ?? explicit[base] ?? explicit[`*.${base}`];
  return id ? normalizeZoneId(id) : undefined;
}

/**
 * The public zone with the longest name that `name` (with `*.` stripped) equals or lies below, so a
 * delegated sub-zone (`shop.example.com`) wins over its parent. `undefined` when none covers it.
 * Throws `ConfigurationError` when two public zones have that same name: which one the world sees
 * depends on delegation, so the operator must say.
 */
export function longestSuffixZone(name: string, zones: readonly HostedZoneSummary[]): HostedZoneSummary | undefined {
  const candidates = zones.filter((z) => !z.private && isWithinZone(name, z.name));
  if (candidates.length === 0) return undefined;
  const longest = Math.max(...candidates.map((z) => z.name.length));
  const best = candidates.filter((z) => z.name.length === longest);
  if (best.length > 1) {
    throw new ConfigurationError(
      `several public hosted zones are named ${best[0].name} (${best.map((z) => z.id).join(', ')}); certbeat cannot tell which one is delegated`,
      {
        field: 'zones',
        remediation: `Set the hosted zone id for ${name} explicitly in the certificate's zones, or delete the unused duplicate zone.`,
      },
    );
  }
  return best[0];
}

/**
 * Zone id per name (keyed by the name as given): explicit ids first, then the longest-suffix match.
 * `zones` is only consulted for names without an explicit id. Names no zone covers are reported
 * together in one `DnsZoneNotFoundError`.
 */
export function matchZones(
  names: readonly string[],
  explicit: Readonly<Record<string, string>>,
  zones: readonly HostedZoneSummary[],
): Record<string, string> {
  const result: Record<string, string> = {};
  const missing: string[] = [];
  for (const name of names) {
    const id = explicitZoneFor(name, explicit) ?? longestSuffixZone(name, zones)?.id;
    if (id) result[name] = id;
    else missing.push(name);
  }
  if (missing.length > 0) throw new DnsZoneNotFoundError(missing.join(', '));
  return result;
}

/** Whether some name has no explicit zone id, so the account's zones must be listed. */
export function needsZoneListing(names: readonly string[], explicit: Readonly<Record<string, string>>): boolean {
  return names.some((n) => explicitZoneFor(n, explicit) === undefined);
}
