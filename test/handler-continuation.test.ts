/**
 * A fleet larger than one run continues the same day: the handler on the testbed, with a short remaining
 * time, invokes its own function asynchronously through the real Lambda SDK client, here reaching a small
 * local HTTP server that stands in for the Lambda Invoke API (AWS_ENDPOINT_URL_LAMBDA).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MAX_CONTINUATIONS } from '../lambda/event.js';
import { startPipeline, type Pipeline } from './support/pipeline.js';

type RunSummary = import('../lambda/domain/run-summary.js').RunSummary;
interface Captured {
  method: string;
  path: string;
  invocationType: string | undefined;
  authorization: string | undefined;
  body: unknown;
}

let p: Pipeline;
let lambdaApi: Server;
const invokes: Captured[] = [];
let invoke: typeof import('../lambda/handler.js').handler;
const handler = async (event: unknown, ctx: Context) => (await invoke(event, ctx)) as RunSummary;
const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:certbeat-Renewer';

function context(requestId: string, remainingMs: number): Context {
  return {
    awsRequestId: requestId,
    getRemainingTimeInMillis: () => remainingMs,
    functionName: 'certbeat-Renewer',
    invokedFunctionArn: FUNCTION_ARN,
  } as unknown as Context;
}

beforeAll(async () => {
  lambdaApi = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      invokes.push({
        method: req.method ?? '',
        path: decodeURIComponent(req.url ?? ''),
        invocationType: req.headers['x-amz-invocation-type'] as string | undefined,
        authorization: req.headers.authorization,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      });
      // What Lambda answers an accepted asynchronous invocation.
      res.writeHead(202, { 'content-type': 'application/json', 'x-amzn-requestid': 'local' }).end();
    });
  });
  await new Promise<void>((resolve) => lambdaApi.listen(0, '127.0.0.1', resolve));
  p = await startPipeline();
  await p.tb.route53.createZone('more.test');
  Object.assign(process.env, p.tb.env, {
    AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${(lambdaApi.address() as AddressInfo).port}`,
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  ({ handler: invoke } = await import('../lambda/handler.js'));
});
afterAll(async () => {
  await p?.stop();
  await new Promise((resolve) => lambdaApi?.close(resolve));
});
beforeEach(() => {
  invokes.length = 0;
});

describe('handler: continuation of a run that stopped for time', () => {
  it('invokes itself asynchronously with {"action":"run","reason":"continuation"}, and the continuation finishes the work the same day', async () => {
    for (const id of ['big-1', 'big-2']) await p.add({ id, names: [`${id}.more.test`, `*.${id}.more.test`] });

    // The scheduled run has 30 s left: too little to start, so everything is left over.
    const first = await handler({ source: 'certbeat.schedule' }, context('schedule', 30_000));
    expect(first.renewed).toEqual([]);
    expect(first.skipped.map((s) => s.reason)).toEqual(['out of time: left for the next run', 'out of time: left for the next run']);
    expect(invokes).toHaveLength(1);
    const [sent] = invokes;
    expect(sent.method).toBe('POST');
    expect(sent.path).toBe(`/2015-03-31/functions/${FUNCTION_ARN}/invocations`);
    expect(sent.invocationType).toBe('Event');
    expect(sent.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=\w+\/\d+\/us-east-1\/lambda\/aws4_request/);
    expect(sent.body).toEqual({ action: 'run', reason: 'continuation', continuation: 1 });

    // Lambda delivers that event: the continuation (with a whole run's time) renews both and sends no further one.
    invokes.length = 0;
    const second = await handler(sent.body, context('continuation-1', 900_000));
    expect(second.renewed.map((r) => r.id).sort()).toEqual(['big-1', 'big-2']);
    expect(second.skipped).toEqual([]);
    expect(invokes).toEqual([]);
  });

  it('counts the continuations and stops the chain at its bound', async () => {
    await p.add({ id: 'tail', names: ['tail.more.test'] });
    await handler({ action: 'run', reason: 'continuation', continuation: 4 }, context('continuation-4', 30_000));
    expect(invokes.map((i) => i.body)).toEqual([{ action: 'run', reason: 'continuation', continuation: 5 }]);

    invokes.length = 0;
    const last = await handler({ action: 'run', reason: 'continuation', continuation: MAX_CONTINUATIONS }, context('continuation-last', 30_000));
    expect(last.skipped).toEqual([{ id: 'tail', reason: 'out of time: left for the next run' }]);
    expect(invokes).toEqual([]);
  });

  it('does not continue a "renew now" of one certificate (it is not a fleet run)', async () => {
    await handler({ action: 'renew', certificateId: 'tail' }, context('renew-now', 30_000));
    expect(invokes).toEqual([]);
  });
});
