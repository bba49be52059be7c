import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFile } from 'node:fs/promises';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcmeHttp, secureContextFor } from '../../../lambda/adapters/acme/acme-http.js';
import { ConfigurationError, TransientError } from '../../../lambda/domain/errors.js';
import { freePort } from '../../testbed/ports.js';
import { makeListenerTls, type ListenerTls } from '../../testbed/tls.js';

/** A plain HTTP server whose answers the tests choose per path; counts requests per path. */
let server: Server;
let base: string;
const hits = new Map<string, number>();
const routes: Record<string, (res: import('node:http').ServerResponse) => void> = {
  '/not-found': (res) => res.writeHead(404).end('no'),
  '/html': (res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>hello</html>'),
  '/unavailable': (res) => res.writeHead(503).end('down'),
  '/limited': (res) =>
    res
      .writeHead(429, { 'content-type': 'application/problem+json', 'retry-after': '3600' })
      .end(JSON.stringify({ type: 'urn:ietf:params:acme:error:rateLimited', detail: 'slow down' })),
};
// Accepts connections and never answers.
let silent: ReturnType<typeof createTcpServer>;
const silentSockets = new Set<Socket>();
let silentUrl: string;
let tls: ListenerTls;
let tlsServer: ReturnType<typeof createHttpsServer>;
let tlsUrl: string;

beforeAll(async () => {
  server = createHttpServer((req, res) => {
    hits.set(req.url ?? '', (hits.get(req.url ?? '') ?? 0) + 1);
    (routes[req.url ?? ''] ?? ((r) => r.writeHead(500).end()))(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  silent = createTcpServer((socket) => {
    silentSockets.add(socket);
    socket.on('close', () => silentSockets.delete(socket));
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/dir`;

  tls = await makeListenerTls('certbeat-acme-http-');
  tlsServer = createHttpsServer({ cert: await readFile(tls.certFile), key: await readFile(tls.keyFile) }, (_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"newOrder":"x"}'),
  );
  await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', r));
  tlsUrl = `https://127.0.0.1:${(tlsServer.address() as AddressInfo).port}/dir`;
});

afterAll(async () => {
  for (const s of silentSockets) s.destroy();
  await Promise.all([
    new Promise((r) => server.close(r)),
    new Promise((r) => silent.close(r)),
    new Promise((r) => tlsServer.close(r)),
  ]);
  await tls?.remove();
});

describe('AcmeHttp', () => {
  it('explains a timeout: which URL and how long', async () => {
    const http = new AcmeHttp({ timeoutMs: 300 });
    const err = await http.request(silentUrl, silentUrl, 'get').catch((e) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toBe(`no answer from the ACME server ${silentUrl} within 0.3 s (GET ${silentUrl})`);
  });

  it('keeps every exchange inside the operation\'s deadline', async () => {
    const http = new AcmeHttp({ timeoutMs: 30_000 });
    const started = Date.now();
    const slow = await http.withDeadline(new Date(Date.now() + 300), () => http.request(silentUrl, silentUrl, 'get')).catch((e) => e);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(slow).toBeInstanceOf(TransientError);
    const before = hits.get('/html') ?? 0;
    const late = await http.withDeadline(new Date(Date.now() - 1), () => http.request(`${base}/dir`, `${base}/html`, 'get')).catch((e) => e);
    expect(late).toBeInstanceOf(TransientError);
    expect(late.message).toContain('deadline');
    expect(hits.get('/html') ?? 0).toBe(before); // nothing was sent
  });

  it('reports a refused connection at once, with the real cause (no hidden 75 s of retries)', async () => {
    const url = `http://127.0.0.1:${await freePort()}/dir`;
    const started = Date.now();
    const err = await new AcmeHttp().request(url, url, 'get').catch((e) => e);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toContain(`cannot reach the ACME server ${url}`);
    expect(err.message).toContain('ECONNREFUSED');
    expect((err.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    expect(err.remediation).toContain('Nothing accepts connections');
  });

  it('trusts an extra CA only when given, and names a TLS failure', async () => {
    const untrusted = await new AcmeHttp().request(tlsUrl, tlsUrl, 'get').catch((e) => e);
    expect(untrusted).toBeInstanceOf(TransientError);
    expect((untrusted.cause as NodeJS.ErrnoException).code).toMatch(/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/);
    expect(untrusted.remediation).toContain('CERTBEAT_ACME_CA_FILE');

    const trusted = await new AcmeHttp({ trustedCaPem: tls.caPem }).request(tlsUrl, tlsUrl, 'get');
    expect(trusted.status).toBe(200);
  });

  it('builds the TLS context of an extra CA once, and it still verifies (and a wrong CA still fails)', async () => {
    const other = await makeListenerTls('certbeat-acme-http-other-');
    try {
      expect(secureContextFor(tls.caPem)).toBe(secureContextFor(tls.caPem));
      expect(secureContextFor(other.caPem)).not.toBe(secureContextFor(tls.caPem));
      const http = new AcmeHttp({ trustedCaPem: tls.caPem });
      // `connection: close` forces a new TLS handshake per request, each verified with the shared context.
      for (let i = 0; i < 3; i++) {
        expect((await http.request(tlsUrl, tlsUrl, 'get', { headers: { connection: 'close' } })).status).toBe(200);
      }
      const wrong = await new AcmeHttp({ trustedCaPem: other.caPem }).request(tlsUrl, tlsUrl, 'get').catch((e) => e);
      expect(wrong).toBeInstanceOf(TransientError);
      expect((wrong.cause as NodeJS.ErrnoException).code).toMatch(/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/);
    } finally {
      await other.remove();
    }
  });

  it('hands back a 429 at once instead of sleeping through its Retry-After', async () => {
    const url = `${base}/limited`;
    const resp = await new AcmeHttp().request(`${base}/dir`, url, 'get');
    expect(resp.status).toBe(429);
    expect(resp.headers['retry-after']).toBe('3600');
    expect(hits.get('/limited')).toBe(1);
  });

  it('refuses a directory URL that is no ACME directory, and calls a 503 transient', async () => {
    const http = new AcmeHttp();
    await expect(http.directory(`${base}/not-found`)).rejects.toThrow(ConfigurationError);
    const html = await http.directory(`${base}/html`).catch((e) => e);
    expect(html).toBeInstanceOf(ConfigurationError);
    expect(html.message).toContain('no newOrder');
    await expect(http.directory(`${base}/unavailable`)).rejects.toThrow(TransientError);
    // A failed directory is not cached.
    const before = hits.get('/not-found');
    await http.directory(`${base}/not-found`).catch(() => undefined);
    expect(hits.get('/not-found')).toBe((before ?? 0) + 1);
  });
});
