/**
 * The AWS JSON 1.1 protocol as ACM and Secrets Manager speak it: `POST /` with
 * `X-Amz-Target: <Prefix>.<Operation>`, a JSON body, and errors as HTTP 400 with
 * `{"__type": "<Code>", "message": "..."}`.
 */
import type { ServerResponse } from 'node:http';
import { authorizationProblem, listen, requestId } from './http.js';

/** An error the operation answers with; `code` becomes `__type`, which the SDK maps to its exception class. */
export class AwsJsonError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export type JsonOperation = (input: Record<string, unknown>) => unknown;

export interface JsonServiceOptions {
  /** X-Amz-Target prefix, e.g. `CertificateManager` or `secretsmanager`. */
  targetPrefix: string;
  /** SigV4 signing name the credential scope must carry, e.g. `acm`. */
  signingName: string;
  operations: Record<string, JsonOperation>;
  /** Called for every request that reached an operation (for test assertions). */
  onCall?: (operation: string) => void;
}

export async function startJsonService(opts: JsonServiceOptions): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const { endpoint, stop } = await listen(
    async (req, body, res) => {
      if (req.method !== 'POST' || (req.url ?? '/').split('?')[0] !== '/') {
        return sendError(res, new AwsJsonError('UnknownOperationException', '', 404));
      }
      const auth = authorizationProblem(req, opts.signingName);
      if (auth) {
        // JSON services name these with the Exception suffix and answer 400.
        const code = auth.code.endsWith('Exception') ? auth.code : `${auth.code}Exception`;
        return sendError(res, new AwsJsonError(code, auth.message));
      }
      const target = String(req.headers['x-amz-target'] ?? '');
      const dot = target.indexOf('.');
      const operation = opts.operations[target.slice(dot + 1)];
      if (dot < 0 || target.slice(0, dot) !== opts.targetPrefix || !operation) {
        return sendError(res, new AwsJsonError('UnknownOperationException', ''));
      }
      let input: unknown;
      try {
        input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
      } catch {
        return sendError(res, new AwsJsonError('SerializationException', 'Start of structure or map found where not expected.'));
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        return sendError(res, new AwsJsonError('SerializationException', 'Start of structure or map found where not expected.'));
      }
      opts.onCall?.(target.slice(dot + 1));
      try {
        const output = operation(input as Record<string, unknown>);
        send(res, 200, output ?? {});
      } catch (err) {
        if (err instanceof AwsJsonError) return sendError(res, err);
        throw err;
      }
    },
    (_req, res, err) => sendError(res, new AwsJsonError('InternalFailure', String(err), 500)),
  );
  return { endpoint, stop };
}

function send(res: ServerResponse, status: number, payload: unknown): void {
  const text = JSON.stringify(payload);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': requestId(),
  });
  res.end(text);
}

function sendError(res: ServerResponse, err: AwsJsonError): void {
  send(res, err.status, { __type: err.code, message: err.message });
}

/** Input helpers that raise the ValidationException text the real services use for a missing member. */
export function requireString(input: Record<string, unknown>, member: string, path = member): string {
  const v = input[member];
  if (typeof v !== 'string' || v.length === 0) {
    throw new AwsJsonError(
      'ValidationException',
      `1 validation error detected: Value null at '${lowerFirst(path)}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return v;
}

export function optionalString(input: Record<string, unknown>, member: string): string | undefined {
  const v = input[member];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new AwsJsonError('SerializationException', `Expected a string for ${member}`);
  return v;
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

/** Seconds since the epoch with millisecond fraction: how awsJson services write timestamps. */
export function epochSeconds(d: Date): number {
  return d.getTime() / 1000;
}
