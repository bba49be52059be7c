import { Resolver } from 'node:dns/promises';
import { ListCertificatesCommand } from '@aws-sdk/client-acm';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { ChangeResourceRecordSetsCommand, ListHostedZonesCommand } from '@aws-sdk/client-route-53';
import { CreateSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { describe, expect, it } from 'vitest';
import { loadRuntimeConfig } from '../../lambda/config.js';
import { startTestbed } from './testbed.js';
import { httpsGet } from './tls.js';

describe('startTestbed', () => {
  it('starts every server, reachable through clients() and env, and stops them all', async () => {
    const tb = await startTestbed({ insyncAfterMs: 10, tableName: 'inventory-under-test' });
    try {
      const { route53, acm, sesv2, dynamodb, secretsManager } = tb.clients();

      // The env is a valid certbeat runtime configuration pointing at this testbed.
      const config = loadRuntimeConfig(tb.env);
      expect(config).toMatchObject({ tableName: 'inventory-under-test', acmeCaFile: tb.pebble.tlsCaFile, route53PollMs: 50 });
      expect(tb.env.AWS_ENDPOINT_URL_SESV2).toBe(tb.ses.endpoint);

      expect((await httpsGet(tb.directoryUrl, tb.pebble.tlsCaPem)).status).toBe(200);

      const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: 'inventory-under-test' }));
      expect(Table?.TableStatus).toBe('ACTIVE');

      // Route 53 → challtestsrv: a challenge TXT written through the SDK is served by the testbed's DNS.
      const zoneId = await tb.route53.createZone('tb.test');
      expect((await route53.send(new ListHostedZonesCommand({}))).HostedZones?.map((z) => z.Name)).toEqual(['tb.test.']);
      await route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          ChangeBatch: {
            Changes: [
              {
                Action: 'UPSERT',
                ResourceRecordSet: { Name: '_acme-challenge.tb.test', Type: 'TXT', TTL: 60, ResourceRecords: [{ Value: '"token"' }] },
              },
            ],
          },
        }),
      );
      const resolver = new Resolver({ timeout: 2000, tries: 1 });
      resolver.setServers([tb.challtestsrv.dnsAddress]);
      expect(await resolver.resolveTxt('_acme-challenge.tb.test')).toEqual([['token']]);

      expect((await acm.send(new ListCertificatesCommand({}))).CertificateSummaryList).toEqual([]);

      await secretsManager.send(new CreateSecretCommand({ Name: tb.env.CERTBEAT_ACCOUNT_SECRET_ID, SecretString: '{}' }));
      const secret = await secretsManager.send(new GetSecretValueCommand({ SecretId: tb.env.CERTBEAT_ACCOUNT_SECRET_ID }));
      expect(secret.SecretString).toBe('{}');

      await sesv2.send(
        new SendEmailCommand({
          FromEmailAddress: config.sender,
          Destination: { ToAddresses: ['owner@tb.test'] },
          Content: { Simple: { Subject: { Data: 'hello' }, Body: { Text: { Data: 'hi' } } } },
        }),
      );
      expect((await tb.ses.mails()).map((m) => m.subject)).toEqual(['hello']);
    } finally {
      await tb.stop();
    }

    // Nothing answers any more.
    const endpoints = [tb.route53.endpoint, tb.acm.endpoint, tb.dynalite.endpoint, tb.ses.endpoint, tb.secretsManager.endpoint, tb.challtestsrv.managementUrl];
    for (const url of endpoints) await expect(fetch(url), url).rejects.toThrow();
    await expect(httpsGet(tb.directoryUrl, tb.pebble.tlsCaPem, 1000)).rejects.toThrow();
    await tb.stop(); // idempotent
  });
});
