/**
 * `CertificateAuthority` over acme-client 5.4, dns-01 only.
 *
 * acme-client supplies JWS signing, nonces, account and order calls, keys and CSRs; certbeat adds
 * what an unattended run needs: its own HTTP layer (`acme-http.ts`: trust, timeouts, real network
 * causes, problem documents), fixed-interval polling to a deadline (`acme-polling.ts`), accounts kept
 * in Secrets Manager (`acme-account.ts`), the chain check (`certificate-check.ts`), ARI (`ari.ts`:
 * acme-client knows neither renewalInfo nor `replaces`) and resumable orders (`order-keys.ts`: the key
 * of a finalized order is kept until its certificate is safe in ACM or the pending-import slot).
 */
import type { Authorization, Client, Order } from 'acme-client';
import { createCsr, generatePrivateKey } from './csr.js';
import { CaRejectedError, CertbeatError, CertificateCheckError, RateLimitedError, TransientError } from '../../domain/errors.js';
import type { IssuedCertificate, KeyType, RenewalWindow } from '../../domain/model.js';
import { challengeRecordName, normalizeName } from '../../domain/names.js';
import type { CertificateAuthority, Clock, OrderRequest, PendingOrder, RunLog, SecretStore } from '../../domain/ports.js';
import { AcmeAccounts } from './acme-account.js';
import { AcmeHttp, problemFromResponse } from './acme-http.js';
import { pollUntil } from './acme-polling.js';
import { AcmeProblemError, classifyAcmeError, classifyProblem, type AcmeProblem, type ProblemContext } from './acme-problems.js';
import { parseRenewalInfo, renewalInfoUrl } from './ari.js';
import { checkCertificate } from './certificate-check.js';
import { OrderKeys } from './order-keys.js';
import { NO_PROFILE } from '../../domain/profiles.js';

/** The directory's `meta.profiles` (name → description); empty when the CA lists none. */
function advertisedProfiles(directory: Record<string, unknown>): Record<string, string> {
  const meta = directory.meta as { profiles?: unknown } | undefined;
  const profiles = meta?.profiles;
  return profiles && typeof profiles === 'object' && !Array.isArray(profiles) ? (profiles as Record<string, string>) : {};
}

export interface AcmeCertificateAuthorityOptions {
  secrets: SecretStore;
  /** The secret holding every ACME account key (one entry per directory URL). */
  accountSecretId: string;
  /** Contact address registered with new accounts. */
  accountEmail?: string;
  clock: Clock;
  /** Milliseconds between authorization/order polls. Default 1000. */
  pollIntervalMs?: number;
  /** Extra CA (PEM) to trust for the ACME server's TLS (the testbed's pebble). */
  trustedCaPem?: string;
  /**
   * Secret name prefix under which the key of a finalized order is kept until its certificate is
   * safe (`order-keys.ts`, `releaseOrder`), e.g. `certbeat/<stack>/pending/order-keys/`. Without it, an order whose
   * download failed cannot be resumed after finalization: the next attempt orders again.
   */
  orderKeySecretPrefix?: string;
  log?: RunLog;
}

type Challenge = Parameters<Client['completeChallenge']>[0];

/** What `placeOrder` leaves for `completeOrder`; never leaves the adapter. */
interface OrderState {
  client: Client;
  order: Order;
  challenges: Array<{ identifier: string; challenge: Challenge }>;
  /** The CSR key of a resumed order that was finalized already. */
  keyPem?: string;
}

/** Problem types with which a CA may refuse `replaces`; the order is then placed without it. */
const REPLACES_REFUSALS = new Set(['alreadyReplaced', 'malformed', 'conflict']);

/**
 * An ACME CA reached with acme-client. See `CertificateAuthority` for the contract. Every failure
 * comes out as a `CertbeatError`: `CaRejectedError` with the ACME problem type and a remediation,
 * `RateLimitedError` with Retry-After, `TransientError` for the network (naming the directory and the
 * real cause) and for deadlines, `CertificateCheckError` when the returned chain fails our checks.
 */
export class AcmeCertificateAuthority implements CertificateAuthority {
  private readonly http: AcmeHttp;
  private readonly accounts: AcmeAccounts;
  private readonly pollIntervalMs: number;
  private readonly orders = new WeakMap<PendingOrder, OrderState>();
  /** Orders placed with the fallback profile, and why (for the mail). */
  private readonly profileNotes = new WeakMap<Order, string>();
  private readonly orderKeys?: OrderKeys;

  constructor(private readonly opts: AcmeCertificateAuthorityOptions) {
    this.pollIntervalMs = opts.pollIntervalMs ?? 1000;
    this.http = new AcmeHttp({ trustedCaPem: opts.trustedCaPem });
    this.orderKeys = opts.orderKeySecretPrefix ? new OrderKeys(opts.secrets, opts.orderKeySecretPrefix) : undefined;
    this.accounts = new AcmeAccounts({
      secrets: opts.secrets,
      accountSecretId: opts.accountSecretId,
      accountEmail: opts.accountEmail,
      http: this.http,
      clock: opts.clock,
      log: opts.log,
    });
  }

  /** The profiles the CA's directory advertises in `meta.profiles` (name → description); empty when none. */
  async profiles(directoryUrl: string): Promise<Record<string, string>> {
    return advertisedProfiles(await this.http.directory(directoryUrl));
  }

  async placeOrder(request: OrderRequest): Promise<PendingOrder> {
    const names = request.names.map(normalizeName);
    let client = await this.accounts.client(request.directoryUrl, request.eabSecretId);
    if (request.resumeOrderUrl) {
      const resumed = await this.resume(client, request, names, request.resumeOrderUrl);
      if (resumed) return resumed;
    }
    let order: Order;
    try {
      order = await this.createOrder(client, request, names);
    } catch (err) {
      if (!(err instanceof AcmeProblemError && err.shortType === 'accountDoesNotExist')) throw err;
      // The CA forgot the account since this instance looked it up (e.g. a CA reset): once more from the secret.
      this.accounts.forget(request.directoryUrl);
      client = await this.accounts.client(request.directoryUrl, request.eabSecretId);
      order = await this.createOrder(client, request, names).catch((again) => {
        throw classifyAcmeError(again, this.context(request, 'order'));
      });
    }
    const pending = await this.pendingOrder(client, request, order);
    const note = this.profileNotes.get(order);
    pending.profile = (order as { profile?: string }).profile ?? (note ? undefined : request.profile);
    if (note) pending.profileNote = note;
    return pending;
  }

  /**
   * The previous order of the certificate as a `PendingOrder`, or `undefined` (logged with the reason)
   * when a new order must be placed instead.
   */
  private async resume(client: Client, request: OrderRequest, names: string[], orderUrl: string): Promise<PendingOrder | undefined> {
    const fresh = (reason: string, extra: Record<string, unknown> = {}) => {
      this.opts.log?.info('placing a new order instead of resuming the previous one', { certificateId: request.certificateId, orderUrl, reason, ...extra });
      return undefined;
    };
    let order: Order;
    try {
      // POST-as-GET under this account: another account's order (or a CA that forgot it) is refused.
      order = await client.getOrder({ url: orderUrl } as Order);
    } catch (err) {
      const classified = classifyAcmeError(err, this.context(request, 'order'));
      // The CA is unreachable or busy: a new order would fail alike, and the old one may be issued already.
      if (classified instanceof TransientError || classified instanceof RateLimitedError) throw classified;
      const status = err instanceof AcmeProblemError ? err.status : undefined;
      return fresh(status === 404 ? 'the CA no longer knows the order' : 'the order cannot be read', { error: classified.message });
    }
    const ordered = (order.identifiers ?? []).map((i) => normalizeName(i.value)).sort();
    if (ordered.join(',') !== [...names].sort().join(',')) return fresh('the order is for other names');
    if (order.status === 'invalid') return fresh('the order is invalid', { problem: (order.error as AcmeProblem | undefined)?.type });
    const orderedProfile = (order as { profile?: string }).profile;
    if (request.profile && orderedProfile && orderedProfile !== request.profile && order.status === 'pending') {
      return fresh(`the order is for profile ${orderedProfile}, the certificate now asks for ${request.profile}`);
    }
    if (order.status !== 'valid' && order.expires && Date.parse(order.expires) <= this.opts.clock.now().getTime()) {
      return fresh('the order has expired');
    }
    if (order.status === 'processing' || order.status === 'valid') {
      const keyPem = await this.orderKeys?.find(request.certificateId, orderUrl, request.keyType);
      if (!keyPem) return fresh(`the order is ${order.status} but the key it was finalized with was not kept (or is not ${request.keyType})`);
      this.opts.log?.info('resuming the previous order', { certificateId: request.certificateId, orderUrl, status: order.status });
      return this.pendingOrder(client, request, order, keyPem);
    }
    this.opts.log?.info('resuming the previous order', { certificateId: request.certificateId, orderUrl, status: order.status });
    return this.pendingOrder(client, request, order);
  }

  /** The dns-01 values of the order's pending authorizations (none unless the order is pending). */
  private async pendingOrder(client: Client, request: OrderRequest, order: Order, keyPem?: string): Promise<PendingOrder> {
    let authorizations: Authorization[] = [];
    if (order.status === 'pending') {
      try {
        authorizations = await client.getAuthorizations(order);
      } catch (err) {
        throw classifyAcmeError(err, this.context(request, 'order'));
      }
    }

    const challenges: OrderState['challenges'] = [];
    for (const authz of authorizations) {
      const identifier = authz.wildcard ? `*.${authz.identifier.value}` : authz.identifier.value;
      if (authz.status === 'valid') continue; // already proven (authorization reuse, or a resumed order)
      if (authz.status !== 'pending') {
        throw new CaRejectedError(`the CA's authorization for ${identifier} is ${authz.status}`, {
          identifier,
          remediation: 'certbeat places a new order on the next run; if this repeats, check the account at the CA.',
        });
      }
      const challenge = authz.challenges.find((c) => c.type === 'dns-01');
      if (!challenge) {
        throw new CaRejectedError(
          `the CA offers no dns-01 challenge for ${identifier} (offered: ${authz.challenges.map((c) => c.type).join(', ') || 'none'})`,
          {
            identifier,
            remediation: `certbeat validates only with dns-01: use a CA that offers dns-01 for ${identifier}${authz.wildcard ? ' (wildcards require it)' : ''}, or remove the name.`,
          },
        );
      }
      challenges.push({ identifier, challenge });
    }

    const pending: PendingOrder = {
      request,
      orderUrl: order.url,
      challenges: await Promise.all(
        challenges.map(async ({ identifier, challenge }) => ({
          identifier,
          recordName: challengeRecordName(identifier),
          value: await client.getChallengeKeyAuthorization(challenge),
        })),
      ),
    };
    this.orders.set(pending, { client, order, challenges, keyPem });
    return pending;
  }

  async completeOrder(pending: PendingOrder, deadline: Date): Promise<IssuedCertificate> {
    const state = this.orders.get(pending);
    if (!state) throw new Error('completeOrder was given an order this AcmeCertificateAuthority did not place');
    // Every HTTP exchange below (and its badNonce retries) ends by the deadline.
    return this.http.withDeadline(deadline, () => this.complete(pending, state, deadline));
  }

  private async complete(pending: PendingOrder, state: OrderState, deadline: Date): Promise<IssuedCertificate> {
    const { client, challenges } = state;
    const { request } = pending;
    const names = request.names.map(normalizeName);
    let order = state.order;
    let keyPem = state.keyPem;
    // The finalization key is made and kept while the CA validates: off the critical path.
    let keying: Promise<{ keyPem: string; csr: string }> | undefined;

    if (order.status === 'pending') {
      keying = this.finalizationKey(pending);
      keying.catch(() => undefined);
      try {
        order = await this.validate(client, challenges, order, request, deadline, names);
      } catch (err) {
        // Never finalized: the key kept for this order will not be used.
        await keying.then(() => this.dropOrderKey(request), () => undefined);
        throw err;
      }
    }

    if (order.status === 'ready') {
      const key = await (keying ?? this.finalizationKey(pending));
      keyPem = key.keyPem;
      try {
        order = await client.finalizeOrder(order, key.csr);
      } catch (err) {
        throw classifyAcmeError(err, this.context(request, 'finalization'));
      }
    }
    if (order.status === 'processing') {
      order = await this.pollOrder(
        client,
        order,
        request,
        deadline,
        (o) => o.status === 'valid' || o.status === 'invalid',
        `issue the certificate for ${names.join(', ')}`,
      );
    }
    if (order.status === 'invalid') {
      throw classifyProblem(
        (order.error as AcmeProblem | undefined) ?? { detail: 'the order became invalid during finalization' },
        this.context(request, 'finalization'),
      );
    }
    if (order.status !== 'valid' || !keyPem) {
      throw new CaRejectedError(`the order is ${order.status} where certbeat expected it valid (after validation and finalization)`, {
        remediation: 'certbeat places a new order on the next run.',
      });
    }

    const chainPem = await this.download(client, order, request, deadline);
    let checked: ReturnType<typeof checkCertificate>;
    try {
      checked = checkCertificate({ chainPem, privateKeyPem: keyPem, names, now: this.opts.clock.now() });
    } catch (err) {
      // A certificate that fails the check will not pass it later: the next attempt orders again.
      if (err instanceof CertificateCheckError) await this.dropOrderKey(request);
      throw err;
    }
    // The kept key stays until the certificate is safe (releaseOrder): a run dying before the import
    // leaves the next one an order to download again, not a certificate without its key.
    this.opts.log?.info('certificate issued', {
      certificateId: request.certificateId,
      serial: checked.serial,
      notAfter: checked.notAfter.toISOString(),
      issuer: checked.issuer,
    });
    return {
      certificatePem: checked.certificatePem,
      chainPem: checked.chainPem,
      privateKeyPem: keyPem,
      names,
      serial: checked.serial,
      notBefore: checked.notBefore,
      notAfter: checked.notAfter,
      issuer: checked.issuer,
      ariCertId: checked.ariCertId,
    };
  }

  /** Answers the pending challenges and waits until the CA has judged them; an invalid order throws. */
  private async validate(client: Client, challenges: OrderState['challenges'], order: Order, request: OrderRequest, deadline: Date, names: string[]): Promise<Order> {
    await Promise.all(
      // A resumed order's challenge may have been answered already: answering again is not needed.
      challenges
        .filter(({ challenge }) => challenge.status === 'pending')
        .map(({ identifier, challenge }) =>
          client.completeChallenge(challenge).catch((err) => {
            throw classifyAcmeError(err, this.context(request, 'validation', identifier));
          }),
        ),
    );
    const judged = await this.pollOrder(client, order, request, deadline, (o) => o.status !== 'pending', `validate ${names.join(', ')}`);
    if (judged.status === 'invalid') throw await this.validationFailure(client, judged, request);
    return judged;
  }

  /**
   * A fresh key and CSR for the order, the key kept before it is returned: from the finalization on, the
   * CA issues for this key, and a failed download is resumed with it.
   */
  private async finalizationKey(pending: PendingOrder): Promise<{ keyPem: string; csr: string }> {
    const { request } = pending;
    const names = request.names.map(normalizeName);
    const keyPem = await generatePrivateKey(request.keyType);
    const csr = createCsr(names, keyPem);
    await this.orderKeys?.keep(request.certificateId, { orderUrl: pending.orderUrl, keyType: request.keyType, keyPem }).catch((err: unknown) => {
      this.opts.log?.warn('could not keep the order key; a failed download would mean ordering again', {
        certificateId: request.certificateId,
        error: err instanceof Error ? err.message : String(err),
      });
    });
    return { keyPem, csr };
  }

  /**
   * The chain of a valid order. The CA has issued: transient failures (network, 5xx, badNonce beyond its
   * retries) are retried until the deadline instead of giving up the certificate.
   */
  private download(client: Client, order: Order, request: OrderRequest, deadline: Date): Promise<string> {
    return pollUntil(
      () =>
        client.getCertificate(order).catch((err) => {
          throw classifyAcmeError(err, this.context(request, 'download'));
        }),
      () => true,
      { intervalMs: this.pollIntervalMs, deadline, clock: this.opts.clock, waitingFor: `deliver the issued certificate for ${request.certificateId}` },
    );
  }

  async releaseOrder(pending: PendingOrder): Promise<void> {
    await this.dropOrderKey(pending.request);
  }

  /** The key's job is done (the certificate is safe, or unusable); a failure only lingers. */
  private async dropOrderKey(request: OrderRequest): Promise<void> {
    await this.orderKeys?.discard(request.certificateId).catch((err: unknown) => {
      this.opts.log?.warn('could not delete the kept order key; the next finalization replaces it', {
        certificateId: request.certificateId,
        error: err instanceof Error ? err.message : String(err),
      });
    });
  }

  async renewalInfo(directoryUrl: string, ariCertId: string): Promise<RenewalWindow | undefined> {
    const directory = await this.http.directory(directoryUrl);
    if (typeof directory.renewalInfo !== 'string') return undefined;
    const url = renewalInfoUrl(directory.renewalInfo, ariCertId);
    const resp = await this.http.request(directoryUrl, url, 'get');
    if (resp.status === 404) {
      // The CA does not know this certificate (e.g. issued elsewhere): the caller uses its own window.
      this.opts.log?.warn('the CA has no renewal information for this certificate', { directoryUrl, ariCertId });
      return undefined;
    }
    const now = this.opts.clock.now();
    if (resp.status !== 200) {
      throw classifyAcmeError(problemFromResponse(resp, url), { directoryUrl, operation: 'renewalInfo', now });
    }
    return parseRenewalInfo(resp.data, resp.headers['retry-after'], now, url);
  }

  private async createOrder(client: Client, request: OrderRequest, names: string[]): Promise<Order> {
    const identifiers = names.map((value) => ({ type: 'dns', value }));
    let replaces: string | undefined;
    if (request.replacesAriCertId) {
      const directory = await this.http.directory(request.directoryUrl);
      if (typeof directory.renewalInfo === 'string') replaces = request.replacesAriCertId;
    }
    const profile = request.profile && request.profile !== NO_PROFILE ? request.profile : undefined;
    if (profile) {
      // The directory's meta.profiles is canonical: a profile it does not list is refused before asking.
      const advertised = advertisedProfiles(await this.http.directory(request.directoryUrl));
      if (!(profile in advertised)) return this.profileRefused(client, request, names, profile, `the CA's directory does not list it (offered: ${Object.keys(advertised).join(', ') || 'none'})`);
    }
    try {
      // acme-client sends whatever fields it is given: `replaces` (RFC 9773 §5) and `profile`
      // (draft-ietf-acme-profiles) travel as is.
      const order = await client.createOrder({ identifiers, ...(replaces ? { replaces } : {}), ...(profile ? { profile } : {}) } as Parameters<Client['createOrder']>[0]);
      return order;
    } catch (err) {
      if (profile && err instanceof AcmeProblemError && err.shortType === 'invalidProfile') {
        return this.profileRefused(client, request, names, profile, `the CA answered invalidProfile: ${err.problem.detail ?? ''}`.trim());
      }
      if (replaces && err instanceof AcmeProblemError && (REPLACES_REFUSALS.has(err.shortType ?? '') || err.status === 409)) {
        this.opts.log?.warn('the CA refused the replaces field; ordering without it', {
          directoryUrl: request.directoryUrl,
          problem: err.problem.type,
          detail: err.message,
        });
        return this.createOrder(client, { ...request, replacesAriCertId: undefined }, names);
      }
      if (err instanceof AcmeProblemError && err.shortType === 'accountDoesNotExist') throw err;
      throw classifyAcmeError(err, this.context(request, 'order'));
    }
  }

  /**
   * The configured profile was refused (`why`): order the fallback (noted for the mail), or fail with the
   * profiles the CA offers when none is configured.
   */
  private async profileRefused(client: Client, request: OrderRequest, names: string[], profile: string, why: string): Promise<Order> {
    const fallback = request.profileFallback;
    const offered = Object.keys(advertisedProfiles(await this.http.directory(request.directoryUrl).catch(() => ({}))));
    if (fallback === undefined || fallback === profile) {
      throw new CaRejectedError(`the CA refused profile ${profile} for ${names.join(', ')}: ${why}`, {
        problemType: 'urn:ietf:params:acme:error:invalidProfile',
        remediation: `Set the certificate's profile to one the CA offers (${offered.join(', ') || 'it lists none'}), or set profileFallback (another profile, or "none").`,
      });
    }
    const note = `profile ${profile} was refused (${why}); ordered ${fallback === NO_PROFILE ? 'without a profile (the CA\u2019s default)' : `profile ${fallback}`} instead, as profileFallback says`;
    const order = await this.createOrder(client, { ...request, profile: fallback, profileFallback: undefined }, names);
    this.profileNotes.set(order, note);
    return order;
  }

  private pollOrder(
    client: Client,
    order: Order,
    request: OrderRequest,
    deadline: Date,
    done: (o: Order) => boolean,
    waitingFor: string,
  ): Promise<Order> {
    return pollUntil(
      () =>
        client.getOrder(order).catch((err) => {
          throw classifyAcmeError(err, this.context(request, 'order'));
        }),
      done,
      { intervalMs: this.pollIntervalMs, deadline, clock: this.opts.clock, waitingFor },
    );
  }

  /** The problem of the first invalid authorization's challenge, else the order's own error. */
  private async validationFailure(client: Client, order: Order, request: OrderRequest): Promise<CertbeatError> {
    let authorizations: Authorization[] = [];
    try {
      authorizations = await client.getAuthorizations(order);
    } catch {
      // The order's own error still says something; fall through to it.
    }
    for (const authz of authorizations) {
      if (authz.status !== 'invalid') continue;
      const identifier = authz.wildcard ? `*.${authz.identifier.value}` : authz.identifier.value;
      const failed = authz.challenges.find((c) => c.type === 'dns-01' && c.error) ?? authz.challenges.find((c) => c.error);
      const problem = (failed?.error as AcmeProblem | undefined) ?? {
        detail: `the authorization for ${identifier} is invalid`,
      };
      return classifyProblem(problem, this.context(request, 'validation', identifier));
    }
    return classifyProblem(
      (order.error as AcmeProblem | undefined) ?? { detail: 'the order became invalid during validation' },
      this.context(request, 'validation'),
    );
  }

  private context(request: OrderRequest, operation: ProblemContext['operation'], identifier?: string): ProblemContext {
    return {
      directoryUrl: request.directoryUrl,
      operation,
      identifier,
      eabSecretId: request.eabSecretId,
      accountSecretId: this.opts.accountSecretId,
      accountEmail: this.opts.accountEmail,
      now: this.opts.clock.now(),
    };
  }
}
