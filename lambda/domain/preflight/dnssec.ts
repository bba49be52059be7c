/**
 * The DNSSEC pre-flight check. Since CA/B SC-085v2 (2026-03-15) CAs validate DNSSEC on their dns-01
 * and CAA lookups, so a DS record at the parent that matches none of the zone's DNSKEYs (a zone
 * re-created in Route 53 while the registrar still publishes the old DS, or a DS left after signing
 * was turned off) makes the CA's resolver answer SERVFAIL and every order fail.
 *
 * The check walks each name's chain of zone cuts from the registered level down (the TLD and the root
 * are the registries' business) and, at each cut with DS records, computes the DS of every DNSKEY
 * (RFC 4034 §5.1.4, key tag per App. B) and compares. It does not verify RRSIGs: a DS that matches a
 * zone key is what owners get wrong; bad signatures are Route 53's to avoid.
 */
import { createHash } from 'node:crypto';
import type { Finding } from '../notices.js';
import { baseName, normalizeName } from '../names.js';
import type { DnsLookup } from '../ports.js';
import { lookupFinding } from './lookup-finding.js';

export const DNSSEC_CHECK = 'dnssec';
/** DS records whose digest types certbeat cannot compute: a warning, the CA may still validate. */
export const DNSSEC_UNVERIFIED_CHECK = 'dnssec-unverified';

export type DsRecord = Awaited<ReturnType<DnsLookup['ds']>>[number];
export type DnskeyRecord = Awaited<ReturnType<DnsLookup['dnskey']>>[number];

/** DS digest types (IANA registry) and their node:crypto names. 3 (GOST) has no node implementation. */
const DIGESTS: Record<number, { hash: string; label: string }> = {
  1: { hash: 'sha1', label: 'SHA-1' },
  2: { hash: 'sha256', label: 'SHA-256' },
  4: { hash: 'sha384', label: 'SHA-384' },
};
/** RFC 4034 §2.1.1: bit 7 marks a zone key; only zone keys may be referred to by a DS. */
const ZONE_KEY_FLAG = 0x0100;
/** RFC 4034 §2.1.1: bit 15, the secure entry point (the key-signing key a DS should name). */
const SEP_FLAG = 0x0001;

/** An owner name in canonical wire form (RFC 4034 §6.2): lower-case, length-prefixed labels, root byte. */
export function ownerNameWire(name: string): Buffer {
  const labels = normalizeName(name).split('.').filter((l) => l.length > 0);
  return Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.of(l.length), Buffer.from(l, 'ascii')])), Buffer.of(0)]);
}

/** The DNSKEY RDATA as on the wire: flags, protocol, algorithm, public key. */
export function dnskeyRdata(key: DnskeyRecord): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(key.flags, 0);
  head.writeUInt8(key.protocol, 2);
  head.writeUInt8(key.algorithm, 3);
  return Buffer.concat([head, Buffer.from(key.publicKey, 'base64')]);
}

/** The key tag of a DNSKEY (RFC 4034 Appendix B). */
export function keyTag(key: DnskeyRecord): number {
  const rdata = dnskeyRdata(key);
  if (key.algorithm === 1) {
    // RSA/MD5 (B.1): the tag is taken from the modulus' low bytes instead of the checksum.
    return rdata.length >= 4 ? rdata.readUInt16BE(rdata.length - 3) : 0;
  }
  let ac = 0;
  for (let i = 0; i < rdata.length; i++) ac += i & 1 ? rdata[i] : rdata[i] << 8;
  ac += (ac >> 16) & 0xffff;
  return ac & 0xffff;
}

/** The DS digest of a DNSKEY at `owner` (RFC 4034 §5.1.4), lower-case hex; `undefined` for an unknown digest type. */
export function dsDigest(owner: string, key: DnskeyRecord, digestType: number): string | undefined {
  const digest = DIGESTS[digestType];
  if (!digest) return undefined;
  return createHash(digest.hash).update(ownerNameWire(owner)).update(dnskeyRdata(key)).digest('hex');
}

/** The DS record a registrar should publish for `key` (SHA-256), in zone-file order. */
export function dsFor(owner: string, key: DnskeyRecord): DsRecord {
  return { keyTag: keyTag(key), algorithm: key.algorithm, digestType: 2, digest: dsDigest(owner, key, 2)! };
}

/** What the DS set at `owner` says about its DNSKEY set, as a validating resolver would see it. */
export type DsVerdict =
  | { kind: 'matched'; ds: DsRecord; key: DnskeyRecord }
  | { kind: 'unverifiable'; digestTypes: number[] }
  | { kind: 'no-dnskey' }
  | { kind: 'mismatch' };

/**
 * Compares a non-empty DS set with the DNSKEY set (RFC 4035 §5.2): one DS naming a zone key by
 * algorithm, key tag and digest is enough (extra DS records during a roll-over are normal). DS records
 * with digest types nobody here can compute are ignored, as validators ignore unsupported ones.
 */
export function evaluateDs(owner: string, dsSet: DsRecord[], keys: DnskeyRecord[]): DsVerdict {
  const checkable = dsSet.filter((ds) => DIGESTS[ds.digestType]);
  if (checkable.length === 0) return { kind: 'unverifiable', digestTypes: [...new Set(dsSet.map((d) => d.digestType))] };
  if (keys.length === 0) return { kind: 'no-dnskey' };
  for (const ds of checkable) {
    for (const key of keys) {
      if (!(key.flags & ZONE_KEY_FLAG) || key.protocol !== 3 || key.algorithm !== ds.algorithm || keyTag(key) !== ds.keyTag) continue;
      if (dsDigest(owner, key, ds.digestType) === ds.digest.toLowerCase()) return { kind: 'matched', ds, key };
    }
  }
  return { kind: 'mismatch' };
}

/**
 * The names whose DS a validator of `name` meets below the TLD, top-down: `a.b.example.com` →
 * `example.com`, `b.example.com`, `a.b.example.com`.
 */
export function chainBelowTld(name: string): string[] {
  const labels = baseName(normalizeName(name)).split('.');
  const chain: string[] = [];
  for (let i = labels.length - 2; i >= 0; i--) chain.push(labels.slice(i).join('.'));
  return chain;
}

type Lookup = Pick<DnsLookup, 'ns' | 'ds' | 'dnskey'>;

/**
 * The DNSSEC findings for a certificate's names: one per signed zone cut met (ok or blocking), or one
 * ok finding when no cut is signed. A failed lookup becomes a non-blocking `dnssec-lookup` finding.
 * Pass a memoizing `DnsLookup`: names share their upper levels.
 */
export async function checkDnssec(names: string[], dns: Lookup): Promise<Finding[]> {
  const verdicts = new Map<string, Promise<Finding | undefined>>();
  const cutFinding = (cut: string) => {
    let p = verdicts.get(cut);
    if (!p) verdicts.set(cut, (p = evaluateCut(cut, dns)));
    return p;
  };
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const push = (f: Finding) => {
    const key = `${f.check} ${f.message}`;
    if (!seen.has(key)) findings.push(f), seen.add(key);
  };
  for (const name of [...new Set(names.map((n) => baseName(normalizeName(n))))]) {
    const chain = chainBelowTld(name);
    for (let i = 0; i < chain.length; i++) {
      const level = chain[i];
      let finding: Finding | undefined;
      try {
        finding = await cutFinding(level);
      } catch (e) {
        push(lookupFinding(DNSSEC_CHECK, `looking up the DS or DNSKEY records of ${level}`, e));
        break;
      }
      if (finding) {
        push(finding);
        if (finding.check !== DNSSEC_CHECK || !finding.ok) break; // a validator stops at a break
        continue;
      }
      // No DS here: either no zone cut (the zone above goes on) or an unsigned delegation, below which
      // nothing is validated, so a DS further down cannot break issuance.
      if (i === chain.length - 1) break;
      try {
        if ((await dns.ns(level)).length > 0) break;
      } catch (e) {
        push(lookupFinding(DNSSEC_CHECK, `looking up the NS records of ${level}`, e));
        break;
      }
    }
  }
  if (findings.length > 0) return findings;
  const shown = [...new Set(names.map((n) => baseName(normalizeName(n))))].join(', ');
  return [{ check: DNSSEC_CHECK, ok: true, message: `no DS records above ${shown}: the zone is not DNSSEC-signed, so validating CAs accept unsigned answers` }];
}

/** The finding for one name: `undefined` when it has no DS (nothing to compare). */
async function evaluateCut(owner: string, dns: Lookup): Promise<Finding | undefined> {
  const dsSet = await dns.ds(owner);
  if (dsSet.length === 0) return undefined;
  const keys = await dns.dnskey(owner);
  const verdict = evaluateDs(owner, dsSet, keys);
  const published = dsSet.map(dsText).join('; ');
  const removeOrSign = `Remove the DS record${dsSet.length === 1 ? '' : 's'} for ${owner} at your registrar (or in the parent zone, for a delegated sub-zone)`;
  switch (verdict.kind) {
    case 'matched':
      return {
        check: DNSSEC_CHECK,
        ok: true,
        message: `${owner} is DNSSEC-signed and its DS (key tag ${verdict.ds.keyTag}) matches a DNSKEY of the zone`,
      };
    case 'unverifiable':
      return {
        check: DNSSEC_UNVERIFIED_CHECK,
        ok: false,
        message: `the DS records of ${owner} use digest type${verdict.digestTypes.length === 1 ? '' : 's'} ${verdict.digestTypes.join(', ')}, which certbeat cannot compute, so it cannot tell whether they match the zone's DNSKEY`,
        fix: `Publish a SHA-256 (digest type 2) DS record for ${owner} at your registrar, next to or instead of the current one.`,
      };
    case 'no-dnskey':
      return {
        check: DNSSEC_CHECK,
        ok: false,
        message: `the parent of ${owner} publishes a DS record (${published}) but ${owner} has no DNSKEY: the zone is not signed, so every DNSSEC-validating CA gets SERVFAIL for it and no certificate can be issued`,
        fix: `${removeOrSign}, or enable DNSSEC signing for ${owner} in Route 53 and publish the DS of its key-signing key in place of the old one.`,
      };
    case 'mismatch': {
      const wanted = keys.filter((k) => k.flags & ZONE_KEY_FLAG);
      const entry = wanted.filter((k) => k.flags & SEP_FLAG);
      const suggestions = (entry.length ? entry : wanted).map((k) => dsText(dsFor(owner, k))).join('; ');
      return {
        check: DNSSEC_CHECK,
        ok: false,
        message: `the DS record${dsSet.length === 1 ? '' : 's'} of ${owner} (${published}) match${dsSet.length === 1 ? 'es' : ''} none of its DNSKEYs (key tags ${keys.map(keyTag).join(', ')}): the zone was probably re-created or re-keyed while the registrar kept the old DS, so every DNSSEC-validating CA gets SERVFAIL and no certificate can be issued`,
        fix: `${removeOrSign}, or replace ${dsSet.length === 1 ? 'it' : 'them'} with the DS of the zone's current key-signing key${suggestions ? ` (${suggestions})` : ''}; in Route 53, enable DNSSEC signing with a KSK whose DS matches what the registrar publishes.`,
      };
    }
  }
}

/** `keyTag algorithm digestType digest`, as a registrar's form asks for it. */
function dsText(ds: DsRecord): string {
  return `${ds.keyTag} ${ds.algorithm} ${ds.digestType} ${ds.digest.toUpperCase()}`;
}
