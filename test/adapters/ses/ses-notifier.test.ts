import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SesNotifier, addressProblem } from '../../../lambda/adapters/ses/ses-notifier.js';
import { ConfigurationError, TransientError } from '../../../lambda/domain/errors.js';
import { renderNotice } from '../../../lambda/domain/mail/render.js';
import type { InvalidItemNotice } from '../../../lambda/domain/notices.js';
import { startSes, type SesCapture } from '../../testbed/ses.js';

const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };
const FROM = 'certbeat@example.com';

let ses: SesCapture;
let client: SESv2Client;

beforeAll(async () => {
  ses = await startSes();
  client = new SESv2Client({ endpoint: ses.endpoint, region: 'us-east-1', credentials });
});
afterAll(async () => {
  client?.destroy();
  await ses?.stop();
});
beforeEach(async () => ses.clear());

const notice: InvalidItemNotice = {
  kind: 'invalid',
  item: { id: 'legacy-api', problems: ['keyType: must be one of ec256, ec384, rsa2048, rsa3072, rsa4096'], owners: [] },
};

describe('SesNotifier against aws-ses-v2-local', () => {
  it('delivers subject, HTML and text to every recipient', async () => {
    const mail = renderNotice(notice, { now: new Date('2026-11-24T09:30:00Z') });
    await new SesNotifier({ client, from: FROM }).send({ to: ['owner@example.com', 'ops@example.org'], ...mail });
    const [captured, ...rest] = await ses.mails();
    expect(rest).toEqual([]);
    expect(captured.from).toBe(FROM);
    expect(captured.to).toEqual(['owner@example.com', 'ops@example.org']);
    expect(captured.subject).toBe("certbeat: inventory item 'legacy-api' is invalid");
    expect(captured.html?.trim()).toBe(mail.html.trim());
    expect(captured.text?.trim()).toBe(mail.text.trim());
    expect(captured.bcc).toEqual([]);
  });

  it('sends one copy to a recipient listed twice', async () => {
    await new SesNotifier({ client, from: FROM }).send({ to: ['owner@example.com', 'Owner@Example.com'], subject: 's', html: '<p>h</p>', text: 't' });
    expect((await ses.mails())[0].to).toEqual(['owner@example.com']);
  });

  it('keeps a subject that carries a line break on one line, with no extra recipient', async () => {
    await new SesNotifier({ client, from: FROM }).send({ to: ['owner@example.com'], subject: 'x\r\nBcc: evil@example.com', html: '<p>h</p>', text: 't' });
    const [captured] = await ses.mails();
    expect(captured.subject).toBe('x Bcc: evil@example.com');
    expect(captured.bcc).toEqual([]);
    expect(captured.to).toEqual(['owner@example.com']);
  });

  it('refuses a bad recipient before any call, naming the field', async () => {
    const err = await new SesNotifier({ client, from: FROM })
      .send({ to: ['owner@example.com', 'x\r\nBcc: evil@example.com'], subject: 's', html: 'h', text: 't' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err.field).toBe('to[1]');
    expect(err.message).toMatch(/line break/);
    expect(await ses.mails()).toEqual([]);
  });
});

describe('SesNotifier validation', () => {
  // A client aimed at a closed port: any call would fail as TransientError, so a ConfigurationError
  // proves the notifier refused before calling SES.
  let unreachable: SESv2Client;
  beforeAll(async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const { port } = s.address() as AddressInfo;
    await new Promise<void>((r) => s.close(() => r()));
    unreachable = new SESv2Client({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials, maxAttempts: 1 });
  });
  afterAll(() => unreachable?.destroy());

  it.each([
    ['from', { from: 'certbeat@example.com\nBcc: x@example.com', to: ['a@example.com'] }],
    ['from', { from: 'not an address', to: ['a@example.com'] }],
    ['to', { from: FROM, to: [] }],
    ['to[0]', { from: FROM, to: ['Evil <evil@example.com>'] }],
    ['to[2]', { from: FROM, to: ['a@example.com', 'b@example.com', 'c@example.com,d@example.com'] }],
    ['to', { from: FROM, to: Array.from({ length: 51 }, (_, i) => `u${i}@example.com`) }],
  ])('refuses %s before any call', async (field, { from, to }) => {
    const err = await new SesNotifier({ client: unreachable, from }).send({ to, subject: 's', html: 'h', text: 't' }).catch((e) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err.field).toBe(field);
  });

  it('an unreachable SES is a transient error', async () => {
    const err = await new SesNotifier({ client: unreachable, from: FROM }).send({ to: ['a@example.com'], subject: 's', html: 'h', text: 't' }).catch((e) => e);
    expect(err).toBeInstanceOf(TransientError);
  });

  it('addressProblem accepts plain addresses only', () => {
    expect(addressProblem('first.last+tag@sub.example.co.uk')).toBeUndefined();
    expect(addressProblem('owner@localhost')).toMatch(/not a mail address/);
    expect(addressProblem('a@b.example.com\r')).toMatch(/line break/);
    expect(addressProblem('')).toMatch(/empty/);
  });
});

/** An SES v2 endpoint that answers every call with one error and records request bodies. */
async function failingSes(type: string, status: number, message: string) {
  const bodies: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazonaws.sesv2/`, 'x-amzn-requestid': 'test' });
      res.end(JSON.stringify({ message }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const c = new SESv2Client({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials, maxAttempts: 1 });
  return { client: c, bodies, close: () => new Promise<void>((r) => { c.destroy(); server.close(() => r()); }) };
}

describe('SesNotifier error classes', () => {
  const region = 'The following identities failed the check in region US-EAST-1';
  it.each([
    ['MessageRejected', 400, `Email address is not verified. ${region}: owner@example.com`, ConfigurationError, /^The SES account is in the sandbox: verify the recipient or request production access\.$/],
    ['MessageRejected', 400, `Email address is not verified. ${region}: ${FROM}`, ConfigurationError, /^Verify the sender identity in SES \(certbeat@example\.com, or its domain example\.com\)/],
    ['MailFromDomainNotVerifiedException', 400, 'MAIL FROM domain not verified', ConfigurationError, /MAIL FROM/],
    ['AccountSuspendedException', 400, 'account suspended', ConfigurationError, /reinstates/],
    ['SendingPausedException', 400, 'sending paused', ConfigurationError, /Resume sending/],
    ['TooManyRequestsException', 429, 'Maximum sending rate exceeded.', TransientError, /next attempt/],
    ['InternalServiceErrorException', 500, 'oops', TransientError, /SES side/],
  ] as const)('%s (%s) becomes the right error', async (type, status, message, errorClass, remediation) => {
    const failing = await failingSes(type, status, message);
    try {
      const err = await new SesNotifier({ client: failing.client, from: FROM, configurationSetName: 'certbeat-events' })
        .send({ to: ['owner@example.com'], subject: 's', html: 'h', text: 't' })
        .catch((e) => e);
      expect(err).toBeInstanceOf(errorClass);
      expect(err.remediation).toMatch(remediation);
      expect(err.cause).toBeDefined();
      // The request really went out, in the SES v2 Simple content shape.
      const body = JSON.parse(failing.bodies[0]);
      expect(body).toMatchObject({
        FromEmailAddress: FROM,
        Destination: { ToAddresses: ['owner@example.com'] },
        ConfigurationSetName: 'certbeat-events',
        Content: { Simple: { Subject: { Data: 's', Charset: 'UTF-8' }, Body: { Html: { Data: 'h', Charset: 'UTF-8' }, Text: { Data: 't', Charset: 'UTF-8' } } } },
      });
    } finally {
      await failing.close();
    }
  });
});
