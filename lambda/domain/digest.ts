/**
 * The optional digest: the whole inventory, rendered as one mail, sent to the configured digest
 * recipients. The trigger (a schedule, or the handler event `{ "action": "digest" }`) lives elsewhere;
 * this is the pure step from inventory to mail.
 */
import { OrderBudget, type BudgetStore } from './budget.js';
import { toCertbeatError } from './errors.js';
import { renderDigest } from './mail/digest.js';
import type { Clock, Inventory, Notifier } from './ports.js';

export interface DigestDeps {
  inventory: Pick<Inventory, 'listAll'>;
  notifier: Notifier;
  clock: Clock;
  /** Shown in the mail; defaults to `certbeat`. */
  productName?: string;
  /** IANA time zone of the mail's dates (CERTBEAT_TIME_ZONE); default UTC. */
  timeZone?: string;
  /** The rate-limit and quota counts; the digest shows where they stand. */
  budget?: BudgetStore;
}

/**
 * Reads every inventory item (`listAll`), renders the digest as of `clock.now()` and sends it as one
 * message to `recipients`.
 *
 * Contract: with no recipients nothing is read or sent (`sent: false`); an empty inventory still gets a
 * digest saying so. `certificates` counts the valid records (invalid items are listed in the mail, not
 * counted). A failure to read or send rejects with a `CertbeatError` (the original kept as `cause`).
 */
export async function sendDigest(deps: DigestDeps, recipients: string[]): Promise<{ sent: boolean; certificates: number }> {
  const to = [...new Set(recipients.map((r) => r.trim()).filter((r) => r !== ''))];
  if (to.length === 0) return { sent: false, certificates: 0 };
  try {
    const batch = await deps.inventory.listAll();
    const budget = deps.budget ? await new OrderBudget(deps.budget, () => deps.clock.now()).status().catch(() => undefined) : undefined;
    const mail = renderDigest({ records: batch.records, invalid: batch.invalid, budget }, { now: deps.clock.now(), productName: deps.productName, timeZone: deps.timeZone });
    await deps.notifier.send({ to, ...mail });
    return { sent: true, certificates: batch.records.length };
  } catch (e) {
    throw toCertbeatError(e);
  }
}
