/**
 * Renders a notice and mails it to the certificate's owners (or the deployment's default recipients).
 * A mail that cannot be sent is logged, never thrown: it must not undo a renewal or stop the run.
 */
import { renderNotice } from './mail/render.js';
import type { Notice } from './notices.js';
import type { Clock, Notifier, RunLog } from './ports.js';
import { toCertbeatError } from './errors.js';

export class NoticeSender {
  constructor(
    private readonly deps: { notifier: Notifier; clock: Clock; log: RunLog; defaultRecipients: string[] },
  ) {}

  /** Sends the notice; resolves to whether a mail went out. */
  async send(notice: Notice, owners: string[]): Promise<boolean> {
    const to = owners.length > 0 ? owners : this.deps.defaultRecipients;
    const id = notice.kind === 'invalid' ? notice.item.id : notice.record.id;
    if (to.length === 0) {
      this.deps.log.warn('no recipient for notice: set owners on the certificate or default recipients', { id, kind: notice.kind });
      return false;
    }
    try {
      const mail = renderNotice(notice, { now: this.deps.clock.now() });
      await this.deps.notifier.send({ to, ...mail });
      return true;
    } catch (e) {
      const err = toCertbeatError(e);
      this.deps.log.error('mail not sent', { id, kind: notice.kind, errorClass: err.name, error: err.message, fix: err.remediation });
      return false;
    }
  }
}
