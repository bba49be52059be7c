/**
 * A bare ACME client for testbed tests: signs JWS requests itself (ES256) so a test sees every status,
 * header and problem document exactly as pebble (or a fault proxy in front of it) sent them — no
 * retries, no nonce repair. Not for certbeat itself; certbeat goes through its ACME adapter.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { request } from 'node:https';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** An HTTPS answer with its body text (and JSON when it parses). */
export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json?: any;
}

/** One HTTPS request trusting only `caPem`; never retried, a fresh connection each time. */
export function httpsRequest(url: string, caPem: string, method = 'GET', body?: string, contentType?: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, ca: caPem, agent: false, timeout: 10_000, headers: contentType ? { 'content-type': contentType } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

const b64u = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/** An ACME account key and the requests it signs. */
export class RawAcmeClient {
  private readonly key: KeyObject;
  private readonly jwk: Record<string, string>;
  directory: Record<string, string> = {};
  /** The account URL once registered. */
  kid?: string;

  constructor(
    readonly directoryUrl: string,
    private readonly caPem: string,
  ) {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.key = pair.privateKey;
    const { kty, crv, x, y } = pair.publicKey.export({ format: 'jwk' }) as Record<string, string>;
    this.jwk = { crv, kty, x, y };
  }

  async loadDirectory(): Promise<Record<string, string>> {
    const res = await httpsRequest(this.directoryUrl, this.caPem);
    if (res.status !== 200) throw new Error(`directory answered ${res.status}: ${res.body}`);
    this.directory = res.json as Record<string, string>;
    return this.directory;
  }

  /** A fresh nonce from newNonce (HEAD, as RFC 8555 §7.2 prefers). */
  async nonce(): Promise<string> {
    const res = await httpsRequest(this.directory.newNonce, this.caPem, 'HEAD');
    const nonce = res.headers['replay-nonce'];
    if (typeof nonce !== 'string') throw new Error(`newNonce answered ${res.status} without Replay-Nonce`);
    return nonce;
  }

  /** POSTs a JWS of `payload` (undefined: POST-as-GET) signed with the account key (kid once registered). */
  async post(url: string, payload: unknown, nonce?: string): Promise<RawAnswer> {
    const header = { alg: 'ES256', nonce: nonce ?? (await this.nonce()), url, ...(this.kid ? { kid: this.kid } : { jwk: this.jwk }) };
    const protectedB64 = b64u(JSON.stringify(header));
    const payloadB64 = payload === undefined ? '' : b64u(JSON.stringify(payload));
    const signature = sign('sha256', Buffer.from(`${protectedB64}.${payloadB64}`), { key: this.key, dsaEncoding: 'ieee-p1363' });
    const jws = JSON.stringify({ protected: protectedB64, payload: payloadB64, signature: b64u(signature) });
    return httpsRequest(url, this.caPem, 'POST', jws, 'application/jose+json');
  }

  /** newAccount; keeps the account URL. */
  async register(): Promise<RawAnswer> {
    const res = await this.post(this.directory.newAccount, { termsOfServiceAgreed: true });
    if (res.status === 201 || res.status === 200) this.kid = String(res.headers.location);
    return res;
  }

  /**
   * Orders a certificate for `names` and drives it to issuance, answering each dns-01 challenge with
   * `{}` — for a pebble started with PEBBLE_VA_ALWAYS_VALID=1, which then skips the DNS lookup.
   * Resolves with the certificate chain PEM.
   */
  async issueAlwaysValid(names: string[]): Promise<string> {
    const order = await this.post(this.directory.newOrder, { identifiers: names.map((value) => ({ type: 'dns', value })) });
    if (order.status !== 201) throw new Error(`newOrder answered ${order.status}: ${order.body}`);
    const orderUrl = String(order.headers.location);
    for (const authzUrl of order.json.authorizations as string[]) {
      const authz = await this.post(authzUrl, undefined);
      const challenge = (authz.json.challenges as Array<{ type: string; url: string }>).find((c) => c.type === 'dns-01');
      if (!challenge) throw new Error(`no dns-01 challenge in ${authz.body}`);
      const answered = await this.post(challenge.url, {});
      if (answered.status !== 200) throw new Error(`challenge answered ${answered.status}: ${answered.body}`);
    }
    await this.pollOrder(orderUrl, 'ready');
    const finalized = await this.post(order.json.finalize as string, { csr: await csrFor(names) });
    if (finalized.status !== 200) throw new Error(`finalize answered ${finalized.status}: ${finalized.body}`);
    const valid = await this.pollOrder(orderUrl, 'valid');
    const cert = await this.post(valid.certificate as string, undefined);
    if (cert.status !== 200) throw new Error(`certificate answered ${cert.status}: ${cert.body}`);
    return cert.body;
  }

  private async pollOrder(orderUrl: string, want: string): Promise<Record<string, any>> {
    for (let i = 0; i < 100; i++) {
      const res = await this.post(orderUrl, undefined);
      if (res.json?.status === want) return res.json as Record<string, any>;
      if (res.json?.status === 'invalid') throw new Error(`order invalid: ${res.body}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`order ${orderUrl} never became ${want}`);
  }
}

/** A DER CSR (base64url) for `names` with a fresh P-256 key, made with openssl. */
async function csrFor(names: string[]): Promise<string> {
  const { stdout } = await run(
    'openssl',
    ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', '/dev/null', '-subj', `/CN=${names[0]}`,
      '-addext', `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`, '-outform', 'DER'],
    { encoding: 'buffer' },
  );
  return b64u(stdout);
}
