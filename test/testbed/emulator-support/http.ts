/**
 * Small node:http plumbing shared by the testbed's AWS emulators (Route 53, ACM, Secrets Manager):
 * listening on an ephemeral loopback port, reading bodies, the Authorization check the real
 * services make before anything else, and request ids.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export type Handler = (req: IncomingMessage, body: Buffer, res: ServerResponse) => Promise<void>;

/** Largest request body accepted; AWS APIs refuse far smaller documents, this only guards the test process. */
const MAX_BODY = 8 * 1024 * 1024;

/** Starts `handler` on 127.0.0.1 port 0; resolves with the endpoint URL and a stop function. */
export async function listen(
  handler: Handler,
  onCrash: (req: IncomingMessage, res: ServerResponse, err: unknown) => void,
): Promise<{ server: Server; endpoint: string; stop(): Promise<void> }> {
  const server = createServer((req, res) => {
    readBody(req)
      .then((body) => handler(req, body, res))
      .catch((err: unknown) => {
        if (!res.headersSent) onCrash(req, res, err);
        else res.destroy();
      });
  });
  // Keep-alive sockets would hold stop() open; the SDK reconnects transparently.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * What the real endpoints check before the operation runs: a SigV4 Authorization header whose
 * credential scope names this service. The signature itself is not verified (dummy credentials).
 * Returns undefined when acceptable, else the error code and message AWS sends.
 */
export function authorizationProblem(
  req: IncomingMessage,
  service: string,
): { code: string; message: string } | undefined {
  const auth = req.headers.authorization;
  if (!auth) return { code: 'MissingAuthenticationToken', message: 'Missing Authentication Token' };
  const m = /^AWS4-HMAC-SHA256 Credential=([^/\s]+)\/(\d{8})\/([^/\s]+)\/([^/\s]+)\/aws4_request,\s*SignedHeaders=[^,\s]+,\s*Signature=[0-9a-f]+$/.exec(
    auth,
  );
  if (!m) {
    return {
      code: 'IncompleteSignature',
      message: `Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters. Authorization=${auth.split(' ')[0]}`,
    };
  }
  if (m[4] !== service) {
    return {
      code: 'InvalidSignatureException',
      message: `Credential should be scoped to correct service: '${service}'. `,
    };
  }
  return undefined;
}

export function requestId(): string {
  return randomUUID();
}
