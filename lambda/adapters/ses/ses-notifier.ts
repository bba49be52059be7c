/**
 * `Notifier` over Amazon SES v2: one SendEmail per message, Simple content with an HTML and a text part
 * in UTF-8.
 */
import { SendEmailCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import { CertbeatError, ConfigurationError, TransientError } from '../../domain/errors.js';
import { sanitizeHeader } from '../../domain/mail/sanitize.js';
import type { MailMessage, Notifier } from '../../domain/ports.js';

export interface SesNotifierOptions {
  client: SESv2Client;
  /** The sender address, a verified SES identity (address or domain). Plain address, no display name. */
  from: string;
  /** SES configuration set for event publishing (bounces, complaints), when the deployment has one. */
  configurationSetName?: string;
}

/** SES's limit on recipients per message. */
const MAX_RECIPIENTS = 50;

// A dot-atom local part and an LDH domain of two or more labels: enough for any address an owner uses,
// and nothing that could carry a header, a comment or a second address.
const LOCAL = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*";
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const ADDRESS = new RegExp(`^${LOCAL}@${LABEL}(?:\\.${LABEL})+$`);

/**
 * Why `value` is not a mail address SES may be given for `field`, or `undefined` when it is one.
 * Line breaks and control characters are named explicitly: they are how header injection is attempted.
 */
export function addressProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return 'is empty; give a mail address such as owner@example.com';
  if (/[\u0000-\u001f\u007f\u2028\u2029]/.test(value)) return 'contains a line break or control character; give one plain mail address';
  if (value.length > 254) return 'is longer than 254 characters';
  if (!ADDRESS.test(value)) return `"${value.slice(0, 100)}" is not a mail address; give one plain address such as owner@example.com`;
  return undefined;
}

function check(field: string, value: unknown, remediation: string): string {
  const problem = addressProblem(value);
  if (problem) throw new ConfigurationError(`${field} ${problem}`, { field, remediation });
  return value as string;
}

interface SdkErrorShape {
  name?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
}

/**
 * Contract (see `Notifier`): validates `from` and every recipient before any call (a bad one throws
 * `ConfigurationError` naming the field, e.g. `to[1]`), sends one message with the subject made
 * header-safe again, and maps SES refusals to `ConfigurationError` with the fix (sender not verified,
 * sandbox, suspended or paused account) and throttling, 5xx and network failures to `TransientError`.
 */
export class SesNotifier implements Notifier {
  private readonly client: SESv2Client;
  private readonly from: string;
  private readonly configurationSetName?: string;

  constructor(options: SesNotifierOptions) {
    this.client = options.client;
    this.from = options.from;
    this.configurationSetName = options.configurationSetName;
  }

  async send(message: MailMessage): Promise<void> {
    const from = check('from', this.from, 'Set the sender (CERTBEAT_SENDER) to one plain, SES-verified mail address.');
    if (!Array.isArray(message.to) || message.to.length === 0) {
      throw new ConfigurationError('to is empty: a mail needs at least one recipient', {
        field: 'to',
        remediation: "Set owners on the certificate, or the deployment's default recipients.",
      });
    }
    const to: string[] = [];
    message.to.forEach((a, i) => {
      const address = check(`to[${i}]`, a, "Correct the address in the certificate's owners (or the default recipients).");
      // One copy per person: the same address twice, in any case, is one recipient.
      if (!to.some((t) => t.toLowerCase() === address.toLowerCase())) to.push(address);
    });
    if (to.length > MAX_RECIPIENTS) {
      throw new ConfigurationError(`to has ${to.length} recipients; SES accepts at most ${MAX_RECIPIENTS} per message`, {
        field: 'to',
        remediation: 'Use a mailing list address as the owner instead of listing every person.',
      });
    }
    const charset = 'UTF-8';
    try {
      await this.client.send(
        new SendEmailCommand({
          FromEmailAddress: from,
          Destination: { ToAddresses: to },
          Content: {
            Simple: {
              Subject: { Data: sanitizeHeader(message.subject), Charset: charset },
              Body: { Html: { Data: message.html, Charset: charset }, Text: { Data: message.text, Charset: charset } },
            },
          },
          ...(this.configurationSetName ? { ConfigurationSetName: this.configurationSetName } : {}),
        }),
      );
    } catch (e) {
      throw e instanceof CertbeatError ? e : this.sendError(e, from, to);
    }
  }

  private sendError(e: unknown, from: string, to: string[]): CertbeatError {
    const err = (typeof e === 'object' && e !== null ? e : {}) as SdkErrorShape;
    const name = err.name ?? 'Error';
    const message = String(err.message ?? e).slice(0, 500);
    const status = err.$metadata?.httpStatusCode;
    const sandbox = 'the SES account is in the sandbox: verify the recipient or request production access';
    const verifySender = `verify the sender identity in SES (${from}, or its domain ${from.split('@')[1]}) in this region`;
    switch (name) {
      case 'MessageRejected': {
        // SES names the identities that failed verification: the sender's means it is not verified; a
        // recipient's means the account is still in the sandbox.
        const listed = new Set((/:([^:]*)$/.exec(message)?.[1] ?? '').split(',').map((x) => x.trim().toLowerCase()).filter(Boolean));
        const senderFailed = listed.has(from.toLowerCase()) || listed.has(from.split('@')[1].toLowerCase());
        const recipientFailed = to.some((a) => listed.has(a.toLowerCase()));
        let fix: string;
        if (!/not verified/i.test(message)) fix = `${verifySender}; if ${sandbox}`;
        else if (senderFailed && recipientFailed) fix = `${verifySender}; ${sandbox}`;
        else if (recipientFailed) fix = sandbox;
        else if (senderFailed) fix = verifySender;
        else fix = `${verifySender}; if ${sandbox}`;
        return new ConfigurationError(`SES rejected the mail: ${message}`, { cause: e, remediation: `${capitalise(fix)}.` });
      }
      case 'MailFromDomainNotVerifiedException':
        return new ConfigurationError(`SES refused the sender's MAIL FROM domain: ${message}`, {
          cause: e,
          remediation: `The custom MAIL FROM domain of ${from} is not verified: publish its MX and SPF records as the SES console shows, or turn the custom MAIL FROM domain off.`,
        });
      case 'AccountSuspendedException':
        return new ConfigurationError(`SES has suspended sending for this account: ${message}`, {
          cause: e,
          remediation: 'Sending resumes only when AWS reinstates the account: see the SES account dashboard (reputation) and the message AWS sent to the account owner.',
        });
      case 'SendingPausedException':
        return new ConfigurationError(`sending is paused in SES: ${message}`, {
          cause: e,
          remediation: `Resume sending for the account${this.configurationSetName ? ` or the configuration set ${this.configurationSetName}` : ''} in the SES console (or with the SES API's sending attributes).`,
        });
      case 'NotFoundException':
        return new ConfigurationError(`SES did not find a resource the mail needs: ${message}`, {
          cause: e,
          field: this.configurationSetName ? 'configurationSetName' : undefined,
          remediation: this.configurationSetName
            ? `Create the configuration set ${this.configurationSetName} in this region, or remove it from certbeat's configuration.`
            : `${capitalise(verifySender)}.`,
        });
      case 'AccessDeniedException':
      case 'AccessDenied':
        return new ConfigurationError(`not allowed to send mail through SES: ${message}`, {
          cause: e,
          remediation: `Allow ses:SendEmail on the identity of ${from} for the renewal function's role (the stack grants it; check for a permissions boundary or service control policy).`,
        });
      case 'TooManyRequestsException':
      case 'ThrottlingException':
      case 'Throttling':
      case 'LimitExceededException':
        return new TransientError(`SES throttled the mail: ${message}`, {
          cause: e,
          remediation: 'Nothing to do: the mail of the next attempt goes out. If this persists, ask for a higher SES sending quota.',
        });
    }
    if (err.$fault === 'server' || (status !== undefined && status >= 500)) {
      return new TransientError(`SES failed (${name}${status ? `, HTTP ${status}` : ''}): ${message}`, {
        cause: e,
        remediation: 'Nothing to do: this is an error on the SES side.',
      });
    }
    if (status === undefined) {
      return new TransientError(`could not reach SES: ${message}`, {
        cause: e,
        remediation: "Nothing to do if this is rare. If it persists, check the function's network path to SES (VPC endpoint or NAT).",
      });
    }
    return new ConfigurationError(`SES refused the mail (${name}): ${message}`, {
      cause: e,
      remediation: `Check the SES setup: ${verifySender}, and if ${sandbox}.`,
    });
  }
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
