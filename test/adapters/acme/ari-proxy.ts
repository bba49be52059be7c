/**
 * A loopback HTTPS proxy in front of pebble for tests: pebble 2.4 has no ARI (RFC 9773), so the proxy
 * adds `renewalInfo` to the directory, answers renewalInfo GETs itself and records newOrder payloads
 * (to see `replaces`) and every exchange (to count calls and badNonce answers); `intercept` answers in
 * the CA's place (e.g. a rate-limit problem). Everything else is forwarded unchanged with the Host header kept, so pebble
 * builds every URL it hands out on the proxy's address. The upstream can be switched (a pebble
 * "restart" behind a stable directory URL).
 */
import { createServer, request as httpsRequest, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { makeListenerTls } from '../../testbed/tls.js';

export interface RenewalInfoAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Exchange {
  method: string;
  /** Path after the origin, e.g. `/order-plz`. */
  path: string;
  /** Decoded JWS protected header and payload of a POST (`payload` undefined for POST-as-GET). */
  jws?: { protected: Record<string, unknown>; payload?: Record<string, unknown> };
  status: number;
  problemType?: string;
  /** The Replay-Nonce the answer handed out. */
  replayNonce?: string;
}

export interface AriProxy {
  /** https://127.0.0.1:PORT/dir */
  directoryUrl: string;
  /** PEM of the CA of the proxy's TLS certificate. */
  tlsCaPem: string;
  /** Cert ids asked for, in order. */
  renewalInfoRequests: string[];
  /** Decoded JSON payloads of newOrder requests, in order. */
  newOrderPayloads: Array<Record<string, unknown>>;
  /** Every exchange, in order: the JWS of a POST decoded, and the problem type of a failed answer. */
  exchanges: Exchange[];
  /** When it returns an answer, the proxy sends that instead of forwarding (e.g. a 429 problem). */
  intercept?: (exchange: Omit<Exchange, 'status' | 'problemType' | 'replayNonce'>) => RenewalInfoAnswer | undefined;
  /** Decides the answer to `GET /renewal-info/<certId>`; by default the window set with `moveWindow`, else 404. */
  answerRenewalInfo: (certId: string) => RenewalInfoAnswer;
  /**
   * Sets the window the default `answerRenewalInfo` gives for `certId` (a drill: a window in the past),
   * with a Retry-After in seconds (default 21600, Let's Encrypt's 6 h).
   */
  moveWindow(certId: string, window: { start: Date; end: Date }, retryAfterSeconds?: number): void;
  /** When set, rewrites authorization objects on their way to the client (e.g. to drop dns-01). */
  rewriteAuthorization?: (authz: { challenges: Array<{ type: string }> } & Record<string, unknown>) => unknown;
  /**
   * Profiles (draft-ietf-acme-profiles) the directory advertises in `meta.profiles` (name → description);
   * undefined: none, as pebble 2.4. Orders placed with a profile get it echoed in the order objects.
   */
  profiles?: Record<string, string>;
  /** newOrder with one of these profiles is answered `invalidProfile` (a profile the CA just retired). */
  refuseProfilesAtNewOrder: Set<string>;
  /** Finalizing an order placed with one of these profiles is answered `invalidProfile`. */
  refuseProfilesAtFinalize: Set<string>;
  /** The profile of every order placed through the proxy, by order URL path. */
  orderProfiles: Map<string, string>;
  /** Points the proxy at another pebble (its base https URL and TLS CA). */
  setUpstream(baseUrl: string, caPem: string): void;
  stop(): Promise<void>;
}

export async function startAriProxy(upstreamBase: string, upstreamCaPem: string): Promise<AriProxy> {
  const tls = await makeListenerTls('certbeat-ari-proxy-');
  const { readFile } = await import('node:fs/promises');
  const [cert, key] = await Promise.all([readFile(tls.certFile), readFile(tls.keyFile)]);
  let upstream = { base: upstreamBase, ca: upstreamCaPem };
  let newOrderPath = '';
  const windows = new Map<string, RenewalInfoAnswer>();

  const proxy: AriProxy = {
    directoryUrl: '',
    tlsCaPem: tls.caPem,
    renewalInfoRequests: [],
    newOrderPayloads: [],
    exchanges: [],
    refuseProfilesAtNewOrder: new Set(),
    refuseProfilesAtFinalize: new Set(),
    orderProfiles: new Map(),
    answerRenewalInfo: (certId) =>
      windows.get(certId) ?? { status: 404, body: { type: 'urn:ietf:params:acme:error:malformed', detail: 'unknown certificate' } },
    moveWindow(certId, window, retryAfterSeconds = 21_600) {
      windows.set(certId, {
        status: 200,
        body: { suggestedWindow: { start: window.start.toISOString(), end: window.end.toISOString() } },
        headers: { 'retry-after': String(retryAfterSeconds) },
      });
    },
    setUpstream(baseUrl, caPem) {
      upstream = { base: baseUrl, ca: caPem };
    },
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await tls.remove();
    },
  };

  const forward = (req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const target = new URL(req.url ?? '/', upstream.base);
      const out = httpsRequest(
        target,
        { method: req.method, headers: { ...req.headers }, ca: upstream.ca, agent: false, servername: target.hostname === '127.0.0.1' ? undefined : target.hostname },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      out.on('error', reject);
      out.end(body);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const path = req.url ?? '/';

    if (req.method === 'GET' && path.startsWith('/renewal-info/')) {
      const certId = decodeURIComponent(path.slice('/renewal-info/'.length));
      proxy.renewalInfoRequests.push(certId);
      const answer = proxy.answerRenewalInfo(certId);
      res.writeHead(answer.status, { 'content-type': 'application/json', ...(answer.headers ?? {}) });
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
      return;
    }
    const exchange: Omit<Exchange, 'status' | 'problemType' | 'replayNonce'> = { method: req.method ?? 'GET', path };
    if (req.method === 'POST') {
      const jws = JSON.parse(body.toString('utf8')) as { protected: string; payload: string };
      const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
      exchange.jws = { protected: decode(jws.protected), payload: jws.payload ? decode(jws.payload) : undefined };
      if (newOrderPath && path === newOrderPath) proxy.newOrderPayloads.push(exchange.jws.payload ?? {});
    }
    const invalidProfile = (detail: string): RenewalInfoAnswer => ({ status: 400, body: { type: 'urn:ietf:params:acme:error:invalidProfile', detail } });
    const orderedProfile = exchange.jws?.payload?.profile;
    const finalizedOf = path.startsWith('/finalize-order/') ? `/my-order/${path.slice('/finalize-order/'.length)}` : undefined;
    const builtIn =
      newOrderPath && path === newOrderPath && typeof orderedProfile === 'string' && proxy.refuseProfilesAtNewOrder.has(orderedProfile)
        ? invalidProfile(`profile ${orderedProfile} is not offered any more`)
        : finalizedOf && proxy.refuseProfilesAtFinalize.has(proxy.orderProfiles.get(finalizedOf) ?? '')
          ? invalidProfile(`profile ${proxy.orderProfiles.get(finalizedOf)} was retired while the order was pending`)
          : undefined;
    const instead = builtIn ?? proxy.intercept?.(exchange);
    if (instead) {
      proxy.exchanges.push({ ...exchange, status: instead.status, problemType: (instead.body as { type?: string } | undefined)?.type });
      res.writeHead(instead.status, { 'content-type': 'application/problem+json', ...(instead.headers ?? {}) });
      res.end(instead.body === undefined ? '' : JSON.stringify(instead.body));
      return;
    }

    const answer = await forward(req, body);
    let problemType: string | undefined;
    if (answer.status >= 400 && String(answer.headers['content-type']).includes('json')) {
      problemType = (JSON.parse(answer.body.toString('utf8')) as { type?: string }).type;
    }
    const replayNonce = answer.headers['replay-nonce'];
    proxy.exchanges.push({ ...exchange, status: answer.status, problemType, replayNonce: typeof replayNonce === 'string' ? replayNonce : undefined });
    let out = answer.body;
    if (req.method === 'GET' && path === '/dir' && answer.status === 200) {
      const directory = JSON.parse(out.toString('utf8')) as Record<string, unknown>;
      newOrderPath = new URL(String(directory.newOrder)).pathname;
      directory.renewalInfo = `https://${req.headers.host}/renewal-info`;
      out = Buffer.from(JSON.stringify(directory));
    }
    if (req.method === 'GET' && path === '/dir' && answer.status === 200 && proxy.profiles) {
      const directory = JSON.parse(out.toString('utf8')) as { meta?: Record<string, unknown> };
      directory.meta = { ...(directory.meta ?? {}), profiles: proxy.profiles };
      out = Buffer.from(JSON.stringify(directory));
    }
    // Echo the ordered profile in the order object, as a CA with profiles does.
    if (newOrderPath && path === newOrderPath && answer.status === 201 && typeof orderedProfile === 'string') {
      const location = answer.headers.location;
      if (typeof location === 'string') proxy.orderProfiles.set(new URL(location).pathname, orderedProfile);
    }
    const echoed = newOrderPath && path === newOrderPath && typeof answer.headers.location === 'string' ? new URL(answer.headers.location).pathname : path;
    const profileOfOrder = proxy.orderProfiles.get(echoed) ?? (finalizedOf ? proxy.orderProfiles.get(finalizedOf) : undefined);
    if (profileOfOrder && answer.status < 300 && String(answer.headers['content-type']).includes('json')) {
      out = Buffer.from(JSON.stringify({ ...(JSON.parse(out.toString('utf8')) as object), profile: profileOfOrder }));
    }
    if (proxy.rewriteAuthorization && path.startsWith('/authZ/') && answer.status === 200) {
      out = Buffer.from(JSON.stringify(proxy.rewriteAuthorization(JSON.parse(out.toString('utf8')))));
    }
    const headers = { ...answer.headers };
    delete headers['content-length'];
    delete headers['transfer-encoding'];
    delete headers.connection;
    res.writeHead(answer.status, headers);
    res.end(out);
  };

  const server: Server = createServer({ cert, key }, (req, res) => {
    handle(req, res).catch((err: Error) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`ari-proxy: ${err.message}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.directoryUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}/dir`;
  return proxy;
}
