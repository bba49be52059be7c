/**
 * `certbeat doctor`'s checks of the CA itself, which the per-run pre-flight does not make: its
 * directory answers over https, EAB is configured when the CA requires it and the EAB secret holds
 * `{ "keyId", "hmacKey" }`, and the ACME account certbeat keeps for it is still valid. One set of
 * findings per CA (directory + EAB secret), shared by the certificates that use it.
 */
import { readFileSync } from 'node:fs';
import { Agent, get } from 'node:https';
import { rootCertificates } from 'node:tls';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Client, axios as acmeAxios } from 'acme-client';
import type { RuntimeConfig } from '../lambda/config.js';
import type { CertificateRecord } from '../lambda/domain/model.js';
import type { DoctorFinding } from './commands/doctor.js';

/** One answer from the CA must not hold doctor up for acme-client's minute of hidden retries. */
const CA_TIMEOUT_MS = 15_000;

export interface CaCheckDeps {
  config: RuntimeConfig;
  secretsManager: SecretsManagerClient;
}

interface Directory {
  newNonce?: string;
  newAccount?: string;
  newOrder?: string;
  meta?: { externalAccountRequired?: boolean; profiles?: Record<string, string> };
}

const finding = (ok: boolean, message: string, fix?: string, blocking = !ok): DoctorFinding => ({ check: 'ca', ok, message, ...(fix ? { fix } : {}), blocking: ok ? false : blocking });

/** Checks each CA once, however many certificates use it. */
export class CaChecker {
  private readonly cache = new Map<string, Promise<DoctorFinding[]>>();
  private readonly agent: Agent;
  private readonly ca?: string[];

  constructor(private readonly deps: CaCheckDeps) {
    // The testbed's pebble (CERTBEAT_ACME_CA_FILE) is trusted in addition to the public roots, as the ACME adapter does.
    this.ca = deps.config.acmeCaFile ? [...rootCertificates, readFileSync(deps.config.acmeCaFile, 'utf8')] : undefined;
    this.agent = new Agent(this.ca ? { ca: this.ca } : {});
  }

  check(record: Pick<CertificateRecord, 'directoryUrl' | 'eabSecretId'>): Promise<DoctorFinding[]> {
    const key = `${record.directoryUrl}\n${record.eabSecretId ?? ''}`;
    let result = this.cache.get(key);
    if (!result) {
      result = this.run(record.directoryUrl, record.eabSecretId);
      this.cache.set(key, result);
    }
    return result;
  }

  private async run(directoryUrl: string, eabSecretId: string | undefined): Promise<DoctorFinding[]> {
    if (!/^https:\/\//i.test(directoryUrl)) {
      return [finding(false, `the CA directory ${directoryUrl} is not https: ACME requires TLS`, `certbeat add <id> --replace … --ca with the CA's https directory URL.`)];
    }
    let directory: Directory;
    try {
      directory = await this.fetchJson(directoryUrl);
      if (!directory.newNonce || !directory.newAccount || !directory.newOrder) throw new Error('it lacks newNonce, newAccount or newOrder');
    } catch (e) {
      return [
        finding(false, `the CA directory ${directoryUrl} could not be read: ${(e as Error).message}`, 'Check the URL (the CA documents its ACME directory URL) and that this machine reaches it over https.'),
      ];
    }
    const findings = [finding(true, `the CA directory ${directoryUrl} answers over https`)];
    const eab = await this.checkEab(eabSecretId, directory.meta?.externalAccountRequired === true);
    findings.push(...eab);
    findings.push(await this.checkAccount(directoryUrl));
    return findings;
  }

  private async checkEab(secretId: string | undefined, required: boolean): Promise<DoctorFinding[]> {
    if (!secretId) {
      return required
        ? [finding(false, 'the CA requires External Account Binding, and the certificate names no EAB secret', 'Get an EAB key id and HMAC key from the CA, store them as {"keyId","hmacKey"} in Secrets Manager, and give the secret with certbeat add <id> --replace … --eab-secret NAME.')]
        : [];
    }
    const fix = `Store {"keyId": "<key id from the CA>", "hmacKey": "<base64url HMAC key from the CA>"} as the value of secret ${secretId}.`;
    let raw: string | undefined;
    try {
      raw = (await this.deps.secretsManager.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
    } catch (e) {
      const err = e as { name?: string; message?: string };
      if (err.name === 'ResourceNotFoundException') return [finding(false, `the EAB secret ${secretId} does not exist`, fix)];
      return [finding(false, `the EAB secret ${secretId} could not be read (${err.name}: ${err.message})`, 'Use credentials that allow secretsmanager:GetSecretValue on it.')];
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw ?? '');
    } catch {
      return [finding(false, `the EAB secret ${secretId} is not JSON`, fix)];
    }
    const { keyId, hmacKey } = (parsed ?? {}) as { keyId?: unknown; hmacKey?: unknown };
    if (typeof keyId !== 'string' || !keyId || typeof hmacKey !== 'string' || !hmacKey) {
      return [finding(false, `the EAB secret ${secretId} lacks a non-empty "keyId" or "hmacKey" string`, fix)];
    }
    if (!/^[A-Za-z0-9_-]+={0,2}$/.test(hmacKey) || Buffer.from(hmacKey, 'base64url').length < 16) {
      return [finding(false, `the EAB secret ${secretId}: "hmacKey" is not a base64url key of at least 16 bytes`, fix)];
    }
    return [finding(true, `the EAB secret ${secretId} holds a keyId and an HMAC key`)];
  }

  /** The account certbeat keeps for this CA (CERTBEAT_ACCOUNT_SECRET_ID), asked for its status. */
  private async checkAccount(directoryUrl: string): Promise<DoctorFinding> {
    const secretId = this.deps.config.accountSecretId;
    let raw: string | undefined;
    try {
      raw = (await this.deps.secretsManager.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
    } catch (e) {
      const err = e as { name?: string; message?: string };
      if (err.name !== 'ResourceNotFoundException') {
        return finding(false, `the ACME account secret ${secretId} could not be read (${err.name}: ${err.message})`, 'Use credentials that allow secretsmanager:GetSecretValue on the account secret (stack output AccountSecretId).', false);
      }
    }
    let stored: { keyPem?: string; accountUrl?: string } | undefined;
    try {
      stored = raw ? (JSON.parse(raw) as { accounts?: Record<string, { keyPem?: string; accountUrl?: string }> }).accounts?.[directoryUrl] : undefined;
    } catch {
      // The parser's message may quote the value, an account key: never pass it on.
      return finding(false, `the ACME account secret ${secretId} is not certbeat's account store (not JSON)`, `Point CERTBEAT_ACCOUNT_SECRET_ID at a secret certbeat owns, or empty secret ${secretId} so certbeat starts it afresh (existing ACME accounts are then registered again).`);
    }
    if (!stored?.keyPem || !stored.accountUrl) return finding(true, 'no ACME account at this CA yet: the first order registers one');
    try {
      if (this.ca) acmeAxios.defaults.httpsAgent = this.agent;
      const client = new Client({ directoryUrl, accountKey: stored.keyPem, accountUrl: stored.accountUrl });
      const account = (await withTimeout(client.createAccount({ onlyReturnExisting: true }), CA_TIMEOUT_MS)) as { status?: string };
      if (account.status === 'valid') return finding(true, `the ACME account ${stored.accountUrl} is valid`);
      return finding(false, `the ACME account ${stored.accountUrl} is ${account.status ?? 'in an unknown state'}`, `Remove the entry for ${directoryUrl} from secret ${secretId}: the next run registers a new account.`);
    } catch (e) {
      const message = (e as Error).message;
      if (/accountDoesNotExist|No account exists/i.test(message)) {
        return finding(false, `the CA does not know the ACME account ${stored.accountUrl}`, `Nothing to do: the next run registers it again. To do it now, remove the entry for ${directoryUrl} from secret ${secretId}.`, false);
      }
      return finding(false, `the ACME account's status could not be read (${message})`, 'Check that this machine reaches the CA; the next run retries.', false);
    }
  }

  private fetchJson(url: string): Promise<Directory> {
    return new Promise((resolve, reject) => {
      const req = get(url, { agent: this.agent, timeout: CA_TIMEOUT_MS }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}`));
          try {
            resolve(JSON.parse(body) as Directory);
          } catch {
            reject(new Error('the answer is not JSON'));
          }
        });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer in ${CA_TIMEOUT_MS / 1000} s`)));
      req.on('error', reject);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_r, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${ms / 1000} s`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
