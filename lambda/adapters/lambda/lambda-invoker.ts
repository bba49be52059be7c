/**
 * Asynchronous Lambda Invoke (InvocationType Event) as one SigV4-signed HTTPS POST.
 *
 * Why not @aws-sdk/client-lambda: it adds ~150 KiB to the minified bundle (past the 1 MiB budget of
 * issue 11) and its client needs the event-stream serde the bundle leaves out. The Invoke API is one REST
 * call (POST /2015-03-31/functions/{name}/invocations); its signature is checked against
 * @smithy/signature-v4 in test/continuation-event.test.ts.
 */
import { createHash, createHmac } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface LambdaInvokerOptions {
  region: string;
  /** Lambda gives its role's credentials in the environment; resolved at each call (they rotate). */
  credentials: () => Credentials | Promise<Credentials>;
  /** Default: AWS_ENDPOINT_URL_LAMBDA, else https://lambda.<region>.amazonaws.com. */
  endpoint?: string;
  timeoutMs?: number;
}

export interface SignedRequest {
  method: 'POST';
  url: URL;
  headers: Record<string, string>;
  body: string;
}

/** Credentials from the environment, as the Lambda runtime provides them. */
export function environmentCredentials(env: NodeJS.ProcessEnv = process.env): Credentials {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = env;
  if (!accessKeyId || !secretAccessKey) throw new Error('no AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)');
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

const sha256Hex = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
/** RFC 3986 unreserved characters stay; everything else is percent-encoded (SigV4's UriEncode). */
const uriEscape = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The signed request of an asynchronous invoke of `functionName` with `payload`. */
export function signInvoke(
  opts: { region: string; endpoint: string; credentials: Credentials; now?: Date },
  functionName: string,
  payload: unknown,
): SignedRequest {
  const url = new URL(`/2015-03-31/functions/${uriEscape(functionName)}/invocations`, opts.endpoint);
  const body = JSON.stringify(payload);
  const amzDate = (opts.now ?? new Date()).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    host: url.host,
    'x-amz-content-sha256': sha256Hex(body),
    'x-amz-date': amzDate,
    'x-amz-invocation-type': 'Event',
  };
  if (opts.credentials.sessionToken) headers['x-amz-security-token'] = opts.credentials.sessionToken;
  const names = Object.keys(headers).sort();
  const signedHeaders = names.join(';');
  // Non-S3 services: each path segment is encoded once more in the canonical request.
  const canonicalPath = url.pathname.split('/').map(uriEscape).join('/');
  const canonical = ['POST', canonicalPath, '', ...names.map((n) => `${n}:${headers[n].trim()}`), '', signedHeaders, headers['x-amz-content-sha256']].join('\n');
  const scope = `${day}/${opts.region}/lambda/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${opts.credentials.secretAccessKey}`, day), opts.region), 'lambda'), 'aws4_request');
  const signature = createHmac('sha256', key).update(toSign, 'utf8').digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${opts.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return { method: 'POST', url, headers, body };
}

export class LambdaInvoker {
  constructor(private readonly opts: LambdaInvokerOptions) {}

  /** Queues an asynchronous invocation; resolves with Lambda's status (202), rejects on any other answer. */
  async invokeAsync(functionName: string, payload: unknown): Promise<number> {
    const endpoint = this.opts.endpoint ?? process.env.AWS_ENDPOINT_URL_LAMBDA ?? `https://lambda.${this.opts.region}.amazonaws.com`;
    const signed = signInvoke({ region: this.opts.region, endpoint, credentials: await this.opts.credentials() }, functionName, payload);
    const send = signed.url.protocol === 'http:' ? httpRequest : httpsRequest;
    return new Promise<number>((resolve, reject) => {
      const req = send(signed.url, { method: signed.method, headers: signed.headers, timeout: this.opts.timeoutMs ?? 10_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(status);
          else {
            const text = Buffer.concat(chunks).toString('utf8').slice(0, 500);
            const type = res.headers['x-amzn-errortype'];
            reject(new Error(`Lambda Invoke answered ${status}${type ? ` ${String(type)}` : ''}: ${text}`));
          }
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('Lambda Invoke timed out')));
      req.on('error', reject);
      req.end(signed.body);
    });
  }
}
