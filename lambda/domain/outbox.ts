/**
 * The outbox: a mail SES did not take is kept on its certificate's record and sent again by later runs
 * until it is delivered or given up, so an owner is never left unaware because SES failed once.
 */
import { toCertbeatError } from './errors.js';
import type { OwedMail } from './model.js';
import type { Clock, Inventory, Notifier, RunLog } from './ports.js';

export const OUTBOX_LIMITS = {
  /** How soon a run looks at a certificate again to resend its mail. */
  retryMs: 3_600_000,
  /** Attempts per mail, the first included (a day of hourly tries). */
  maxAttempts: 24,
  /** Older mails are given up: what they said is stale by then, and a fresher mail follows. */
  maxAgeMs: 7 * 86_400_000,
  /** Mails kept per certificate: the newest ones. */
  maxMails: 5,
} as const;

export interface OutboxFlush {
  /** What is still owed, to be written with the run's outcome. */
  remaining: OwedMail[];
  sent: number;
  /** Mails that failed again, and those given up (after `OUTBOX_LIMITS`). */
  notSent: Array<{ kind: string; error: string; givenUp: boolean }>;
}

export class Outbox {
  constructor(private readonly deps: { notifier: Notifier; inventory: Inventory; clock: Clock; log: RunLog }) {}

  /** Sends a leased record's owed mails again; never throws. */
  async flush(id: string, owed: OwedMail[]): Promise<OutboxFlush> {
    const { notifier, clock, log } = this.deps;
    const result: OutboxFlush = { remaining: [], sent: 0, notSent: [] };
    for (const mail of owed) {
      try {
        await notifier.send({ to: mail.to, subject: mail.subject, html: mail.html, text: mail.text });
        result.sent++;
        log.info('owed mail sent', { id, kind: mail.kind, since: mail.since, attempts: mail.attempts + 1 });
        continue;
      } catch (e) {
        const err = toCertbeatError(e);
        const next: OwedMail = { ...mail, attempts: mail.attempts + 1, lastError: err.message.slice(0, 500) };
        const givenUp = next.attempts >= OUTBOX_LIMITS.maxAttempts || clock.now().getTime() - Date.parse(mail.since) > OUTBOX_LIMITS.maxAgeMs;
        result.notSent.push({ kind: mail.kind, error: err.message, givenUp });
        if (givenUp) log.error('owed mail given up', { id, kind: mail.kind, since: mail.since, attempts: next.attempts, error: err.message });
        else {
          log.error('owed mail not sent again', { id, kind: mail.kind, attempts: next.attempts, error: err.message, fix: err.remediation });
          result.remaining.push(next);
        }
      }
    }
    result.remaining = result.remaining.slice(-OUTBOX_LIMITS.maxMails);
    return result;
  }

  /** Keeps a mail that failed after the outcome was recorded; resolves to whether it was kept. */
  async keep(id: string, mail: OwedMail): Promise<boolean> {
    const now = this.deps.clock.now();
    try {
      await this.deps.inventory.addOwedMail(id, mail, new Date(now.getTime() + OUTBOX_LIMITS.retryMs), now);
      return true;
    } catch (e) {
      this.deps.log.error('owed mail could not be kept: it is lost', { id, kind: mail.kind, error: toCertbeatError(e).message });
      return false;
    }
  }

  /** The next check for a record that still owes mails: no later than one retry interval. */
  static nextCheck(next: Date, remaining: OwedMail[] | undefined, now: Date): Date {
    if (!remaining || remaining.length === 0) return next;
    return new Date(Math.min(next.getTime(), now.getTime() + OUTBOX_LIMITS.retryMs));
  }
}
