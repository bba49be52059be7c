import { describe, expect, it } from 'vitest';
import { itemToRecord, MISSING_ID, recordToItem } from '../../../lambda/adapters/dynamodb/item-schema.js';
import type { CertificateRecord } from '../../../lambda/domain/model.js';

const record: CertificateRecord = {
  id: 'web',
  names: ['example.com', '*.example.com'],
  zones: {},
  directoryUrl: 'https://acme.test/dir',
  keyType: 'ec256',
  owners: ['ops@example.com'],
  status: 'active',
  acmArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0b1c2d3e',
  notBefore: '2026-01-01T00:00:00.000Z',
  notAfter: '2026-04-01T00:00:00.000Z',
  serial: '0a1b2c',
  issuedNames: ['example.com', '*.example.com'],
  renewalWindow: { start: '2026-03-01T00:00:00.000Z', end: '2026-03-03T00:00:00.000Z' },
  lastOutcome: { at: '2026-01-01T00:00:00.000Z', result: 'issued' },
  failureCount: 0,
  nextCheckAt: '2026-01-02T00:00:00.000Z',
  lease: { owner: 'run-1', until: '2026-01-01T00:15:00.000Z' },
};

function problemsOf(item: Record<string, unknown>) {
  const parsed = itemToRecord(item);
  if (parsed.ok) throw new Error('expected an invalid item');
  return parsed.invalid;
}

describe('item schema', () => {
  it('round-trips a record through its item, with dueShard only on active items', () => {
    const item = recordToItem({ ...record, eabSecretId: undefined });
    expect(item.dueShard).toBe('active');
    expect('eabSecretId' in item).toBe(false);
    expect(itemToRecord(item)).toEqual({ ok: true, record });

    const paused = recordToItem({ ...record, status: 'paused' });
    expect('dueShard' in paused).toBe(false);
    expect(itemToRecord(paused)).toEqual({ ok: true, record: { ...record, status: 'paused' } });
  });

  it('defaults a missing failureCount to 0 and ignores unknown attributes', () => {
    const { failureCount: _f, ...rest } = recordToItem(record);
    const parsed = itemToRecord({ ...rest, note: 'added by hand' });
    expect(parsed).toEqual({ ok: true, record });
  });

  it('names each malformed runtime field and its fix', () => {
    const invalid = problemsOf({
      ...recordToItem(record),
      keyType: 'dsa',
      notAfter: '1 April 2026',
      nextCheckAt: 1767225600,
      failureCount: -1,
      lease: { owner: 'run-1', until: 'soon' },
      lastOutcome: { at: '2026-01-01T00:00:00.000Z', result: 'maybe' },
      acmArn: 'not-an-arn',
    });
    expect(invalid.id).toBe('web');
    expect(invalid.owners).toEqual(['ops@example.com']);
    const byField = Object.fromEntries(invalid.problems.map((p) => [p.slice(0, p.indexOf(':')), p]));
    expect(Object.keys(byField).sort()).toEqual(['acmArn', 'failureCount', 'keyType', 'lastOutcome.result', 'lease.until', 'nextCheckAt', 'notAfter']);
    expect(byField.notAfter).toBe('notAfter: "1 April 2026" is not valid; write an ISO 8601 UTC timestamp such as 2026-01-31T00:00:00.000Z');
    expect(byField.nextCheckAt).toBe('nextCheckAt: has the wrong type (number); the schedule never sees this item until it is set; run `certbeat repair web` (sets it to now) or write an ISO 8601 UTC timestamp such as 2026-01-31T00:00:00.000Z');
    expect(byField['lease.until']).toMatch(/^lease\.until: "soon" is not valid; write an ISO 8601 UTC timestamp/);
    expect(byField['lastOutcome.result']).toMatch(/use "renewed", "issued" or "failed"$/);
    expect(byField.failureCount).toMatch(/give 0 or more$/);
    expect(byField.keyType).toMatch(/^keyType: "dsa" is not a supported key type; use one of ec256/);
    expect(byField.acmArn).toMatch(/give an ACM certificate ARN/);
  });

  it('reports a missing id and unreadable owners, and a dueShard that disagrees with the status', () => {
    const { id: _id, ...noId } = recordToItem(record);
    const invalid = problemsOf({ ...noId, owners: ['ops@example.com', 'x\r\nBcc: y@evil.test', 7] });
    expect(invalid.id).toBe(MISSING_ID);
    expect(invalid.owners).toEqual(['ops@example.com']);
    expect(invalid.problems[0]).toMatch(/^id: is missing/);

    const { dueShard: _d, ...hidden } = recordToItem(record);
    expect(problemsOf(hidden).problems).toEqual([
      'dueShard: is missing on an active item, so the schedule never sees it; run `certbeat repair web` (sets it to "active")',
    ]);
    expect(problemsOf({ ...recordToItem(record), status: 'paused' }).problems[0]).toBe(
      'dueShard: is set on a paused item, so the schedule still picks it up; run `certbeat repair web` (removes it)',
    );
  });

  it('requires nextCheckAt, since the due index is keyed on it, and names the command that sets it', () => {
    const { nextCheckAt: _n, ...rest } = recordToItem(record);
    expect(problemsOf(rest).problems).toEqual([
      'nextCheckAt: is missing; the schedule never sees this item until it is set; run `certbeat repair web` (sets it to now) or write an ISO 8601 UTC timestamp such as 2026-01-31T00:00:00.000Z',
    ]);
    expect(problemsOf({ ...rest, nextCheckAt: 'tomorrow' }).problems).toEqual([
      'nextCheckAt: "tomorrow" is not valid; the schedule never sees this item until it is set; run `certbeat repair web` (sets it to now) or write an ISO 8601 UTC timestamp such as 2026-01-31T00:00:00.000Z',
    ]);
  });
});
