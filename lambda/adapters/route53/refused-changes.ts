/**
 * Route 53 applies a ChangeBatch entirely or not at all, so one bad record (e.g. a name outside the
 * zone, from a wrong zone id) would stop every certificate of the zone. This sends a batch and, when
 * Route 53 refuses it, sends it again without the refused record sets, so only their challenges fail.
 */
import type { Change, ChangeBatch, ChangeInfo } from '@aws-sdk/client-route-53';
import { normalizeName } from '../../domain/names.js';
import { isInvalidChangeBatch, refusedRecordNames } from './route53-errors.js';

export interface SendOutcome {
  /** Changes Route 53 accepted, with the (normalized) record names each one holds. */
  sent: Array<{ info: ChangeInfo; names: string[] }>;
  /** Record name (normalized) → Route 53's refusal. */
  refused: Map<string, unknown>;
}

/**
 * Sends `batch` with `send`. On InvalidChangeBatch, the names Route 53's message cites are set aside
 * and the rest is sent again; when the message cites none, the batch is halved until each refused
 * change stands alone (a few more requests, but never a good record lost). Other errors propagate.
 */
export async function sendDroppingRefused(
  batch: ChangeBatch,
  send: (batch: ChangeBatch) => Promise<ChangeInfo | undefined>,
): Promise<SendOutcome> {
  const outcome: SendOutcome = { sent: [], refused: new Map() };
  await attempt(batch.Changes ?? [], batch.Comment, send, outcome);
  return outcome;
}

async function attempt(
  changes: Change[],
  comment: string | undefined,
  send: (batch: ChangeBatch) => Promise<ChangeInfo | undefined>,
  outcome: SendOutcome,
): Promise<void> {
  if (changes.length === 0) return;
  const names = changes.map(nameOf);
  try {
    const info = await send({ Comment: comment, Changes: changes });
    if (info) outcome.sent.push({ info, names });
    return;
  } catch (e) {
    if (!isInvalidChangeBatch(e)) throw e;
    const cited = changes.length === 1 ? names : refusedRecordNames(e, names);
    if (cited.length > 0) {
      for (const name of cited) outcome.refused.set(name, e);
      await attempt(
        changes.filter((c) => !cited.includes(nameOf(c))),
        comment,
        send,
        outcome,
      );
      return;
    }
    const half = Math.ceil(changes.length / 2);
    await attempt(changes.slice(0, half), comment, send, outcome);
    await attempt(changes.slice(half), comment, send, outcome);
  }
}

function nameOf(change: Change): string {
  return normalizeName(change.ResourceRecordSet?.Name ?? '');
}
