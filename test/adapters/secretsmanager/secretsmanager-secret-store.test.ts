import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateSecretCommand, DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretsManagerSecretStore } from '../../../lambda/adapters/secretsmanager/secretsmanager-secret-store.js';
import { ConfigurationError, TransientError } from '../../../lambda/domain/errors.js';
import { freePort } from '../../testbed/ports.js';
import { startSecretsManagerEmulator } from '../../testbed/secretsmanager-emulator.js';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const client = (endpoint: string) => new SecretsManagerClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });

describe('SecretsManagerSecretStore against the Secrets Manager emulator', () => {
  let emu: Awaited<ReturnType<typeof startSecretsManagerEmulator>>;
  let sm: SecretsManagerClient;
  let store: SecretsManagerSecretStore;

  beforeAll(async () => {
    emu = await startSecretsManagerEmulator();
    sm = client(emu.endpoint);
    store = new SecretsManagerSecretStore(sm);
  });
  afterAll(async () => {
    sm?.destroy();
    await emu?.stop();
  });

  it('answers undefined for a secret that does not exist', async () => {
    await expect(store.get('certbeat/nothing-here')).resolves.toBeUndefined();
  });

  it('creates the secret on first put and writes new versions after that', async () => {
    await store.put('certbeat/acme-accounts', '{"accounts":{}}');
    await expect(store.get('certbeat/acme-accounts')).resolves.toBe('{"accounts":{}}');
    await store.put('certbeat/acme-accounts', '{"accounts":{"x":{"keyPem":"k"}}}');
    await expect(store.get('certbeat/acme-accounts')).resolves.toBe('{"accounts":{"x":{"keyPem":"k"}}}');
    const described = await sm.send(new DescribeSecretCommand({ SecretId: 'certbeat/acme-accounts' }));
    expect(Object.values(described.VersionIdsToStages ?? {}).flat().sort()).toEqual(['AWSCURRENT', 'AWSPREVIOUS']);
  });

  it('deletes a secret at once, and deleting an absent one is a no-op', async () => {
    await store.put('certbeat/pending/web', '{"certificatePem":"x"}');
    await store.delete('certbeat/pending/web');
    expect(await store.get('certbeat/pending/web')).toBeUndefined();
    await expect(store.delete('certbeat/pending/never-there')).resolves.toBeUndefined();
    // Gone without a recovery window: the name can be used again straight away.
    await store.put('certbeat/pending/web', 'again');
    expect(await store.get('certbeat/pending/web')).toBe('again');
  });

  it('with expectAbsent creates an absent secret in one request, and still writes a present one', async () => {
    const sent: string[] = [];
    const counted = client(emu.endpoint);
    counted.middlewareStack.add((next, context) => (args) => {
      sent.push(String(context.commandName));
      return next(args);
    }, { step: 'initialize' });
    const fresh = new SecretsManagerSecretStore(counted);
    await fresh.put('certbeat/pending/order-keys/a', 'key-1', { expectAbsent: true });
    expect(sent).toEqual(['CreateSecretCommand']);
    expect(await fresh.get('certbeat/pending/order-keys/a')).toBe('key-1');
    sent.length = 0;
    // Present after all (an earlier run did not delete it): the value is written as a new version.
    await fresh.put('certbeat/pending/order-keys/a', 'key-2', { expectAbsent: true });
    expect(sent).toEqual(['CreateSecretCommand', 'PutSecretValueCommand']);
    expect(await fresh.get('certbeat/pending/order-keys/a')).toBe('key-2');
    counted.destroy();
  });

  it('answers undefined for a secret created without a value, and put fills it', async () => {
    await sm.send(new CreateSecretCommand({ Name: 'certbeat/eab/empty' }));
    await expect(store.get('certbeat/eab/empty')).resolves.toBeUndefined();
    await store.put('certbeat/eab/empty', '{"keyId":"k","hmacKey":"h"}');
    await expect(store.get('certbeat/eab/empty')).resolves.toBe('{"keyId":"k","hmacKey":"h"}');
  });
});

describe('SecretsManagerSecretStore.update (compare-and-swap) against the emulator', () => {
  let emu: Awaited<ReturnType<typeof startSecretsManagerEmulator>>;
  /** Separate SDK clients: separate Lambdas racing. */
  let stores: SecretsManagerSecretStore[];
  let clients: SecretsManagerClient[];

  beforeAll(async () => {
    emu = await startSecretsManagerEmulator();
    clients = Array.from({ length: 8 }, () => client(emu.endpoint));
    stores = clients.map((c) => new SecretsManagerSecretStore(c));
  });
  afterAll(async () => {
    for (const c of clients ?? []) c.destroy();
    await emu?.stop();
  });

  it('lets exactly one first writer win; every other writer gets the winner\'s value', async () => {
    const results = await Promise.all(stores.map((store, i) => store.update('certbeat/first', (current) => current ?? `key-${i}`)));
    expect(new Set(results).size).toBe(1);
    expect(results[0]).toMatch(/^key-\d$/);
    expect(await stores[0].get('certbeat/first')).toBe(results[0]);
    const described = await clients[0].send(new DescribeSecretCommand({ SecretId: 'certbeat/first' }));
    expect(Object.keys(described.VersionIdsToStages ?? {})).toHaveLength(1); // no value was ever overwritten
  });

  it('loses no entry when many writers add to the same JSON at once', async () => {
    await stores[0].put('certbeat/merged', '{}');
    const add = (i: number) => (current: string | undefined) => JSON.stringify({ ...JSON.parse(current ?? '{}'), [`dir-${i}`]: i });
    await Promise.all(stores.map((store, i) => store.update('certbeat/merged', add(i))));
    expect(JSON.parse((await stores[0].get('certbeat/merged'))!)).toEqual(Object.fromEntries(stores.map((_, i) => [`dir-${i}`, i])));
  });

  it('fills a secret created without a value (as the stack creates it), one winner', async () => {
    await clients[0].send(new CreateSecretCommand({ Name: 'certbeat/empty-at-first' }));
    const results = await Promise.all(stores.map((store, i) => store.update('certbeat/empty-at-first', (current) => current ?? `v${i}`)));
    expect(new Set(results).size).toBe(1);
    expect(await stores[0].get('certbeat/empty-at-first')).toBe(results[0]);
  });

  it('writes nothing when change keeps the value', async () => {
    await stores[0].put('certbeat/kept', 'same');
    await expect(stores[0].update('certbeat/kept', () => undefined)).resolves.toBe('same');
    await expect(stores[0].update('certbeat/kept', (current) => current)).resolves.toBe('same');
    const described = await clients[0].send(new DescribeSecretCommand({ SecretId: 'certbeat/kept' }));
    expect(Object.keys(described.VersionIdsToStages ?? {})).toHaveLength(1);
  });
});

describe('SecretsManagerSecretStore error classification', () => {
  /** Answers every call with the given AWS JSON error, as the real endpoint does. */
  let server: Server;
  let endpoint: string;
  let answer = { status: 400, type: 'AccessDeniedException', message: 'User is not authorized to perform: secretsmanager:GetSecretValue' };

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': answer.type });
        res.end(JSON.stringify({ __type: answer.type, message: answer.message }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  it('turns AccessDenied into ConfigurationError naming the secret and the IAM fix', async () => {
    answer = { status: 400, type: 'AccessDeniedException', message: 'User is not authorized to perform: secretsmanager:GetSecretValue' };
    const err = await new SecretsManagerSecretStore(client(endpoint)).get('certbeat/acme-accounts').catch((e) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err.message).toContain('certbeat/acme-accounts');
    expect(err.remediation).toContain('secretsmanager:GetSecretValue on secret certbeat/acme-accounts');
    const put = await new SecretsManagerSecretStore(client(endpoint)).put('certbeat/acme-accounts', 'SECRET-VALUE').catch((e) => e);
    expect(put.remediation).toContain('secretsmanager:PutSecretValue');
    expect(`${put.message} ${put.remediation}`).not.toContain('SECRET-VALUE');
  });

  it('turns a KMS decryption failure into ConfigurationError about the key', async () => {
    answer = { status: 400, type: 'DecryptionFailure', message: 'KMS access denied' };
    const err = await new SecretsManagerSecretStore(client(endpoint)).get('s').catch((e) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err.remediation).toContain('kms:Decrypt');
  });

  it('turns server errors, throttling and network failures into TransientError', async () => {
    answer = { status: 500, type: 'InternalServiceError', message: 'oops' };
    await expect(new SecretsManagerSecretStore(client(endpoint)).get('s')).rejects.toThrow(TransientError);
    answer = { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' };
    await expect(new SecretsManagerSecretStore(client(endpoint)).get('s')).rejects.toThrow(TransientError);
    const down = await new SecretsManagerSecretStore(client(`http://127.0.0.1:${await freePort()}`)).get('s').catch((e) => e);
    expect(down).toBeInstanceOf(TransientError);
    expect(down.message).toContain('secretsmanager:GetSecretValue on s');
  });
});
