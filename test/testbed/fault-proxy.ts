/**
 * A loopback fault proxy for any testbed HTTP(S) endpoint. It forwards each request to its upstream
 * unchanged (Host header included, so pebble keeps writing URLs that point at the proxy) and, when a
 * rule a test injected at run time says so, answers with the service's own throttling error, a 5xx
 * before or after the request took effect, or a dropped connection. It counts calls per operation so
 * a test can assert "ImportCertificate was sent exactly once".
 *
 * For an HTTPS upstream (pebble) it terminates TLS with a certificate the clients already trust (the
 * testbed's listener certificate covers 127.0.0.1 on any port) and opens its own TLS connection
 * upstream; request-level faults need to see the request, which a TCP pass-through would not.
 */
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { FaultBook, type FaultRule, type InjectedFault, type ProxiedCall } from './fault-proxy/rules.js';
import { plainHttp, type CannedResponse, type WireProtocol } from './fault-proxy/protocols.js';

export type { FaultKind, FaultRule, InjectedFault, ProxiedCall } from './fault-proxy/rules.js';
export * as protocols from './fault-proxy/protocols.js';

/** TLS material for a proxy in front of an HTTPS upstream. */
export interface FaultProxyTls {
  /** PEM files of the certificate and key the proxy presents (e.g. pebble's listener certificate). */
  certFile: string;
  keyFile: string;
  /** PEM of the CA the upstream's certificate chains to. */
  upstreamCaPem: string;
}

export interface FaultProxyOptions {
  /** Base URL of the service, `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`. */
  upstream: string;
  /** How operations are named and errors worded; default: plain HTTP (method + path). */
  protocol?: WireProtocol;
  /** Required when `upstream` is https: the proxy then listens with TLS too. */
  tls?: FaultProxyTls;
}

/** Programs faults and reads call counts; every change applies to the next request, no restart. */
export interface FaultControl {
  /** Adds a rule; see {@link FaultRule}. Rules are tried in the order injected. */
  inject(rule: FaultRule): InjectedFault;
  /** Removes every rule. */
  clear(): void;
  /** Calls received for `operation` (bare name such as `ImportCertificate`, or the whole X-Amz-Target), or all. */
  calls(operation?: string): number;
  /** Every call received, oldest first, with the fault applied and whether it reached the service. */
  requests(operation?: string): ProxiedCall[];
  /** Forgets the call log. */
  resetCalls(): void;
}

/** A running fault proxy. */
export interface FaultProxy extends FaultControl {
  /** Where clients connect: same scheme as the upstream, 127.0.0.1, an ephemeral port. */
  endpoint: string;
  upstream: string;
  /** Closes the listener and every connection; idempotent. */
  stop(): Promise<void>;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) plus those the proxy recomputes because it buffers bodies. */
const NOT_FORWARDED = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'content-length']);

function forwardableHeaders(headers: IncomingMessage['headers']): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !NOT_FORWARDED.has(k)) out[k] = v;
  return out;
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

interface UpstreamAnswer {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
  /** The upstream's Content-Length header (kept for HEAD answers). */
  length?: string;
}

/** Starts a proxy on 127.0.0.1 port 0 in front of `opts.upstream`. */
export async function startFaultProxy(opts: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = new URL(opts.upstream);
  const secure = upstream.protocol === 'https:';
  if (secure && !opts.tls) throw new Error(`fault proxy: ${opts.upstream} is https, so tls (certificate, key, upstream CA) is required`);
  const protocol = opts.protocol ?? plainHttp;
  const book = new FaultBook();

  /** Sends the buffered request upstream on a fresh connection; resolves with the whole answer. */
  const forward = (req: IncomingMessage, body: Buffer): Promise<UpstreamAnswer> =>
    new Promise((resolve, reject) => {
      const send = secure ? httpsRequest : httpRequest;
      const out = send(
        {
          protocol: upstream.protocol,
          hostname: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...forwardableHeaders(req.headers), 'content-length': String(body.length) },
          // No pooling: a restarted upstream (pebble.restart) must not meet a stale socket.
          agent: false,
          ...(secure ? { ca: opts.tls!.upstreamCaPem } : {}),
        },
        (res) => {
          readAll(res).then(
            (buf) => resolve({ status: res.statusCode ?? 502, headers: forwardableHeaders(res.headers), body: buf, length: res.headers['content-length'] }),
            reject,
          );
        },
      );
      out.on('error', reject);
      out.end(body);
    });

  const reply = (res: ServerResponse, answer: UpstreamAnswer | CannedResponse, upstreamLength?: string | string[]) => {
    const body = Buffer.isBuffer(answer.body) ? answer.body : Buffer.from(answer.body, 'utf8');
    const headers: Record<string, string | string[]> = { ...answer.headers };
    // A HEAD answer has no body but tells the length of the GET one; 204 and 304 carry no length at all.
    if (res.req.method === 'HEAD') {
      if (upstreamLength !== undefined) headers['content-length'] = upstreamLength;
    } else if (answer.status !== 204 && answer.status !== 304) {
      headers['content-length'] = String(body.length);
    }
    res.writeHead(answer.status, headers);
    res.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readAll(req);
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const target = typeof req.headers['x-amz-target'] === 'string' ? req.headers['x-amz-target'] : undefined;
    const { call, rule } = book.decide({ operation: protocol.operationOf(method, path, req.headers), target, method, path });

    switch (rule?.fault) {
      case 'dropBeforeForward':
        req.socket.destroy();
        return;
      case 'throttle':
        return reply(res, protocol.throttle(rule.code));
      case 'errorBeforeCommit':
        return reply(res, protocol.serverError(rule.status ?? 500));
      default:
        break;
    }

    let answer: UpstreamAnswer;
    try {
      answer = await forward(req, body);
      call.forwarded = true;
    } catch (err) {
      // The upstream is down or hung up: what a load balancer in front of it would answer.
      return reply(res, { status: 502, headers: { 'content-type': 'text/plain' }, body: `fault proxy: upstream failed: ${(err as Error).message}` });
    }
    if (rule?.fault === 'dropAfterForward') {
      req.socket.destroy();
      return;
    }
    if (rule?.fault === 'errorAfterCommit') return reply(res, protocol.serverError(rule.status ?? 500));
    reply(res, answer, answer.length);
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) res.destroy();
      else reply(res, { status: 502, headers: { 'content-type': 'text/plain' }, body: `fault proxy: ${(err as Error).message}` });
    });
  };

  const server: Server = secure
    ? createHttpsServer({ cert: readFileSync(opts.tls!.certFile), key: readFileSync(opts.tls!.keyFile) }, onRequest)
    : createHttpServer(onRequest);
  // Idle keep-alive sockets would hold stop() open; clients reconnect transparently.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  let stopped: Promise<void> | undefined;
  return {
    endpoint: `${upstream.protocol}//127.0.0.1:${port}`,
    upstream: opts.upstream,
    inject: (rule) => book.inject(rule),
    clear: () => book.clearFaults(),
    calls: (operation) => book.calls(operation),
    requests: (operation) => book.requests(operation),
    resetCalls: () => book.resetCalls(),
    stop: () =>
      (stopped ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      })),
  };
}
