/**
 * Renders a notice and mails it to the certificate's owners (or the deployment's default recipients).
 * A mail that cannot be sent is never thrown: it must not undo a renewal or stop the run. It comes back
 * rendered as an `OwedMail`, which the caller keeps in the outbox.
 */
import { renderNotice, type MailSettings } from './mail/render.js';
import type { OwedMail } from './model.js';
import type { Notice } from './notices.js';
import type { Clock, Notifier, RunLog } from './ports.js';
import { toCertbeatError } from './errors.js';

export type SendResult = { sent: true } | { sent: false; owed?: OwedMail; error: string };

export class NoticeSender {
  constructor(
    private readonly deps: { notifier: Notifier; clock: Clock; log: RunLog; defaultRecipients: string[]; mailSettings?: MailSettings },
  ) {}

  /** Sends the notice. Not sent: `owed` holds the rendered mail to send again (absent when no recipient). */
  async send(notice: Notice, owners: string[]): Promise<SendResult> {
    const to = owners.length > 0 ? owners : this.deps.defaultRecipients;
    const id = notice.kind === 'invalid' ? notice.item.id : notice.record.id;
    if (to.length === 0) {
      this.deps.log.warn('no recipient for notice: set owners on the certificate or default recipients', { id, kind: notice.kind });
      return { sent: false, error: 'no recipient' };
    }
    const now = this.deps.clock.now();
    let mail: { subject: string; html: string; text: string };
    try {
      mail = renderNotice(notice, { now, ...this.deps.mailSettings });
    } catch (e) {
      const err = toCertbeatError(e);
      this.deps.log.error('mail not rendered', { id, kind: notice.kind, error: err.message });
      return { sent: false, error: err.message };
    }
    try {
      await this.deps.notifier.send({ to, ...mail });
      return { sent: true };
    } catch (e) {
      const err = toCertbeatError(e);
      this.deps.log.error('mail not sent', { id, kind: notice.kind, errorClass: err.name, error: err.message, fix: err.remediation });
      const owed: OwedMail | undefined =
        notice.kind === 'invalid' ? undefined : { kind: notice.kind, to, ...mail, since: now.toISOString(), attempts: 1, lastError: err.message.slice(0, 500) };
      return { sent: false, owed, error: err.message };
    }
  }
}
