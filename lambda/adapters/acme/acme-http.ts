/**
 * The HTTP layer under acme-client, made fit for an unattended Lambda.
 *
 * acme-client 5.4 sends every request through its shared axios instance (`acme.axios`), whose response
 * interceptor retries network errors and 429/5xx for up to ~75 s (honouring Retry-After, which for a
 * rate limit can be hours) and then throws `Cannot read properties of undefined (reading 'config')`,
 * losing the real cause. It also throws bare `Error`s carrying only the problem's `detail`.
 *
 * `AcmeHttp` fixes both per request, without touching the shared instance's defaults:
 * - each request carries `retryAttempt` past acme-client's limit (no hidden retries), its own
 *   wall-clock timeout, the https agent that trusts `trustedCaPem`, and a `transport` that records the
 *   socket's real error; a failed exchange becomes a `TransientError` naming the directory, the URL
 *   and the cause;
 * - `attach(client)` routes a `Client`'s requests through it and re-throws non-success answers as
 *   `AcmeProblemError` with the problem document, status and Retry-After.
 */
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { axios as acmeAxios, type Client } from 'acme-client';
import { ConfigurationError, TransientError } from '../../domain/errors.js';
import { AcmeProblemError, type AcmeProblem } from './acme-problems.js';

/** The part of an axios response acme-client (and we) read. */
export interface AcmeResponse {
  status: number;
  headers: Record<string, string | undefined>;
  data: unknown;
}

export interface AcmeHttpOptions {
  /** Extra CA (PEM, may hold several) to trust for the ACME server's TLS, on top of the public roots. */
  trustedCaPem?: string;
  /** Wall-clock limit per HTTP exchange. Default 30 s. */
  timeoutMs?: number;
  /** How long a fetched directory is reused. Default 1 h. */
  directoryMaxAgeMs?: number;
}

/** acme-client's interceptor retries while `retryAttempt <= retryMaxAttempts` (5): start past it. */
const NO_RETRIES = 1_000_000;
/** Socket errors worth one immediate retry: a keep-alive connection the server closed while idle. */
const STALE_SOCKET_CODES = new Set(['ECONNRESET', 'EPIPE']);

interface HttpInternals {
  request(url: string, method: string, opts?: Record<string, unknown>): Promise<AcmeResponse>;
  getDirectory(): Promise<Record<string, unknown>>;
}
interface ApiInternals {
  apiRequest(url: string, payload?: unknown, validStatusCodes?: number[], opts?: Record<string, unknown>): Promise<AcmeResponse>;
}

/** HTTP for one CA adapter instance: trust, timeouts, error capture, directory cache. */
export class AcmeHttp {
  readonly timeoutMs: number;
  private readonly agent?: https.Agent;
  private readonly directoryMaxAgeMs: number;
  private readonly directories = new Map<string, { at: number; data: Promise<Record<string, unknown>> }>();

  constructor(opts: AcmeHttpOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.directoryMaxAgeMs = opts.directoryMaxAgeMs ?? 3_600_000;
    // Without an extra CA the global agent is used, which also honours NODE_EXTRA_CA_CERTS.
    this.agent = opts.trustedCaPem
      ? new https.Agent({ keepAlive: true, ca: [...tls.rootCertificates, opts.trustedCaPem] })
      : undefined;
  }

  /**
   * One HTTP exchange through acme-client's axios instance. Resolves with any HTTP status (the caller
   * judges it); rejects only with `TransientError` for network failures and timeouts.
   */
  request(directoryUrl: string, url: string, method: string, config: Record<string, unknown> = {}): Promise<AcmeResponse> {
    return this.send(directoryUrl, url, method, (extras) =>
      acmeAxios.request({ ...config, url, method, validateStatus: null, ...extras } as never) as Promise<AcmeResponse>,
    );
  }

  /**
   * The CA's directory, cached per URL. A 4xx or a body that is not a JSON object means the URL is not
   * an ACME directory (`ConfigurationError`); 5xx and network failures are `TransientError`.
   */
  directory(directoryUrl: string): Promise<Record<string, unknown>> {
    const cached = this.directories.get(directoryUrl);
    if (cached && Date.now() - cached.at < this.directoryMaxAgeMs) return cached.data;
    const data = this.fetchDirectory(directoryUrl);
    this.directories.set(directoryUrl, { at: Date.now(), data });
    data.catch(() => this.directories.delete(directoryUrl));
    return data;
  }

  /**
   * Routes `client`'s HTTP through this instance (relies on acme-client 5.4's `client.http` and
   * `client.api` instance fields). After this, the client throws `TransientError` for network
   * failures and `AcmeProblemError` for non-success ACME answers.
   */
  attach(client: Client, directoryUrl: string): void {
    const internals = client as unknown as { http: HttpInternals; api: ApiInternals };
    const httpClient = internals.http;
    const originalRequest = httpClient.request.bind(httpClient);
    httpClient.request = (url, method, opts = {}) =>
      this.send(directoryUrl, url, method, (extras) => originalRequest(url, method, { ...opts, ...extras }));
    httpClient.getDirectory = () => this.directory(directoryUrl);

    const api = internals.api;
    const originalApiRequest = api.apiRequest.bind(api);
    api.apiRequest = async (url, payload = null, validStatusCodes = [], opts = {}) => {
      // Ask for the response whatever its status, then judge it here where the problem document is at hand.
      const resp = await originalApiRequest(url, payload, [], opts);
      if (validStatusCodes.length > 0 && !validStatusCodes.includes(resp.status)) throw problemFromResponse(resp, url);
      return resp;
    };
  }

  private async fetchDirectory(directoryUrl: string): Promise<Record<string, unknown>> {
    const resp = await this.request(directoryUrl, directoryUrl, 'get');
    if (resp.status >= 500) {
      throw new TransientError(`the ACME directory ${directoryUrl} answered HTTP ${resp.status}`, {
        remediation: 'A temporary problem at the CA: certbeat retries on the next run.',
      });
    }
    if (resp.status >= 400 || typeof resp.data !== 'object' || resp.data === null || !('newOrder' in resp.data)) {
      throw new ConfigurationError(
        `${directoryUrl} is not an ACME directory (HTTP ${resp.status}${resp.status < 400 ? ', no newOrder in the answer' : ''})`,
        {
          field: 'directoryUrl',
          remediation: `Check the certificate's directoryUrl: it must be the CA's ACME v2 directory, e.g. https://acme-v02.api.letsencrypt.org/directory.`,
        },
      );
    }
    return resp.data as Record<string, unknown>;
  }

  private async send(
    directoryUrl: string,
    url: string,
    method: string,
    call: (extras: Record<string, unknown>) => Promise<AcmeResponse>,
  ): Promise<AcmeResponse> {
    for (let attempt = 1; ; attempt++) {
      let networkError: (Error & { code?: string }) | undefined;
      let timedOut = false;
      const controller = new AbortController();
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, this.timeoutMs);
      // axios hands the request options to `transport.request`; listening there sees the socket's own error.
      const transport = {
        request: (options: https.RequestOptions, callback: (res: http.IncomingMessage) => void) => {
          const req = (options.protocol === 'http:' ? http : https).request(options, callback);
          req.on('error', (err) => {
            networkError ??= err;
          });
          return req;
        },
      };
      try {
        return await call({
          httpsAgent: this.agent,
          signal: controller.signal,
          transport,
          maxRedirects: 0,
          retryAttempt: NO_RETRIES,
        });
      } catch (err) {
        if (timedOut) {
          throw new TransientError(
            `no answer from the ACME server ${directoryUrl} within ${this.timeoutMs / 1000} s (${method.toUpperCase()} ${url})`,
            { cause: networkError ?? err, remediation: 'The CA is slow or unreachable: certbeat retries on the next run.' },
          );
        }
        if (networkError) {
          if (attempt === 1 && STALE_SOCKET_CODES.has(networkError.code ?? '')) continue;
          throw networkFailure(directoryUrl, url, method, networkError);
        }
        // Not a network failure: acme-client's own error (or ours from a wrapper); keep it as it is.
        throw err;
      } finally {
        clearTimeout(timer);
      }
    }
  }
}

/** A failed exchange as a `TransientError` that names the directory, the URL and the real cause. */
export function networkFailure(directoryUrl: string, url: string, method: string, cause: Error & { code?: string }): TransientError {
  const code = cause.code ? `${cause.code}: ` : '';
  return new TransientError(
    `cannot reach the ACME server ${directoryUrl} (${method.toUpperCase()} ${url}): ${code}${cause.message}`,
    { cause, remediation: networkRemediation(directoryUrl, cause.code) },
  );
}

function networkRemediation(directoryUrl: string, code: string | undefined): string {
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return `The host of ${directoryUrl} does not resolve: check the directory URL for typos; certbeat retries on the next run.`;
  }
  if (code === 'ECONNREFUSED') {
    return `Nothing accepts connections at ${directoryUrl}: check the directory URL and that the CA is up; certbeat retries on the next run.`;
  }
  if (code && (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code))) {
    return `The TLS certificate of ${directoryUrl} is not trusted: check the directory URL; for a private CA, set CERTBEAT_ACME_CA_FILE to its CA certificate.`;
  }
  return 'A network problem between certbeat and the CA: certbeat retries on the next run; if it persists, check the Lambda\'s outbound network access (VPC, NAT).';
}

/** A non-success ACME answer as `AcmeProblemError`, keeping the problem document and Retry-After. */
export function problemFromResponse(resp: AcmeResponse, url: string): AcmeProblemError {
  const data = resp.data;
  const problem: AcmeProblem =
    typeof data === 'object' && data !== null
      ? (data as AcmeProblem)
      : { detail: `HTTP ${resp.status}${data ? `: ${String(data).replace(/\s+/g, ' ').slice(0, 200)}` : ''}` };
  const retryAfter = resp.headers?.['retry-after'];
  return new AcmeProblemError(problem, resp.status, url, retryAfter === undefined ? undefined : String(retryAfter));
}
