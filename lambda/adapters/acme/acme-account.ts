/**
 * ACME accounts, one per directory, with their keys kept in one Secrets Manager secret:
 * `{ "accounts": { "<directoryUrl>": { "keyPem": "...", "accountUrl": "..." } } }`.
 *
 * An account is created on first use (ECDSA P-256 key, terms of service agreed, contact mail,
 * External Account Binding when the certificate names an EAB secret). The key is stored before the
 * registration, so a registration that consumes a single-use EAB key never loses the key it bound.
 * It is stored with `SecretStore.update` (compare-and-swap): when two runs start at once, the first key
 * stored wins, the other run drops its own and registers the winner's (newAccount is idempotent per
 * key), so both use one account and no key is lost. Every write to the secret goes through `update`,
 * so runs setting up different directories at once keep each other's entries.
 * A stored key the CA no longer knows (`accountDoesNotExist`) is registered again.
 */
import { Client } from 'acme-client';
import { generatePrivateKey } from './csr.js';
import { ConfigurationError } from '../../domain/errors.js';
import type { Clock, RunLog, SecretStore } from '../../domain/ports.js';
import type { AcmeHttp } from './acme-http.js';
import { AcmeProblemError, classifyAcmeError, eabSecretProblem, type ProblemContext } from './acme-problems.js';

export interface StoredAccount {
  keyPem: string;
  /** Absent between storing a new key and the CA's answer to the registration. */
  accountUrl?: string;
}

export interface AccountSecret {
  accounts: Record<string, StoredAccount>;
}

export interface AcmeAccountsOptions {
  secrets: SecretStore;
  accountSecretId: string;
  accountEmail?: string;
  http: AcmeHttp;
  clock: Clock;
  log?: RunLog;
}

interface EabCredentials {
  kid: string;
  hmacKey: string;
}

/** Hands out ready acme-client `Client`s (account known to the CA), one cached per directory. */
export class AcmeAccounts {
  private readonly clients = new Map<string, Promise<Client>>();

  constructor(private readonly opts: AcmeAccountsOptions) {}

  /** The client for `directoryUrl`, its account looked up or registered (with EAB from `eabSecretId`). */
  client(directoryUrl: string, eabSecretId?: string): Promise<Client> {
    let client = this.clients.get(directoryUrl);
    if (!client) {
      client = this.open(directoryUrl, eabSecretId);
      this.clients.set(directoryUrl, client);
      client.catch(() => this.clients.delete(directoryUrl));
    }
    return client;
  }

  /** Drops the cached client, e.g. after the CA said the account does not exist. */
  forget(directoryUrl: string): void {
    this.clients.delete(directoryUrl);
  }

  private async open(directoryUrl: string, eabSecretId: string | undefined): Promise<Client> {
    const stored = (await this.load()).accounts[directoryUrl];
    if (!stored?.keyPem) return this.register(directoryUrl, eabSecretId);

    const client = this.newClient(directoryUrl, stored.keyPem);
    try {
      // newAccount with onlyReturnExisting: finds the account by its key, registers nothing.
      const account = await client.createAccount({ onlyReturnExisting: true });
      if (account.status !== 'valid') {
        this.opts.log?.warn('ACME account is no longer valid; registering a new key', { directoryUrl, status: account.status });
        return this.register(directoryUrl, eabSecretId, undefined, stored.keyPem);
      }
      const accountUrl = client.getAccountUrl();
      if (accountUrl !== stored.accountUrl) await this.save(directoryUrl, { keyPem: stored.keyPem, accountUrl });
      return client;
    } catch (err) {
      if (err instanceof AcmeProblemError && err.shortType === 'accountDoesNotExist') {
        this.opts.log?.info('the CA does not know the stored ACME account key; registering it again', { directoryUrl });
        return this.register(directoryUrl, eabSecretId, stored.keyPem);
      }
      throw classifyAcmeError(err, this.context(directoryUrl, undefined));
    }
  }

  /**
   * Registers `keyPem`, or else a new key once it is stored. `staleKeyPem` is a stored key to replace
   * (a deactivated account); any other key found stored was put there by a concurrent run and is used.
   */
  private async register(directoryUrl: string, eabSecretId: string | undefined, keyPem?: string, staleKeyPem?: string): Promise<Client> {
    const eab = eabSecretId ? await this.readEab(eabSecretId) : undefined;
    if (!keyPem) {
      const ours = await generatePrivateKey('ec256');
      keyPem = await this.claimKey(directoryUrl, ours, staleKeyPem);
      if (keyPem !== ours) this.opts.log?.info('another run stored an ACME account key first; using that one', { directoryUrl });
    }
    const client = this.newClient(directoryUrl, keyPem, eab);
    // newAccount straight through acme-client's api: its `createAccount` answers a 200 ("this key has an
    // account already", as when a concurrent run registered the same key first) with an account update
    // carrying the same fields, which a CA refuses when there is nothing to change (pebble: malformed).
    const api = (client as unknown as { api: { createAccount(data: Record<string, unknown>): Promise<unknown> } }).api;
    try {
      await api.createAccount({
        termsOfServiceAgreed: true,
        ...(this.opts.accountEmail ? { contact: [`mailto:${this.opts.accountEmail}`] } : {}),
      });
    } catch (err) {
      throw classifyAcmeError(err, this.context(directoryUrl, eabSecretId));
    }
    const accountUrl = client.getAccountUrl();
    await this.save(directoryUrl, { keyPem, accountUrl });
    this.opts.log?.info('registered ACME account', { directoryUrl, accountUrl, externalAccountBinding: eab !== undefined });
    return client;
  }

  private newClient(directoryUrl: string, keyPem: string, eab?: EabCredentials): Client {
    const client = new Client({ directoryUrl, accountKey: keyPem, ...(eab ? { externalAccountBinding: eab } : {}) });
    this.opts.http.attach(client, directoryUrl);
    return client;
  }

  private async readEab(secretId: string): Promise<EabCredentials> {
    const raw = await this.opts.secrets.get(secretId);
    if (raw === undefined) throw eabSecretProblem(secretId, 'does not exist or has no value');
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      // The parser's message may quote the value: never pass it on.
      throw eabSecretProblem(secretId, 'is not JSON');
    }
    const { keyId, hmacKey } = (parsed ?? {}) as { keyId?: unknown; hmacKey?: unknown };
    if (typeof keyId !== 'string' || keyId === '' || typeof hmacKey !== 'string' || hmacKey === '') {
      throw eabSecretProblem(secretId, 'lacks a non-empty "keyId" or "hmacKey" string');
    }
    return { kid: keyId, hmacKey };
  }

  private async load(): Promise<AccountSecret> {
    return this.parse(await this.opts.secrets.get(this.opts.accountSecretId));
  }

  private parse(raw: string | undefined): AccountSecret {
    if (raw === undefined || raw.trim() === '') return { accounts: {} };
    try {
      const parsed = JSON.parse(raw) as Partial<AccountSecret>;
      if (typeof parsed !== 'object' || parsed === null || typeof parsed.accounts !== 'object' || parsed.accounts === null) {
        throw new Error('no "accounts" object');
      }
      return { accounts: parsed.accounts };
    } catch (err) {
      const reason = err instanceof SyntaxError ? 'not JSON' : (err as Error).message;
      throw new ConfigurationError(`the ACME account secret ${this.opts.accountSecretId} is not certbeat's account store (${reason})`, {
        field: 'accountSecretId',
        remediation: `Point CERTBEAT_ACCOUNT_SECRET_ID at a secret certbeat owns, or empty secret ${this.opts.accountSecretId} so certbeat starts it afresh (existing ACME accounts are then registered again).`,
      });
    }
  }

  /** Stores `keyPem` for the directory unless a usable key is there already; resolves with the key stored. */
  private async claimKey(directoryUrl: string, keyPem: string, staleKeyPem: string | undefined): Promise<string> {
    const stored = await this.opts.secrets.update(this.opts.accountSecretId, (raw) => {
      const current = this.parse(raw);
      const existing = current.accounts[directoryUrl]?.keyPem;
      if (existing && existing !== staleKeyPem) return undefined;
      current.accounts[directoryUrl] = { keyPem };
      return JSON.stringify(current);
    });
    const winner = this.parse(stored).accounts[directoryUrl]?.keyPem;
    if (!winner) throw new Error(`the ACME account secret ${this.opts.accountSecretId} holds no key for ${directoryUrl} right after storing one`);
    return winner;
  }

  /** Records the account URL of `account.keyPem`, unless another run has replaced that key meanwhile. */
  private async save(directoryUrl: string, account: Required<StoredAccount>): Promise<void> {
    await this.opts.secrets.update(this.opts.accountSecretId, (raw) => {
      const current = this.parse(raw);
      const existing = current.accounts[directoryUrl];
      if (existing && existing.keyPem !== account.keyPem) return undefined;
      if (existing?.accountUrl === account.accountUrl) return undefined;
      current.accounts[directoryUrl] = account;
      return JSON.stringify(current);
    });
  }

  private context(directoryUrl: string, eabSecretId: string | undefined): ProblemContext {
    return {
      directoryUrl,
      operation: 'account',
      eabSecretId,
      accountSecretId: this.opts.accountSecretId,
      accountEmail: this.opts.accountEmail,
      now: this.opts.clock.now(),
    };
  }
}
