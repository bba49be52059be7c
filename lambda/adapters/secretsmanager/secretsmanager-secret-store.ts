/**
 * `SecretStore` over AWS Secrets Manager: ACME account keys, EAB credentials, order keys, pending imports.
 */
import { createHash } from 'node:crypto';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { CertbeatError, ConfigurationError, TransientError } from '../../domain/errors.js';
import type { SecretStore } from '../../domain/ports.js';

/**
 * Reads and writes string secrets.
 *
 * Contract (see `SecretStore`): `get` resolves `undefined` when the secret does not exist or has no
 * current value; `put` writes a new current version (PutSecretValue), creating the secret when absent.
 * `update` is a compare-and-swap built on Secrets Manager's idempotency token: the new version's
 * ClientRequestToken is derived from the version it was computed from, so two writers starting from the
 * same version send the same token, and Secrets Manager refuses the second with ResourceExistsException
 * ("you can't modify an existing version") when its value differs; the loser reads again.
 * Access and KMS refusals become `ConfigurationError` naming the secret and the IAM permission to grant;
 * throttling, 5xx and network failures become `TransientError`. Secret values never appear in errors.
 */
export class SecretsManagerSecretStore implements SecretStore {
  constructor(private readonly client: SecretsManagerClient) {}

  async update(secretId: string, change: (current: string | undefined) => string | undefined): Promise<string | undefined> {
    for (let attempt = 1; attempt <= MAX_UPDATE_ATTEMPTS; attempt++) {
      const current = await this.read(secretId);
      const next = change(current?.value);
      if (next === undefined || next === current?.value) return current?.value;
      // Never a fresh token for the same base: a read that still shows the version a winner has just
      // replaced must collide again, not overwrite the winner.
      const token = casToken(secretId, current?.versionId ?? '');
      try {
        if (current) await this.client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: next, ClientRequestToken: token }));
        else await this.createOrFill(secretId, next, token);
        return next;
      } catch (err) {
        // Another writer got in first (or deleted the secret): read again and let `change` decide anew.
        if (errorName(err) === 'ResourceExistsException' || errorName(err) === 'ResourceNotFoundException') continue;
        if (err instanceof CertbeatError) throw err;
        throw classify(err, secretId, 'secretsmanager:PutSecretValue');
      }
    }
    throw new TransientError(`Secrets Manager secret ${secretId} kept changing while certbeat updated it (${MAX_UPDATE_ATTEMPTS} attempts)`, {
      remediation: 'Several runs wrote the secret at once: certbeat retries on the next run.',
    });
  }

  /** The current value and its version, or `undefined` when the secret is absent or has no value. */
  private async read(secretId: string): Promise<{ value: string; versionId: string } | undefined> {
    try {
      const out = await this.client.send(new GetSecretValueCommand({ SecretId: secretId }));
      const value = out.SecretString ?? (out.SecretBinary !== undefined ? Buffer.from(out.SecretBinary).toString('utf8') : undefined);
      return value === undefined || out.VersionId === undefined ? undefined : { value, versionId: out.VersionId };
    } catch (err) {
      if (errorName(err) === 'ResourceNotFoundException') return undefined;
      throw classify(err, secretId, 'secretsmanager:GetSecretValue');
    }
  }

  /**
   * First value of a secret: PutSecretValue when the secret exists without a value (the stack creates
   * the account secret so, and grants only Get/PutSecretValue on it), else CreateSecret; both with
   * `token`, so concurrent first writers collide and only one value is stored.
   */
  private async createOrFill(secretId: string, value: string, token: string): Promise<void> {
    try {
      await this.client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: value, ClientRequestToken: token }));
      return;
    } catch (err) {
      if (errorName(err) !== 'ResourceNotFoundException') throw err;
    }
    try {
      await this.client.send(new CreateSecretCommand({ Name: secretId, SecretString: value, ClientRequestToken: token }));
    } catch (err) {
      if (errorName(err) === 'ResourceExistsException') throw err; // lost the race: the caller reads again
      throw classify(err, secretId, 'secretsmanager:CreateSecret');
    }
  }

  async get(secretId: string): Promise<string | undefined> {
    try {
      const out = await this.client.send(new GetSecretValueCommand({ SecretId: secretId }));
      if (out.SecretString !== undefined) return out.SecretString;
      if (out.SecretBinary !== undefined) return Buffer.from(out.SecretBinary).toString('utf8');
      return undefined;
    } catch (err) {
      if (errorName(err) === 'ResourceNotFoundException') return undefined;
      throw classify(err, secretId, 'secretsmanager:GetSecretValue');
    }
  }

  async put(secretId: string, value: string, options: { expectAbsent?: boolean } = {}): Promise<void> {
    if (options.expectAbsent) {
      try {
        await this.client.send(new CreateSecretCommand({ Name: secretId, SecretString: value }));
        return;
      } catch (err) {
        if (errorName(err) !== 'ResourceExistsException') throw classify(err, secretId, 'secretsmanager:CreateSecret');
      }
    }
    try {
      await this.client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: value }));
      return;
    } catch (err) {
      if (errorName(err) !== 'ResourceNotFoundException') throw classify(err, secretId, 'secretsmanager:PutSecretValue');
    }
    try {
      await this.client.send(new CreateSecretCommand({ Name: secretId, SecretString: value }));
    } catch (err) {
      // Created by someone else in the meantime: write the value as a new version.
      if (errorName(err) === 'ResourceExistsException') {
        try {
          await this.client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: value }));
          return;
        } catch (again) {
          throw classify(again, secretId, 'secretsmanager:PutSecretValue');
        }
      }
      throw classify(err, secretId, 'secretsmanager:CreateSecret');
    }
  }

  async delete(secretId: string): Promise<void> {
    try {
      // Without recovery: the slot holds a private key that has been imported and must not linger.
      await this.client.send(new DeleteSecretCommand({ SecretId: secretId, ForceDeleteWithoutRecovery: true }));
    } catch (err) {
      if (errorName(err) === 'ResourceNotFoundException') return;
      throw classify(err, secretId, 'secretsmanager:DeleteSecret');
    }
  }
}

/** Compare-and-swap rounds before giving up; each lost round means another writer succeeded. */
const MAX_UPDATE_ATTEMPTS = 10;

/**
 * The ClientRequestToken of a version computed from version `base` (empty: from no value): the same
 * for every writer starting there, unique otherwise. UUID-shaped (Secrets Manager wants 32–64 chars).
 */
function casToken(secretId: string, base: string): string {
  const h = createHash('sha256').update(`certbeat-cas\0${secretId}\0${base}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function errorName(err: unknown): string | undefined {
  return (err as { name?: string } | null)?.name;
}

/** An SDK failure as a certbeat error naming the secret (never its value). */
function classify(err: unknown, secretId: string, action: string): CertbeatError {
  const name = errorName(err) ?? 'Error';
  const detail = err instanceof Error ? err.message : String(err);
  const meta = err as { $fault?: 'client' | 'server'; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  const message = `Secrets Manager ${action} on ${secretId} failed: ${name}: ${detail}`;
  if (name === 'AccessDeniedException' || name === 'AccessDenied' || name === 'UnrecognizedClientException') {
    return new ConfigurationError(message, {
      cause: err,
      field: 'secretId',
      remediation: `Grant the certbeat Lambda role ${action} on secret ${secretId} (and kms:Decrypt/kms:GenerateDataKey on its KMS key if it uses a customer managed key).`,
    });
  }
  if (name === 'DecryptionFailure' || name === 'EncryptionFailure') {
    return new ConfigurationError(message, {
      cause: err,
      field: 'secretId',
      remediation: `Allow the certbeat Lambda role to use the KMS key of secret ${secretId} (kms:Decrypt, kms:GenerateDataKey), and check the key is enabled.`,
    });
  }
  if (name === 'InvalidRequestException' && /deletion/i.test(detail)) {
    return new ConfigurationError(message, {
      cause: err,
      field: 'secretId',
      remediation: `Secret ${secretId} is scheduled for deletion: restore it (aws secretsmanager restore-secret --secret-id ${secretId}) or configure another secret.`,
    });
  }
  const throttled = name === 'ThrottlingException' || name === 'TooManyRequestsException' || meta.$metadata?.httpStatusCode === 429;
  if (throttled || meta.$fault === 'server' || meta.$metadata?.httpStatusCode === undefined || name === 'InternalServiceError') {
    return new TransientError(message, {
      cause: err,
      remediation: 'A temporary Secrets Manager or network problem: certbeat retries on the next run.',
    });
  }
  return new ConfigurationError(message, {
    cause: err,
    field: 'secretId',
    remediation: `Check secret ${secretId} in Secrets Manager (it must be a string secret certbeat may read and write).`,
  });
}
