import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ChangeBatch } from '@aws-sdk/client-route-53';
import {
  changeCost,
  groupChallenges,
  planCleanup,
  planPresent,
  quoteTxt,
  ROUTE53_LIMITS,
  type TxtRecordSet,
} from '../../../lambda/adapters/route53/change-plan.js';
import type { DnsChallenge } from '../../../lambda/domain/ports.js';

/** A dns-01 value as ACME makes it: base64url SHA-256, 43 characters. */
const acmeValue = (seed: string) => createHash('sha256').update(seed).digest('base64url');

const challenge = (identifier: string, value: string, zoneId = 'Z1'): DnsChallenge => ({
  identifier,
  recordName: `_acme-challenge.${identifier.replace(/^\*\./, '')}`,
  value,
  zoneId,
});

const existingMap = (...sets: TxtRecordSet[]) => new Map(sets.map((s) => [s.name.replace(/\.$/, ''), s]));

function changesOf(batches: ChangeBatch[]) {
  return batches.flatMap((b) => b.Changes ?? []);
}

describe('groupChallenges', () => {
  it('merges apex and wildcard into one name with two values, per zone, without duplicates', () => {
    const [a, w, other] = [acmeValue('a'), acmeValue('w'), acmeValue('o')];
    const groups = groupChallenges([
      challenge('example.com', a),
      challenge('*.example.com', w),
      challenge('example.com', a), // the same certificate listed twice
      challenge('shop.example.net', other, '/hostedzone/Z2'),
    ]);
    expect([...groups.keys()]).toEqual(['Z1', 'Z2']);
    expect(groups.get('Z1')).toEqual(new Map([['_acme-challenge.example.com', [a, w]]]));
    expect(groups.get('Z2')).toEqual(new Map([['_acme-challenge.shop.example.net', [other]]]));
  });

  it('normalizes record names so case and a trailing dot do not split a set', () => {
    const groups = groupChallenges([
      { recordName: '_acme-challenge.Example.com.', value: 'v1', zoneId: 'Z1' },
      { recordName: '_acme-challenge.example.com', value: 'v2', zoneId: 'Z1' },
    ]);
    expect(groups.get('Z1')).toEqual(new Map([['_acme-challenge.example.com', ['v1', 'v2']]]));
  });
});

describe('planPresent', () => {
  it('creates a quoted set with TTL 60 when none exists', () => {
    const [a, w] = [acmeValue('a'), acmeValue('w')];
    const batches = planPresent(new Map([['_acme-challenge.example.com', [a, w]]]), new Map());
    expect(batches).toHaveLength(1);
    expect(changesOf(batches)).toEqual([
      {
        Action: 'UPSERT',
        ResourceRecordSet: {
          Name: '_acme-challenge.example.com',
          Type: 'TXT',
          TTL: 60,
          ResourceRecords: [{ Value: `"${a}"` }, { Value: `"${w}"` }],
        },
      },
    ]);
  });

  it('keeps foreign values and the existing TTL, and does not duplicate a value already there', () => {
    const mine = acmeValue('mine');
    const kept = acmeValue('already');
    const existing = existingMap({
      name: '_acme-challenge.example.com.',
      ttl: 300,
      values: ['"google-site-verification=abc"', quoteTxt(kept)],
    });
    const [change] = changesOf(planPresent(new Map([['_acme-challenge.example.com', [kept, mine]]]), existing));
    expect(change.Action).toBe('UPSERT');
    expect(change.ResourceRecordSet?.Name).toBe('_acme-challenge.example.com.');
    expect(change.ResourceRecordSet?.TTL).toBe(300);
    expect(change.ResourceRecordSet?.ResourceRecords?.map((r) => r.Value)).toEqual([
      '"google-site-verification=abc"',
      quoteTxt(kept),
      quoteTxt(mine),
    ]);
  });

  it('plans nothing for a name that already holds all our values', () => {
    const v = acmeValue('v');
    const existing = existingMap({ name: '_acme-challenge.example.com.', ttl: 60, values: [quoteTxt(v)] });
    expect(planPresent(new Map([['_acme-challenge.example.com', [v]]]), existing)).toEqual([]);
  });

  it('puts 20 certificates of one zone into a single batch', () => {
    const wanted = new Map<string, string[]>();
    for (let i = 0; i < 20; i++) wanted.set(`_acme-challenge.site${i}.example.com`, [acmeValue(`${i}`), acmeValue(`${i}*`)]);
    const batches = planPresent(wanted, new Map());
    expect(batches).toHaveLength(1);
    expect(batches[0].Changes).toHaveLength(20);
  });

  it('splits 1200 values at the 1000-ResourceRecord limit, counting UPSERT twice', () => {
    // Short values so only the record count binds: 1200 values × 2 = 2400 units → 3 requests.
    const wanted = new Map<string, string[]>();
    for (let i = 0; i < 600; i++) wanted.set(`_acme-challenge.h${i}.example.com`, [`a${i}`, `b${i}`]);
    const batches = planPresent(wanted, new Map());
    expect(batches).toHaveLength(3);
    for (const b of batches) {
      const records = (b.Changes ?? []).reduce((n, c) => n + changeCost(c).records, 0);
      expect(records).toBeLessThanOrEqual(ROUTE53_LIMITS.maxRecords);
    }
    expect(changesOf(batches).flatMap((c) => c.ResourceRecordSet?.ResourceRecords ?? [])).toHaveLength(1200);
  });

  it('splits at 32,000 Value characters, counting quotes and counting UPSERT twice', () => {
    // Real ACME values: 45 characters quoted, 90 as UPSERT → at most 355 values per request.
    const wanted = new Map<string, string[]>();
    for (let i = 0; i < 1200; i++) wanted.set(`_acme-challenge.h${i}.example.com`, [acmeValue(`${i}`)]);
    const batches = planPresent(wanted, new Map());
    expect(batches.map((b) => b.Changes?.length)).toEqual([355, 355, 355, 135]);
    for (const b of batches) {
      expect((b.Changes ?? []).reduce((n, c) => n + changeCost(c).valueChars, 0)).toBeLessThanOrEqual(32_000);
    }
    // The same name never appears in two changes (Route 53 refuses that within a batch; across batches it would undo work).
    const names = changesOf(batches).map((c) => c.ResourceRecordSet?.Name);
    expect(new Set(names).size).toBe(1200);
  });

  it('honours other limits when given', () => {
    const wanted = new Map([
      ['_acme-challenge.a.example.com', ['1', '2']],
      ['_acme-challenge.b.example.com', ['3']],
    ]);
    // First change costs 4 record units, second 2: with a limit of 5 they cannot share a request.
    expect(planPresent(wanted, new Map(), { maxRecords: 5, maxValueChars: 1000 })).toHaveLength(2);
    expect(planPresent(wanted, new Map(), { maxRecords: 6, maxValueChars: 1000 })).toHaveLength(1);
  });
});

describe('planCleanup', () => {
  const name = '_acme-challenge.example.com';

  it('DELETEs the set exactly as it stands when only our values are there', () => {
    const [a, w] = [acmeValue('a'), acmeValue('w')];
    const existing = existingMap({ name: `${name}.`, ttl: 120, values: [quoteTxt(w), quoteTxt(a)] });
    expect(changesOf(planCleanup(new Map([[name, [a, w]]]), existing))).toEqual([
      {
        Action: 'DELETE',
        ResourceRecordSet: { Name: `${name}.`, Type: 'TXT', TTL: 120, ResourceRecords: [{ Value: quoteTxt(w) }, { Value: quoteTxt(a) }] },
      },
    ]);
  });

  it('UPSERTs the remainder when other values share the name', () => {
    const mine = acmeValue('mine');
    const theirs = acmeValue('theirs');
    const existing = existingMap({ name: `${name}.`, ttl: 60, values: [quoteTxt(theirs), quoteTxt(mine)] });
    expect(changesOf(planCleanup(new Map([[name, [mine]]]), existing))).toEqual([
      {
        Action: 'UPSERT',
        ResourceRecordSet: { Name: `${name}.`, Type: 'TXT', TTL: 60, ResourceRecords: [{ Value: quoteTxt(theirs) }] },
      },
    ]);
  });

  it('plans nothing when our values are already gone or the set is absent', () => {
    const existing = existingMap({ name: `${name}.`, ttl: 60, values: ['"foreign"'] });
    expect(planCleanup(new Map([[name, ['gone']]]), existing)).toEqual([]);
    expect(planCleanup(new Map([['_acme-challenge.absent.example.com', ['x']]]), existing)).toEqual([]);
  });

  it('mixes DELETE and UPSERT across names in one batch', () => {
    const existing = existingMap(
      { name: '_acme-challenge.a.example.com.', ttl: 60, values: ['"x"'] },
      { name: '_acme-challenge.b.example.com.', ttl: 60, values: ['"y"', '"keep"'] },
    );
    const batches = planCleanup(
      new Map([
        ['_acme-challenge.a.example.com', ['x']],
        ['_acme-challenge.b.example.com', ['y']],
      ]),
      existing,
    );
    expect(batches).toHaveLength(1);
    expect(changesOf(batches).map((c) => c.Action)).toEqual(['DELETE', 'UPSERT']);
  });

  it('splits large cleanups at the limits too (DELETE counted once)', () => {
    const ours = new Map<string, string[]>();
    const sets: TxtRecordSet[] = [];
    for (let i = 0; i < 1200; i++) {
      const v = acmeValue(`${i}`);
      ours.set(`_acme-challenge.h${i}.example.com`, [v]);
      sets.push({ name: `_acme-challenge.h${i}.example.com.`, ttl: 60, values: [quoteTxt(v)] });
    }
    // 45 characters per DELETE → 711 per request by characters, 1000 by records → 2 requests.
    const batches = planCleanup(ours, existingMap(...sets));
    expect(batches.map((b) => b.Changes?.length)).toEqual([711, 489]);
  });
});
