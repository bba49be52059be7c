/**
 * A Secrets Manager emulator speaking the real JSON 1.1 API (`X-Amz-Target: secretsmanager.*`) on a
 * loopback port, so the unmodified `@aws-sdk/client-secrets-manager` reaches it through `endpoint` /
 * `AWS_ENDPOINT_URL_SECRETS_MANAGER`.
 *
 * Contract: CreateSecret, GetSecretValue, PutSecretValue, DescribeSecret, DeleteSecret; a SecretId may
 * be the name, the full ARN or the partial ARN (without the random suffix). Versions carry the
 * AWSCURRENT / AWSPREVIOUS labels as the real service moves them; ClientRequestToken (which the SDK
 * fills in) is the VersionId and makes the writes idempotent. A secret created without a value answers
 * GetSecretValue with ResourceNotFoundException for staging label AWSCURRENT.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { AwsJsonError, epochSeconds, optionalString, requireString, startJsonService } from './emulator-support/json-service.js';

interface Version {
  id: string;
  secretString?: string;
  secretBinary?: string; // base64, as it travels
  stages: string[];
  createdAt: Date;
}

interface Secret {
  arn: string;
  name: string;
  description?: string;
  kmsKeyId?: string;
  tags: Array<{ Key: string; Value: string }>;
  versions: Version[];
  createdAt: Date;
  lastChangedAt: Date;
  lastAccessedAt?: Date;
  deletedAt?: Date;
}

const SUFFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export async function startSecretsManagerEmulator(): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const region = 'us-east-1';
  const accountId = '123456789012';
  const secrets: Secret[] = [];

  const find = (input: Record<string, unknown>, allowDeleted = false): Secret => {
    const id = requireString(input, 'SecretId');
    const secret = secrets.find((s) => s.name === id || s.arn === id || s.arn.slice(0, -7) === id);
    if (!secret) throw new AwsJsonError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    if (secret.deletedAt && !allowDeleted) {
      throw new AwsJsonError('InvalidRequestException', "You can't perform this operation on the secret because it was marked for deletion.");
    }
    return secret;
  };

  const value = (input: Record<string, unknown>): { secretString?: string; secretBinary?: string } | undefined => {
    const secretString = optionalString(input, 'SecretString');
    const secretBinary = optionalString(input, 'SecretBinary');
    if (secretString !== undefined && secretBinary !== undefined) {
      throw new AwsJsonError('InvalidParameterException', "You can't specify both a binary secret value and a string secret value in the same secret.");
    }
    if (secretString === undefined && secretBinary === undefined) return undefined;
    return { secretString, secretBinary };
  };

  /** Adds a version labelled AWSCURRENT (the old current becomes AWSPREVIOUS), or replays an identical one. */
  const addVersion = (secret: Secret, token: string | undefined, v: { secretString?: string; secretBinary?: string }): Version => {
    const id = token ?? randomUUID();
    const same = secret.versions.find((x) => x.id === id);
    if (same) {
      if (same.secretString === v.secretString && same.secretBinary === v.secretBinary) return same;
      throw new AwsJsonError('ResourceExistsException', "You can't modify an existing version, you can only create a new version.");
    }
    for (const x of secret.versions) {
      x.stages = x.stages.filter((s) => s !== 'AWSPREVIOUS');
      if (x.stages.includes('AWSCURRENT')) x.stages = x.stages.filter((s) => s !== 'AWSCURRENT').concat('AWSPREVIOUS');
    }
    secret.versions = secret.versions.filter((x) => x.stages.length > 0);
    const version: Version = { id, ...v, stages: ['AWSCURRENT'], createdAt: new Date() };
    secret.versions.push(version);
    secret.lastChangedAt = version.createdAt;
    return version;
  };

  const service = await startJsonService({
    targetPrefix: 'secretsmanager',
    signingName: 'secretsmanager',
    operations: {
      CreateSecret: (input) => {
        const name = requireString(input, 'Name');
        const existing = secrets.find((s) => s.name === name);
        if (existing?.deletedAt) {
          throw new AwsJsonError('InvalidRequestException', "You can't create this secret because a secret with this name is already scheduled for deletion.");
        }
        if (existing) throw new AwsJsonError('ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
        const v = value(input);
        let suffix = '';
        while (suffix.length < 6) suffix += SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)];
        const now = new Date();
        const secret: Secret = {
          arn: `arn:aws:secretsmanager:${region}:${accountId}:secret:${name}-${suffix}`,
          name,
          description: optionalString(input, 'Description'),
          kmsKeyId: optionalString(input, 'KmsKeyId'),
          tags: Array.isArray(input.Tags) ? (input.Tags as Array<{ Key: string; Value: string }>) : [],
          versions: [],
          createdAt: now,
          lastChangedAt: now,
        };
        const version = v ? addVersion(secret, optionalString(input, 'ClientRequestToken'), v) : undefined;
        secrets.push(secret);
        return { ARN: secret.arn, Name: secret.name, VersionId: version?.id };
      },
      PutSecretValue: (input) => {
        const secret = find(input);
        const v = value(input);
        if (!v) throw new AwsJsonError('InvalidRequestException', 'You must provide either SecretString or SecretBinary.');
        const version = addVersion(secret, optionalString(input, 'ClientRequestToken'), v);
        return { ARN: secret.arn, Name: secret.name, VersionId: version.id, VersionStages: [...version.stages] };
      },
      GetSecretValue: (input) => {
        const secret = find(input);
        const versionId = optionalString(input, 'VersionId');
        const stage = optionalString(input, 'VersionStage') ?? (versionId ? undefined : 'AWSCURRENT');
        const version = secret.versions.find((x) => (!versionId || x.id === versionId) && (!stage || x.stages.includes(stage)));
        if (!version) {
          throw new AwsJsonError(
            'ResourceNotFoundException',
            versionId
              ? `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`
              : `Secrets Manager can't find the specified secret value for staging label: ${stage}`,
          );
        }
        secret.lastAccessedAt = new Date();
        return {
          ARN: secret.arn,
          Name: secret.name,
          VersionId: version.id,
          SecretString: version.secretString,
          SecretBinary: version.secretBinary,
          VersionStages: [...version.stages],
          CreatedDate: epochSeconds(version.createdAt),
        };
      },
      DescribeSecret: (input) => {
        const secret = find(input, true);
        return {
          ARN: secret.arn,
          Name: secret.name,
          Description: secret.description,
          KmsKeyId: secret.kmsKeyId,
          LastChangedDate: epochSeconds(secret.lastChangedAt),
          LastAccessedDate: secret.lastAccessedAt ? epochSeconds(secret.lastAccessedAt) : undefined,
          DeletedDate: secret.deletedAt ? epochSeconds(secret.deletedAt) : undefined,
          Tags: secret.tags,
          VersionIdsToStages: Object.fromEntries(secret.versions.map((x) => [x.id, [...x.stages]])),
          CreatedDate: epochSeconds(secret.createdAt),
        };
      },
      DeleteSecret: (input) => {
        const secret = find(input, true);
        const force = input.ForceDeleteWithoutRecovery === true;
        const windowDays = input.RecoveryWindowInDays;
        if (force && windowDays !== undefined) {
          throw new AwsJsonError('InvalidParameterException', "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");
        }
        const days = typeof windowDays === 'number' ? windowDays : 30;
        if (!force && (days < 7 || days > 30)) {
          throw new AwsJsonError('InvalidParameterException', 'The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).');
        }
        const now = new Date();
        if (force) secrets.splice(secrets.indexOf(secret), 1);
        else secret.deletedAt ??= now;
        const deletion = force ? now : new Date(secret.deletedAt!.getTime() + days * 86_400_000);
        return { ARN: secret.arn, Name: secret.name, DeletionDate: epochSeconds(deletion) };
      },
    },
  });
  return service;
}
