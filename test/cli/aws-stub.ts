/**
 * A stand-in for the two AWS APIs the CLI reads a deployed stack through, which have no emulator:
 * CloudFormation DescribeStacks (query protocol, XML) and Lambda GetFunctionConfiguration / Invoke
 * (REST JSON). Invoke runs the real event parsing and renewal service on the testbed, as the
 * deployed function would.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRenewalService } from '../../lambda/composition.js';
import { loadRuntimeConfig } from '../../lambda/config.js';
import { parseEvent } from '../../lambda/event.js';
import type { Testbed } from '../testbed/testbed.js';

export interface AwsStub {
  endpoint: string;
  /** Invocation payloads received, in order. */
  invocations: unknown[];
  stop(): Promise<void>;
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export async function startAwsStub(opts: {
  tb: Testbed;
  stackName: string;
  functionName: string;
  /** The function's environment (what the CDK stack sets). */
  functionEnv: Record<string, string>;
  outputs: Record<string, string>;
}): Promise<AwsStub> {
  const invocations: unknown[] = [];
  const server = createServer(async (req, res) => {
    const text = await body(req);
    const url = new URL(req.url ?? '/', 'http://stub');
    const fn = `/2015-03-31/functions/${encodeURIComponent(opts.functionName)}`;
    if (req.method === 'POST' && url.pathname === '/') {
      const form = new URLSearchParams(text);
      if (form.get('Action') !== 'DescribeStacks') return void res.writeHead(400).end();
      if (form.get('StackName') !== opts.stackName) {
        res.writeHead(400, { 'content-type': 'text/xml' });
        return void res.end(
          `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type>` +
            `<Code>ValidationError</Code><Message>Stack with id ${esc(form.get('StackName') ?? '')} does not exist</Message></Error>` +
            `<RequestId>stub</RequestId></ErrorResponse>`,
        );
      }
      const outputs = Object.entries(opts.outputs)
        .map(([k, v]) => `<member><OutputKey>${esc(k)}</OutputKey><OutputValue>${esc(v)}</OutputValue></member>`)
        .join('');
      res.writeHead(200, { 'content-type': 'text/xml' });
      return void res.end(
        `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>` +
          `<StackName>${esc(opts.stackName)}</StackName><StackId>arn:aws:cloudformation:us-east-1:123456789012:stack/${esc(opts.stackName)}/1</StackId>` +
          `<CreationTime>2026-01-01T00:00:00Z</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus><Outputs>${outputs}</Outputs>` +
          `</member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>stub</RequestId></ResponseMetadata></DescribeStacksResponse>`,
      );
    }
    if (req.method === 'GET' && url.pathname === `${fn}/configuration`) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ FunctionName: opts.functionName, Environment: { Variables: opts.functionEnv } }));
    }
    if (req.method === 'POST' && url.pathname === `${fn}/invocations`) {
      const event = JSON.parse(text) as unknown;
      invocations.push(event);
      try {
        const request = parseEvent(event);
        const config = loadRuntimeConfig({ ...opts.tb.env, ...opts.functionEnv });
        const log = { info() {}, warn() {}, error() {} };
        const summary = await createRenewalService(config, opts.tb.clients(), log).run({
          invocationId: 'stub-invocation',
          remainingMs: () => 600_000,
          ids: request.ids,
          force: request.force,
        });
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify(summary));
      } catch (e) {
        res.writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' });
        return void res.end(JSON.stringify({ errorType: (e as Error).name, errorMessage: (e as Error).message }));
      }
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ message: `stub: no route for ${req.method} ${url.pathname}` }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    invocations,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
