/**
 * The renewal Lambda's permissions, derived from the config. Each statement grants one job and is
 * scoped as tightly as the service allows:
 * - Route 53: TXT UPSERT/DELETE of exactly the configured `_acme-challenge` names, per zone; reads of
 *   those zones; GetChange; ListHostedZones only when a name has no zone id.
 * - ACM: import a new certificate only when tagged `certbeat:id` with a configured id; re-import, describe
 *   and list tags only on certificates carrying that tag.
 * - SES: send only with the configured sender as From.
 * - Secrets Manager: the account key secret (read and write), EAB secrets (read), the pending-import
 *   slot under the stack's own name prefix (create, read, write, delete).
 * - DynamoDB: item reads/writes on the inventory and queries on its due index; a Scan of the table
 *   only when the digest is configured (it lists every certificate).
 * - STS: assume exactly the configured cross-account zone roles.
 */
import { Aws, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { challengeScope, type CertbeatConfig } from '../config.js';

/** The tag certbeat puts on every certificate it imports (value: the certificate id). */
import { CERTIFICATE_ID_TAG } from '../../lambda/domain/model.js';

export { CERTIFICATE_ID_TAG };
/** The informational tag the ACM adapter adds on first import (its NAMES_TAG). */
export const CERTIFICATE_NAMES_TAG = 'certbeat:names';

export interface RenewerResources {
  tableArn: string;
  dueIndexArn: string;
  accountSecretArn: string;
  /** ARNs (or ARN patterns) of the EAB secrets the config names. */
  eabSecretArns: string[];
  /** ARN pattern of the pending-import slot's secrets (issued certificates ACM did not take yet). */
  pendingSecretsArn: string;
}

export function hostedZoneArn(zoneId: string): string {
  return `arn:${Aws.PARTITION}:route53:::hostedzone/${zoneId}`;
}

export const changesArn = (): string => `arn:${Aws.PARTITION}:route53:::change/*`;

/** Every ACM certificate of the stack's account and region. */
export const certificatesArn = (stack: Stack): string => stack.formatArn({ service: 'acm', resource: 'certificate', resourceName: '*' });

/** Every ACM certificate of the stack's account in its own region and in each region a certificate lists. */
export function certificateArnsInRegions(stack: Stack, config: Pick<CertbeatConfig, 'certificates'>): string[] {
  const others = [...new Set(config.certificates.flatMap((c) => c.regions ?? []))].filter((r) => r !== stack.region).sort();
  return [certificatesArn(stack), ...others.map((region) => stack.formatArn({ service: 'acm', region, resource: 'certificate', resourceName: '*' }))];
}

/** Every SES identity of the stack's account and region. */
export const sesIdentitiesArn = (stack: Stack): string => stack.formatArn({ service: 'ses', resource: 'identity', resourceName: '*' });

/** Conditions that confine ChangeResourceRecordSets to certbeat's own TXT records. */
export function challengeConditions(recordNames: string[]): Record<string, Record<string, string[]>> {
  return {
    'ForAllValues:StringEquals': {
      'route53:ChangeResourceRecordSetsNormalizedRecordNames': recordNames,
      'route53:ChangeResourceRecordSetsRecordTypes': ['TXT'],
      'route53:ChangeResourceRecordSetsActions': ['UPSERT', 'DELETE'],
    },
  };
}

export function renewerStatements(scope: Construct, config: CertbeatConfig, res: RenewerResources): iam.PolicyStatement[] {
  const stack = Stack.of(scope);
  const statements: iam.PolicyStatement[] = [];
  const { byZone, lookedUp } = challengeScope(config);
  const localZones = [...byZone.keys()].filter((z) => !config.zoneRoles[z]);

  for (const zone of localZones) {
    statements.push(
      new iam.PolicyStatement({
        sid: `ChallengeRecords${zone}`,
        actions: ['route53:ChangeResourceRecordSets'],
        resources: [hostedZoneArn(zone)],
        conditions: challengeConditions(byZone.get(zone)!),
      }),
    );
  }
  if (lookedUp.length > 0) {
    // The zone of these names is found at run time, so the zone cannot be named; the record names can.
    // A looked-up name may land in a zone that also holds explicitly zoned names, and the solver sends
    // one change per zone: this statement must cover such a mixed batch whole, so it lists them all.
    const mixed = [...new Set([...lookedUp, ...localZones.flatMap((z) => byZone.get(z)!)])].sort();
    statements.push(
      new iam.PolicyStatement({
        sid: 'ChallengeRecordsLookedUpZones',
        actions: ['route53:ChangeResourceRecordSets'],
        resources: [hostedZoneArn('*')],
        conditions: challengeConditions(mixed),
      }),
      new iam.PolicyStatement({ sid: 'FindZones', actions: ['route53:ListHostedZones'], resources: ['*'] }),
    );
  }
  const readZones = lookedUp.length > 0 ? [hostedZoneArn('*')] : localZones.map(hostedZoneArn);
  if (readZones.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'ReadZones',
        actions: ['route53:GetHostedZone', 'route53:ListResourceRecordSets'],
        resources: readZones,
      }),
    );
  }
  if (localZones.length > 0 || lookedUp.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'WaitForChanges',
        actions: ['route53:GetChange'],
        resources: [changesArn()],
      }),
    );
  }
  const roles = [...new Set(Object.values(config.zoneRoles))].sort();
  if (roles.length > 0) {
    statements.push(new iam.PolicyStatement({ sid: 'CrossAccountZones', actions: ['sts:AssumeRole'], resources: roles }));
  }

  // Every region a certificate is imported into (regional-imports.ts), the stack's own first.
  const certificates = certificateArnsInRegions(stack, config);
  const ids = config.certificates.map((c) => c.id).sort();
  statements.push(
    // First issuance: no ARN exists yet, so the request's tags are what can be checked.
    new iam.PolicyStatement({
      sid: 'ImportNewCertificates',
      actions: ['acm:ImportCertificate', 'acm:AddTagsToCertificate'],
      resources: certificates,
      conditions: {
        StringEquals: { [`aws:RequestTag/${CERTIFICATE_ID_TAG}`]: ids },
        'ForAllValues:StringEquals': { 'aws:TagKeys': [CERTIFICATE_ID_TAG, CERTIFICATE_NAMES_TAG] },
      },
    }),
    // Renewal: re-import into, and read, only certificates certbeat imported.
    new iam.PolicyStatement({
      sid: 'ManageOwnCertificates',
      actions: ['acm:ImportCertificate', 'acm:DescribeCertificate', 'acm:ListTagsForCertificate'],
      resources: certificates,
      conditions: { StringEquals: { [`aws:ResourceTag/${CERTIFICATE_ID_TAG}`]: ids } },
    }),
  );

  statements.push(
    new iam.PolicyStatement({
      sid: 'SendFromSender',
      actions: ['ses:SendEmail'],
      // SES authorises against the verified identity (the address or its domain) and, in the sandbox,
      // the recipients' identities; the From address is what can be pinned.
      resources: [sesIdentitiesArn(stack)],
      conditions: { StringEquals: { 'ses:FromAddress': config.sender } },
    }),
    new iam.PolicyStatement({
      sid: 'AccountKey',
      actions: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
      resources: [res.accountSecretArn],
    }),
  );
  statements.push(
    new iam.PolicyStatement({
      sid: 'PendingImports',
      // The slot is created, read and deleted by the Lambda itself, one secret per waiting certificate.
      actions: ['secretsmanager:CreateSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:GetSecretValue', 'secretsmanager:DeleteSecret'],
      resources: [res.pendingSecretsArn],
    }),
  );
  if (res.eabSecretArns.length > 0) {
    statements.push(
      new iam.PolicyStatement({ sid: 'ExternalAccountBinding', actions: ['secretsmanager:GetSecretValue'], resources: res.eabSecretArns }),
    );
  }
  statements.push(
    new iam.PolicyStatement({
      sid: 'Inventory',
      // The scheduled path queries the due index and writes with conditional UpdateItem (leases,
      // outcomes); it never scans (only the optional digest does), puts whole items or deletes.
      actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      resources: [res.tableArn, res.dueIndexArn],
    }),
  );
  if (config.digest) {
    statements.push(
      // The digest mails the whole inventory, so it reads every item; only this path scans.
      new iam.PolicyStatement({ sid: 'DigestReadsInventory', actions: ['dynamodb:Scan'], resources: [res.tableArn] }),
    );
  }
  return statements;
}
