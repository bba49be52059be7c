import { describe, expect, it } from 'vitest';
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { LambdaInvoker, signInvoke } from '../lambda/adapters/lambda/lambda-invoker.js';
import { invokeContinuation, stoppedForTime } from '../lambda/continuation.js';
import { emptySummary } from '../lambda/domain/run-summary.js';
import { ConfigurationError } from '../lambda/domain/errors.js';
import { MAX_CONTINUATIONS, nextContinuation, parseEvent } from '../lambda/event.js';

describe('continuation events', () => {
  it('parses a continuation with its counter (1 when absent)', () => {
    expect(parseEvent({ action: 'run', reason: 'continuation', continuation: 3 })).toEqual({ trigger: 'continuation', continuation: 3 });
    expect(parseEvent({ action: 'run', reason: 'continuation' })).toEqual({ trigger: 'continuation', continuation: 1 });
    // Other run events are unchanged.
    expect(parseEvent({ action: 'run' })).toEqual({ trigger: 'manual' });
    expect(parseEvent({ action: 'run', reason: 'deploy' })).toEqual({ trigger: 'deploy' });
  });

  it('refuses a counter that is not a small positive integer', () => {
    for (const continuation of [0, -1, 1.5, '2', 10_000]) {
      expect(() => parseEvent({ action: 'run', reason: 'continuation', continuation })).toThrow(ConfigurationError);
    }
  });

  it('asks for the next continuation up to the bound, and none for single-certificate triggers', () => {
    expect(nextContinuation({ trigger: 'schedule' })).toEqual({ action: 'run', reason: 'continuation', continuation: 1 });
    expect(nextContinuation({ trigger: 'deploy' })).toEqual({ action: 'run', reason: 'continuation', continuation: 1 });
    expect(nextContinuation(parseEvent({ action: 'run', reason: 'continuation', continuation: 2 }))).toEqual({ action: 'run', reason: 'continuation', continuation: 3 });
    expect(nextContinuation({ trigger: 'continuation', continuation: MAX_CONTINUATIONS - 1 })?.continuation).toBe(MAX_CONTINUATIONS);
    expect(nextContinuation({ trigger: 'continuation', continuation: MAX_CONTINUATIONS })).toBeUndefined();
    expect(nextContinuation({ trigger: 'renew-now', ids: ['x'], force: true })).toBeUndefined();
    expect(nextContinuation({ trigger: 'acm-expiry', ids: ['x'] })).toBeUndefined();
    expect(nextContinuation({ trigger: 'digest' })).toBeUndefined();
    // Every continuation event the handler sends parses back to the same counter.
    const sent = nextContinuation({ trigger: 'continuation', continuation: 5 })!;
    expect(parseEvent(JSON.parse(JSON.stringify(sent)))).toEqual({ trigger: 'continuation', continuation: 6 });
  });

  it('continues only when the run left work for lack of time', () => {
    expect(stoppedForTime(emptySummary())).toBe(false);
    expect(stoppedForTime({ ...emptySummary(), skipped: [{ id: 'x', reason: 'lease held by another run' }] })).toBe(false);
    expect(stoppedForTime({ ...emptySummary(), skipped: [{ id: 'x', reason: 'out of time: left for the next run' }] })).toBe(true);
  });

  it('never throws when the invoke fails: the next schedule picks the work up', async () => {
    const warned: unknown[] = [];
    const log = { info: () => undefined, warn: (m: string, a?: Record<string, unknown>) => warned.push({ m, a }), error: () => undefined };
    const invoker = new LambdaInvoker({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials: () => ({ accessKeyId: 'AKIATEST', secretAccessKey: 'x' }) });
    expect(await invokeContinuation(invoker, 'certbeat', { action: 'run', reason: 'continuation', continuation: 1 }, log)).toBe(false);
    expect(warned).toHaveLength(1);
  });

  it('signs the Invoke request exactly as the AWS SDK signer does (function ARN in the path, session token)', async () => {
    /** sha256 / HMAC-sha256 in the shape the smithy signer takes. */
    type Data = string | ArrayBuffer | ArrayBufferView;
    const bytes = (d: Data) =>
      typeof d === 'string' ? Buffer.from(d) : ArrayBuffer.isView(d) ? Buffer.from(d.buffer, d.byteOffset, d.byteLength) : Buffer.from(d);
    class Sha256 {
      private readonly h;
      constructor(secret?: Data) {
        this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
      }
      update(data: Data) {
        this.h.update(bytes(data));
      }
      async digest() {
        return new Uint8Array(this.h.digest());
      }
    }
    const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'token/with+chars=' };
    const now = new Date('2026-12-03T14:05:06Z');
    const fn = 'arn:aws:lambda:eu-west-1:123456789012:function:certbeat-Renewer';
    const mine = signInvoke({ region: 'eu-west-1', endpoint: 'https://lambda.eu-west-1.amazonaws.com', credentials, now }, fn, { action: 'run', reason: 'continuation', continuation: 2 });
    expect(mine.url.pathname).toBe('/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Afunction%3Acertbeat-Renewer/invocations');
    const { authorization, ...unsigned } = mine.headers;
    const signer = new SignatureV4({ credentials, region: 'eu-west-1', service: 'lambda', sha256: Sha256 });
    const theirs = await signer.sign(
      { method: 'POST', protocol: 'https:', hostname: mine.url.hostname, path: mine.url.pathname, query: {}, headers: { ...unsigned }, body: mine.body },
      { signingDate: now },
    );
    expect(authorization).toBe(theirs.headers.authorization);
  });
});
