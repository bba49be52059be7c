import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { startSecretsManagerEmulator } from './secretsmanager-emulator.js';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

async function failure(p: Promise<unknown>): Promise<Error & { name: string; $metadata: { httpStatusCode?: number } }> {
  try {
    await p;
  } catch (e) {
    return e as never;
  }
  throw new Error('expected the call to fail');
}

describe('Secrets Manager emulator through @aws-sdk/client-secrets-manager', () => {
  let emu: Awaited<ReturnType<typeof startSecretsManagerEmulator>>;
  let sm: SecretsManagerClient;

  beforeAll(async () => {
    emu = await startSecretsManagerEmulator();
    sm = new SecretsManagerClient({ endpoint: emu.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  });
  afterAll(async () => {
    sm?.destroy();
    await emu?.stop();
  });

  it('creates a secret without a value, then answers GetSecretValue with the AWSCURRENT not-found error', async () => {
    const created = await sm.send(new CreateSecretCommand({ Name: 'certbeat/acme-account', Description: 'ACME account key' }));
    expect(created.ARN).toMatch(/^arn:aws:secretsmanager:us-east-1:123456789012:secret:certbeat\/acme-account-[A-Za-z0-9]{6}$/);
    expect(created.VersionId).toBeUndefined();
    const e = await failure(sm.send(new GetSecretValueCommand({ SecretId: 'certbeat/acme-account' })));
    expect(e.name).toBe('ResourceNotFoundException');
    expect(e.message).toBe("Secrets Manager can't find the specified secret value for staging label: AWSCURRENT");

    const exists = await failure(sm.send(new CreateSecretCommand({ Name: 'certbeat/acme-account' })));
    expect(exists.name).toBe('ResourceExistsException');
  });

  it('puts values, moves AWSCURRENT/AWSPREVIOUS, and accepts the name, full ARN or partial ARN as SecretId', async () => {
    const { ARN } = await sm.send(new CreateSecretCommand({ Name: 'eab-hmac', SecretString: 'first' }));
    const put = await sm.send(new PutSecretValueCommand({ SecretId: ARN, SecretString: 'second' }));
    expect(put.VersionStages).toEqual(['AWSCURRENT']);

    for (const id of ['eab-hmac', ARN!, ARN!.slice(0, -7)]) {
      const v = await sm.send(new GetSecretValueCommand({ SecretId: id }));
      expect(v.SecretString).toBe('second');
      expect(v.ARN).toBe(ARN);
      expect(v.Name).toBe('eab-hmac');
    }
    const previous = await sm.send(new GetSecretValueCommand({ SecretId: 'eab-hmac', VersionStage: 'AWSPREVIOUS' }));
    expect(previous.SecretString).toBe('first');

    const d = await sm.send(new DescribeSecretCommand({ SecretId: 'eab-hmac' }));
    expect(d.ARN).toBe(ARN);
    expect(Object.values(d.VersionIdsToStages ?? {}).sort()).toEqual([['AWSCURRENT'], ['AWSPREVIOUS']]);
    expect(d.CreatedDate).toBeInstanceOf(Date);

    // Binary values travel base64 over JSON and come back as bytes.
    await sm.send(new PutSecretValueCommand({ SecretId: 'eab-hmac', SecretBinary: Uint8Array.from([0, 1, 2, 255]) }));
    const bin = await sm.send(new GetSecretValueCommand({ SecretId: 'eab-hmac' }));
    expect([...(bin.SecretBinary ?? [])]).toEqual([0, 1, 2, 255]);
    expect(bin.SecretString).toBeUndefined();
  });

  it('answers ResourceNotFoundException for an unknown secret and deletes (scheduled or forced)', async () => {
    const missing = await failure(sm.send(new GetSecretValueCommand({ SecretId: 'nope' })));
    expect(missing.name).toBe('ResourceNotFoundException');
    expect(missing.message).toBe("Secrets Manager can't find the specified secret.");

    await sm.send(new CreateSecretCommand({ Name: 'scheduled', SecretString: 'x' }));
    const del = await sm.send(new DeleteSecretCommand({ SecretId: 'scheduled', RecoveryWindowInDays: 7 }));
    expect(del.DeletionDate).toBeInstanceOf(Date);
    expect((await sm.send(new DescribeSecretCommand({ SecretId: 'scheduled' }))).DeletedDate).toBeInstanceOf(Date);
    const marked = await failure(sm.send(new GetSecretValueCommand({ SecretId: 'scheduled' })));
    expect(marked.name).toBe('InvalidRequestException');

    await sm.send(new CreateSecretCommand({ Name: 'forced', SecretString: 'x' }));
    await sm.send(new DeleteSecretCommand({ SecretId: 'forced', ForceDeleteWithoutRecovery: true }));
    expect((await failure(sm.send(new DescribeSecretCommand({ SecretId: 'forced' })))).name).toBe('ResourceNotFoundException');
  });

  it('requires an Authorization header like the real endpoint', async () => {
    const res = await fetch(emu.endpoint, {
      method: 'POST',
      headers: { 'x-amz-target': 'secretsmanager.GetSecretValue', 'content-type': 'application/x-amz-json-1.1' },
      body: '{"SecretId":"eab-hmac"}',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { __type: string }).__type).toBe('MissingAuthenticationTokenException');
  });
});
