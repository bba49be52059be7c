/**
 * `SecretStore` over AWS Secrets Manager: ACME account keys and EAB credentials.
 */
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
 * Access and KMS refusals become `ConfigurationError` naming the secret and the IAM permission to grant;
 * throttling, 5xx and network failures become `TransientError`. Secret values never appear in errors.
 */
export class SecretsManagerSecretStore implements SecretStore {
  constructor(private readonly client: SecretsManagerClient) {}

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

  async put(secretId: string, value: string): Promise<void> {
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
