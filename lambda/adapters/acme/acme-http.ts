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
 *   `AcmeProblemError` with the problem document, status and Retry-After;
 * - every signed POST that the CA answers with `badNonce` is sent again, signed with the fresh nonce of
 *   that answer (RFC 8555 §6.5), up to `maxBadNonceAttempts` and never past the operation's deadline
 *   (`withDeadline`). acme-client's own loop stops after 5, which a CA rejecting half of the nonces
 *   (pebble's PEBBLE_WFE_NONCEREJECT=50) exhausts for ~1.6 % of requests.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
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
  /**
   * Sends of one signed request while the CA answers `badNonce`. Default 20: each costs one round trip,
   * and even a CA rejecting half of all nonces then fails a request with a chance of 1 in a million.
   */
  maxBadNonceAttempts?: number;
}

/** acme-client's interceptor retries while `retryAttempt <= retryMaxAttempts` (5): start past it. */
const NO_RETRIES = 1_000_000;
/** Socket errors worth one immediate retry: a keep-alive connection the server closed while idle. */
const STALE_SOCKET_CODES = new Set(['ECONNRESET', 'EPIPE']);

const BAD_NONCE = 'urn:ietf:params:acme:error:badNonce';

interface SignedRequestOptions {
  kid?: string | null;
  nonce?: string | null;
  includeExternalAccountBinding?: boolean;
}
interface HttpInternals {
  maxBadNonceRetries: number;
  request(url: string, method: string, opts?: Record<string, unknown>): Promise<AcmeResponse>;
  getDirectory(): Promise<Record<string, unknown>>;
  getNonce(): Promise<string>;
  getResourceUrl(resource: string): Promise<string>;
  signedRequest(url: string, payload: unknown, opts?: SignedRequestOptions, attempts?: number): Promise<AcmeResponse>;
}
interface ApiInternals {
  apiRequest(url: string, payload?: unknown, validStatusCodes?: number[], opts?: Record<string, unknown>): Promise<AcmeResponse>;
}

/**
 * One TLS context per extra-CA PEM for the whole process. Passing `ca` to an agent instead makes Node
 * build a new context (parsing ~145 public roots, ~24 ms of CPU) for every new connection.
 */
const secureContexts = new Map<string, tls.SecureContext>();

/** The shared TLS context trusting the public roots plus `trustedCaPem`. */
export function secureContextFor(trustedCaPem: string): tls.SecureContext {
  let context = secureContexts.get(trustedCaPem);
  if (!context) {
    context = tls.createSecureContext({ ca: [...tls.rootCertificates, trustedCaPem] });
    secureContexts.set(trustedCaPem, context);
  }
  return context;
}

/** HTTP for one CA adapter instance: trust, timeouts, error capture, directory cache, badNonce retry. */
export class AcmeHttp {
  readonly timeoutMs: number;
  readonly maxBadNonceAttempts: number;
  private readonly agent?: https.Agent;
  private readonly directoryMaxAgeMs: number;
  private readonly directories = new Map<string, { at: number; data: Promise<Record<string, unknown>> }>();
  /** The deadline of the operation the current async context belongs to (see `withDeadline`). */
  private readonly deadline = new AsyncLocalStorage<Date>();

  constructor(opts: AcmeHttpOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.maxBadNonceAttempts = opts.maxBadNonceAttempts ?? 20;
    this.directoryMaxAgeMs = opts.directoryMaxAgeMs ?? 3_600_000;
    // Without an extra CA the global agent is used, which also honours NODE_EXTRA_CA_CERTS.
    this.agent = opts.trustedCaPem
      ? new https.Agent({ keepAlive: true, secureContext: secureContextFor(opts.trustedCaPem) })
      : undefined;
  }

  /**
   * Runs `fn` with `deadline` as the limit of every HTTP exchange it makes (through this instance):
   * an exchange gets at most the time left, none starts after the deadline, and badNonce retries stop.
   */
  withDeadline<T>(deadline: Date, fn: () => Promise<T>): Promise<T> {
    return this.deadline.run(deadline, fn);
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
    // A newNonce answer without a nonce (429, 503, ...) keeps its status and Retry-After instead of
    // acme-client's bare "Failed to get nonce".
    httpClient.getNonce = async () => {
      const url = await httpClient.getResourceUrl('newNonce');
      const resp = await httpClient.request(url, 'head');
      const nonce = resp.headers['replay-nonce'];
      if (resp.status >= 400 || !nonce) throw problemFromResponse(resp, url);
      return nonce;
    };
    // badNonce is retried here, once for every signed POST; acme-client's own loop is switched off.
    const originalSigned = httpClient.signedRequest.bind(httpClient);
    httpClient.maxBadNonceRetries = 0;
    httpClient.signedRequest = async (url, payload, opts = {}) => {
      let nonce = opts.nonce ?? null;
      for (let attempt = 1; ; attempt++) {
        const resp = await originalSigned(url, payload, { ...opts, nonce }, 0);
        if (!isBadNonce(resp) || attempt >= this.maxBadNonceAttempts || this.pastDeadline()) return resp;
        // The error answer carries a fresh nonce; without one acme-client fetches a new one.
        nonce = resp.headers['replay-nonce'] ?? null;
      }
    };

    const api = internals.api;
    const originalApiRequest = api.apiRequest.bind(api);
    api.apiRequest = async (url, payload = null, validStatusCodes = [], opts = {}) => {
      // Ask for the response whatever its status, then judge it here where the problem document is at hand.
      const resp = await originalApiRequest(url, payload, [], opts);
      if (validStatusCodes.length > 0 && !validStatusCodes.includes(resp.status)) throw problemFromResponse(resp, url);
      return resp;
    };
  }

  private pastDeadline(): boolean {
    const deadline = this.deadline.getStore();
    return deadline !== undefined && Date.now() >= deadline.getTime();
  }

  private async fetchDirectory(directoryUrl: string): Promise<Record<string, unknown>> {
    const resp = await this.request(directoryUrl, directoryUrl, 'get');
    if (resp.status === 429) throw problemFromResponse(resp, directoryUrl);
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
      const deadline = this.deadline.getStore();
      const left = deadline ? deadline.getTime() - Date.now() : Infinity;
      if (left <= 0) {
        throw new TransientError(`the deadline of this run passed before ${method.toUpperCase()} ${url} (ACME server ${directoryUrl})`, {
          remediation: 'The run ran out of time: certbeat continues on the next run.',
        });
      }
      const timeoutMs = Math.min(this.timeoutMs, left);
      const controller = new AbortController();
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, timeoutMs);
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
            `no answer from the ACME server ${directoryUrl} within ${timeoutMs / 1000} s (${method.toUpperCase()} ${url})`,
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

function isBadNonce(resp: AcmeResponse): boolean {
  return resp.status >= 400 && (resp.data as { type?: unknown } | null)?.type === BAD_NONCE;
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
