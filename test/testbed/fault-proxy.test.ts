import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ACMClient, ImportCertificateCommand, ListCertificatesCommand } from '@aws-sdk/client-acm';
import { DescribeTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { ChangeResourceRecordSetsCommand, GetChangeCommand, Route53Client } from '@aws-sdk/client-route-53';
import { CreateSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startAcmEmulator } from './acm-emulator.js';
import { protocols, startFaultProxy } from './fault-proxy.js';
import { startTestbed, TESTBED_CREDENTIALS, TESTBED_REGION, TESTBED_SENDER, type Testbed, type TestbedFaults } from './testbed.js';

const run = promisify(execFile);

type SdkError = Error & { name: string; code?: string; $metadata?: { httpStatusCode?: number; attempts?: number } };

async function failure(p: Promise<unknown>): Promise<SdkError> {
  try {
    await p;
  } catch (e) {
    return e as SdkError;
  }
  throw new Error('expected the call to fail');
}

/** A self-signed P-256 certificate and its key, enough for the ACM emulator's checks. */
async function selfSigned(name: string): Promise<{ cert: string; key: string }> {
  const { stdout } = await run('sh', [
    '-c',
    `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout - -days 1 -subj /CN=${name} ` +
      `-addext subjectAltName=DNS:${name} -addext extendedKeyUsage=serverAuth 2>/dev/null`,
  ]);
  const key = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----\n/.exec(stdout)![0];
  const cert = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/.exec(stdout)![0];
  return { cert, key };
}

describe('startTestbed({ faults: true }): fault proxies in front of the AWS emulators', () => {
  let tb: Testbed & { faults: TestbedFaults };
  const made: Array<{ destroy(): void }> = [];
  /** SDK clients on the proxies; `maxAttempts: 1` shows each fault as the client's first answer. */
  const client = <C extends { destroy(): void }>(make: new (cfg: any) => C, endpoint: string, maxAttempts = 1): C => {
    const c = new make({ region: TESTBED_REGION, endpoint, credentials: TESTBED_CREDENTIALS, maxAttempts });
    made.push(c);
    return c;
  };

  beforeAll(async () => {
    tb = await startTestbed({ faults: true, insyncAfterMs: 10 });
  });
  afterEach(() => {
    for (const f of Object.values(tb.faults)) {
      f.clear();
      f.resetCalls();
    }
  });
  afterAll(async () => {
    for (const c of made) c.destroy();
    await tb?.stop();
  });

  it('points env and clients() at the proxies, which pass requests through and count them', async () => {
    const f = tb.faults;
    expect(tb.env).toMatchObject({
      AWS_ENDPOINT_URL_ACM: f.acm.endpoint,
      AWS_ENDPOINT_URL_ROUTE_53: f.route53.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: f.dynamodb.endpoint,
      AWS_ENDPOINT_URL_SESV2: f.ses.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: f.secretsManager.endpoint,
    });
    expect(new Set(Object.values(f).map((p) => p.endpoint)).size).toBe(6);
    expect(f.acm.upstream).toBe(tb.acm.endpoint);
    expect(tb.directoryUrl).toBe(`${f.acme.endpoint}/dir`);

    const { Table } = await tb.clients().dynamodb.send(new DescribeTableCommand({ TableName: tb.tableName }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    await tb.clients().acm.send(new ListCertificatesCommand({}));
    expect(f.dynamodb.calls('DescribeTable')).toBe(1);
    expect(f.dynamodb.calls('DynamoDB_20120810.DescribeTable')).toBe(1);
    expect(f.acm.requests()).toEqual([
      { operation: 'ListCertificates', target: 'CertificateManager.ListCertificates', method: 'POST', path: '/', forwarded: true, fault: undefined },
    ]);
  });

  it('5xx after commit: ACM stores the import, the client sees 500, and ImportCertificate was sent exactly once', async () => {
    const acm = client(ACMClient, tb.endpoints.acm);
    const { cert, key } = await selfSigned('committed.test');
    const fault = tb.faults.acm.inject({ operation: 'CertificateManager.ImportCertificate', fault: 'errorAfterCommit', times: 1 });

    const err = await failure(acm.send(new ImportCertificateCommand({ Certificate: Buffer.from(cert), PrivateKey: Buffer.from(key) })));
    expect(err.$metadata?.httpStatusCode).toBe(500);
    expect(err.name).toBe('InternalFailure');
    expect(tb.acm.certificates().map((c) => c.certificatePem.trim())).toEqual([cert.trim()]);
    expect(tb.faults.acm.calls('ImportCertificate')).toBe(1);
    expect(tb.faults.acm.requests('ImportCertificate')[0]).toMatchObject({ fault: 'errorAfterCommit', forwarded: true });
    expect(fault).toMatchObject({ seen: 1, fired: 1 });

    // `times: 1` spent: the next import answers normally.
    const again = await acm.send(new ImportCertificateCommand({ Certificate: Buffer.from(cert), PrivateKey: Buffer.from(key) }));
    expect(again.CertificateArn).toMatch(/^arn:aws:acm:/);
    expect(tb.faults.acm.calls('ImportCertificate')).toBe(2);
  });

  it('throttles every 3rd call with ACM\'s ThrottlingException, which the SDK retries', async () => {
    const acm = client(ACMClient, tb.endpoints.acm);
    tb.faults.acm.inject({ operation: 'ListCertificates', fault: 'throttle', every: 3 });
    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) {
      outcomes.push(await acm.send(new ListCertificatesCommand({})).then(() => 'ok', (e: SdkError) => `${e.$metadata?.httpStatusCode} ${e.name}: ${e.message}`));
    }
    const throttled = '400 ThrottlingException: Rate exceeded';
    expect(outcomes).toEqual(['ok', 'ok', throttled, 'ok', 'ok', throttled]);

    // A client with retries: the 9th call is throttled, the SDK retries it (the 10th) and succeeds.
    tb.faults.acm.resetCalls();
    const retrying = client(ACMClient, tb.endpoints.acm, 3);
    await retrying.send(new ListCertificatesCommand({}));
    await retrying.send(new ListCertificatesCommand({}));
    const third = await retrying.send(new ListCertificatesCommand({}));
    expect(third.$metadata.attempts).toBe(2);
    expect(tb.faults.acm.requests().map((c) => c.fault ?? 'ok')).toEqual(['ok', 'ok', 'throttle', 'ok']);
  });

  it('drops the connection before forwarding: the SDK sees a network error and nothing is stored', async () => {
    const sm = client(SecretsManagerClient, tb.endpoints.secretsManager);
    tb.faults.secretsManager.inject({ operation: 'CreateSecret', fault: 'dropBeforeForward', times: 1 });
    const err = await failure(sm.send(new CreateSecretCommand({ Name: 'dropped/before', SecretString: 'x' })));
    expect(err.$metadata?.httpStatusCode).toBeUndefined();
    expect(`${err.code ?? ''} ${err.message}`).toMatch(/ECONNRESET|socket hang up/);
    expect((await failure(sm.send(new GetSecretValueCommand({ SecretId: 'dropped/before' })))).name).toBe('ResourceNotFoundException');
    expect(tb.faults.secretsManager.requests('CreateSecret')).toEqual([expect.objectContaining({ fault: 'dropBeforeForward', forwarded: false })]);
  });

  it('drops the connection after forwarding: the secret exists although the client saw a network error', async () => {
    const sm = client(SecretsManagerClient, tb.endpoints.secretsManager);
    tb.faults.secretsManager.inject({ operation: 'secretsmanager.CreateSecret', fault: 'dropAfterForward' });
    const err = await failure(sm.send(new CreateSecretCommand({ Name: 'dropped/after', SecretString: 'kept' })));
    expect(err.$metadata?.httpStatusCode).toBeUndefined();
    expect(`${err.code ?? ''} ${err.message}`).toMatch(/ECONNRESET|socket hang up/);
    expect((await sm.send(new GetSecretValueCommand({ SecretId: 'dropped/after' }))).SecretString).toBe('kept');
  });

  it('answers DynamoDB throttling with its namespaced error types; 503 after commit keeps the write', async () => {
    const ddb = client(DynamoDBClient, tb.endpoints.dynamodb);
    const update = () =>
      ddb.send(new UpdateItemCommand({ TableName: tb.tableName, Key: { id: { S: 'row' } }, UpdateExpression: 'SET n = :n', ExpressionAttributeValues: { ':n': { N: '1' } } }));
    tb.faults.dynamodb.inject({ operation: 'DynamoDB_20120810.UpdateItem', fault: 'throttle', times: 1 });
    tb.faults.dynamodb.inject({ operation: 'UpdateItem', fault: 'throttle', code: 'ProvisionedThroughputExceededException', times: 1 });
    const first = await failure(update());
    expect([first.name, first.$metadata?.httpStatusCode]).toEqual(['ThrottlingException', 400]);
    // The first rule is spent; the second fires on the next matching call.
    const second = await failure(update());
    expect(second.name).toBe('ProvisionedThroughputExceededException');
    await update();

    tb.faults.dynamodb.inject({ operation: /^PutItem$/, fault: 'errorAfterCommit', status: 503, times: 1 });
    const put = await failure(ddb.send(new PutItemCommand({ TableName: tb.tableName, Item: { id: { S: 'after-commit' } } })));
    expect(put.$metadata?.httpStatusCode).toBe(503);
    expect((await ddb.send(new GetItemCommand({ TableName: tb.tableName, Key: { id: { S: 'after-commit' } } }))).Item).toEqual({ id: { S: 'after-commit' } });
    expect(tb.faults.dynamodb.calls('UpdateItem')).toBe(3);
  });

  it('SES: a mail sent although the client saw 500; throttling is TooManyRequestsException (429)', async () => {
    await tb.ses.clear();
    const ses = client(SESv2Client, tb.endpoints.ses);
    const send = (subject: string) =>
      ses.send(new SendEmailCommand({
        FromEmailAddress: TESTBED_SENDER,
        Destination: { ToAddresses: ['owner@tb.test'] },
        Content: { Simple: { Subject: { Data: subject }, Body: { Text: { Data: 'hi' } } } },
      }));
    tb.faults.ses.inject({ operation: 'SendEmail', fault: 'errorAfterCommit', times: 1 });
    expect((await failure(send('delivered anyway'))).$metadata?.httpStatusCode).toBe(500);
    expect((await tb.ses.mails()).map((m) => m.subject)).toEqual(['delivered anyway']);

    tb.faults.ses.inject({ method: 'POST', path: /^\/v2\/email\/outbound-emails/, fault: 'throttle', times: 1 });
    const throttled = await failure(send('throttled'));
    expect([throttled.name, throttled.$metadata?.httpStatusCode]).toEqual(['TooManyRequestsException', 429]);
    expect(tb.faults.ses.calls('SendEmail')).toBe(2);
    expect((await tb.ses.mails()).length).toBe(1);
  });

  it('Route 53: Throttling in the REST/XML shape (retried by the SDK), and method + path matching', async () => {
    const zoneId = await tb.route53.createZone('faults.test');
    const change = (r53: Route53Client, value: string) =>
      r53.send(new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: '_acme-challenge.faults.test', Type: 'TXT', TTL: 60, ResourceRecords: [{ Value: `"${value}"` }] } }] },
      }));
    const once = client(Route53Client, tb.endpoints.route53);
    tb.faults.route53.inject({ operation: 'ChangeResourceRecordSets', fault: 'throttle', times: 2 });
    const err = await failure(change(once, 'a'));
    expect([err.name, err.$metadata?.httpStatusCode, err.message]).toEqual(['Throttling', 400, 'Rate exceeded']);

    const retrying = client(Route53Client, tb.endpoints.route53, 3);
    const { ChangeInfo, $metadata } = await change(retrying, 'b');
    expect($metadata.attempts).toBe(2);

    tb.faults.route53.inject({ method: 'GET', path: /^\/2013-04-01\/change\//, fault: 'errorBeforeCommit', status: 503 });
    const getChange = await failure(once.send(new GetChangeCommand({ Id: ChangeInfo!.Id })));
    expect([getChange.name, getChange.$metadata?.httpStatusCode]).toEqual(['ServiceUnavailable', 503]);
    expect(tb.faults.route53.requests('GetChange')).toEqual([expect.objectContaining({ fault: 'errorBeforeCommit', forwarded: false, method: 'GET' })]);
    expect(tb.faults.route53.calls('ChangeResourceRecordSets')).toBe(3);

    // clear(): no rule left, GetChange goes through.
    tb.faults.route53.clear();
    expect((await once.send(new GetChangeCommand({ Id: ChangeInfo!.Id }))).ChangeInfo?.Id).toBe(ChangeInfo!.Id);
  });
});

describe('startFaultProxy on its own', () => {
  it('needs TLS material for an https upstream, and stops idempotently, closing its port', async () => {
    await expect(startFaultProxy({ upstream: 'https://127.0.0.1:1' })).rejects.toThrow(/tls .* is required/);

    const acm = await startAcmEmulator();
    const proxy = await startFaultProxy({ upstream: acm.endpoint, protocol: protocols.awsJson11 });
    try {
      // Unknown paths pass through unchanged and are named by method and path.
      const res = await fetch(`${proxy.endpoint}/nowhere?x=1`);
      expect(res.status).toBe(404);
      await res.arrayBuffer();
      expect(proxy.requests()).toEqual([{ operation: 'GET /nowhere', method: 'GET', path: '/nowhere?x=1', forwarded: true, target: undefined, fault: undefined }]);
      expect(() => proxy.inject({ fault: 'throttle', every: 0 })).toThrow(/every must be a positive integer/);
    } finally {
      await proxy.stop();
      await proxy.stop();
      await acm.stop();
    }
    await expect(fetch(proxy.endpoint)).rejects.toThrow();
  });
});
