import { describe, expect, it } from 'vitest';
import { InvalidChangeBatch, type ChangeBatch, type ChangeInfo } from '@aws-sdk/client-route-53';
import { sendDroppingRefused } from '../../../lambda/adapters/route53/refused-changes.js';
import { refusedRecordNames } from '../../../lambda/adapters/route53/route53-errors.js';

const meta = { httpStatusCode: 400, attempts: 1, totalRetryDelay: 0 };
const upsert = (name: string) => ({ Action: 'UPSERT' as const, ResourceRecordSet: { Name: name, Type: 'TXT' as const, TTL: 60, ResourceRecords: [{ Value: '"v"' }] } });
const batchOf = (...names: string[]): ChangeBatch => ({ Comment: 'test', Changes: names.map(upsert) });
const namesIn = (b: ChangeBatch) => (b.Changes ?? []).map((c) => c.ResourceRecordSet!.Name!);

/** A Route 53 stand-in that refuses any batch holding one of `bad`, with the given message text. */
function refusing(bad: string[], message: (refused: string[]) => string) {
  const sent: string[][] = [];
  const send = async (b: ChangeBatch): Promise<ChangeInfo> => {
    sent.push(namesIn(b));
    const refused = namesIn(b).filter((n) => bad.includes(n));
    if (refused.length > 0) throw new InvalidChangeBatch({ $metadata: meta, message: message(refused) });
    return { Id: `/change/C${sent.length}`, Status: 'PENDING', SubmittedAt: new Date() };
  };
  return { send, sent };
}

describe('sendDroppingRefused', () => {
  it('sends the batch again without the names Route 53 cites', async () => {
    const r53 = refusing(['_acme-challenge.b.other.test'], (names) => `[${names.map((n) => `RRSet with DNS name ${n}. is not permitted in zone a.test.`).join(', ')}]`);
    const out = await sendDroppingRefused(batchOf('_acme-challenge.a.test', '_acme-challenge.b.other.test', '_acme-challenge.www.a.test'), r53.send);
    expect(r53.sent).toEqual([
      ['_acme-challenge.a.test', '_acme-challenge.b.other.test', '_acme-challenge.www.a.test'],
      ['_acme-challenge.a.test', '_acme-challenge.www.a.test'],
    ]);
    expect([...out.refused.keys()]).toEqual(['_acme-challenge.b.other.test']);
    expect(out.sent.map((s) => s.names)).toEqual([['_acme-challenge.a.test', '_acme-challenge.www.a.test']]);
  });

  it('halves the batch when the message names no record, until each refused change stands alone', async () => {
    const names = Array.from({ length: 8 }, (_, i) => `_acme-challenge.n${i}.a.test`);
    const r53 = refusing([names[2], names[7]], () => 'The request was refused');
    const out = await sendDroppingRefused(batchOf(...names), r53.send);
    expect([...out.refused.keys()].sort()).toEqual([names[2], names[7]]);
    expect(out.sent.flatMap((s) => s.names).sort()).toEqual(names.filter((_, i) => i !== 2 && i !== 7).sort());
    // 1 + 2 halves + 4 quarters + the 2 lone refused changes at the bottom.
    expect(r53.sent.length).toBeLessThanOrEqual(11);
  });

  it('lets any other error through', async () => {
    const send = async (): Promise<ChangeInfo> => {
      throw Object.assign(new Error('denied'), { name: 'AccessDenied' });
    };
    await expect(sendDroppingRefused(batchOf('_acme-challenge.a.test'), send)).rejects.toThrow('denied');
  });
});

describe('refusedRecordNames', () => {
  it('finds a name only where it stands alone, fully qualified or not', () => {
    const e = new InvalidChangeBatch({ $metadata: meta, message: '[RRSet with DNS name _acme-challenge.b.a.test. is not permitted in zone x.test., Tried to delete resource record set [name=\'_acme-challenge.c.test.\', type=\'TXT\'] but it was not found]' });
    expect(refusedRecordNames(e, ['_acme-challenge.a.test', 'a.test', '_acme-challenge.b.a.test', '_acme-challenge.c.test', '_acme-challenge.c.test.net', 'c.test'])).toEqual([
      '_acme-challenge.b.a.test',
      '_acme-challenge.c.test',
    ]);
  });
});
