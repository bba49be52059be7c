/**
 * The renewal Lambda's permissions, derived from the config. Each statement grants one job and is
 * scoped as tightly as the service allows:
 * - Route 53: TXT UPSERT/DELETE of exactly the configured `_acme-challenge` names, per zone; reads of
 *   those zones; GetChange; ListHostedZones only when a name has no zone id.
 * - ACM: import a new certificate only when tagged with this deployment's `certbeat:stack` value (and a
 *   `certbeat:id`); re-import and describe only certificates carrying this deployment's
 *   `certbeat:stack` tag; an explicit deny on certificates another deployment owns. See ACM_RESIDUAL_RISK.
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
import { CERTIFICATE_ID_TAG, CERTIFICATE_STACK_TAG } from '../../lambda/domain/model.js';

export { CERTIFICATE_ID_TAG, CERTIFICATE_STACK_TAG };

/**
 * What IAM cannot close (stated in README and in the cdk-nag acknowledgment): ACM authorises the tags of
 * a first import as acm:AddTagsToCertificate, and no condition key tells that check apart from tagging an
 * existing certificate. So the role can claim a certificate that carries no `certbeat:stack` tag at all
 * (tag it with this deployment's value, then re-import over it). Certificates of other certbeat
 * deployments, and any certificate given a `certbeat:stack` tag of another value, cannot be touched.
 */
export const ACM_RESIDUAL_RISK =
  'ACM authorises the tags of a first import as acm:AddTagsToCertificate, and IAM has no condition key that tells this apart from tagging an existing certificate; so the role could claim an ACM certificate that carries no certbeat:stack tag at all (tag it, then re-import over it). The Lambda never calls AddTagsToCertificate itself. Certificates of other certbeat deployments, and any certificate tagged certbeat:stack with another value, are denied explicitly.';
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
  /** This deployment's `certbeat:stack` tag value (CERTBEAT_STACK_TAG). */
  stackTag: string;
}

/**
 * Above this many characters of exact record names in one statement, the names are written as one
 * pattern per parent domain instead (see compactChallengeNames); IAM allows 10,240 characters for all
 * inline policies of a role together, and 6,144 for one managed policy.
 */
export const EXACT_NAMES_BUDGET = 2_000;

/**
 * Record-name patterns that cover `names` (normalized `_acme-challenge.` names): per registrable-looking
 * suffix (the last two labels), the longest label suffix S the names share, as `_acme-challenge.S` (when
 * that name itself is configured) and `_acme-challenge.*.S` (when deeper names are). They still allow
 * only `_acme-challenge` TXT records, but any such record under S, not just the configured ones.
 */
export function compactChallengeNames(names: string[]): string[] {
  const PREFIX = '_acme-challenge.';
  const groups = new Map<string, string[][]>();
  for (const n of names) {
    const labels = n.slice(PREFIX.length).split('.');
    const key = labels.slice(-2).join('.');
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(labels);
  }
  const out = new Set<string>();
  for (const members of groups.values()) {
    let common = members[0];
    for (const m of members) {
      let i = 0;
      while (i < common.length && i < m.length && common[common.length - 1 - i] === m[m.length - 1 - i]) i++;
      common = common.slice(common.length - i);
    }
    const suffix = common.join('.');
    for (const m of members) out.add(m.length === common.length ? `${PREFIX}${suffix}` : `${PREFIX}*.${suffix}`);
  }
  return [...out].sort();
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

/** Characters the names take in a policy as a JSON list. */
export const exactNamesLength = (names: string[]): number => names.reduce((n, r) => n + r.length + 3, 0);

/**
 * Conditions that confine ChangeResourceRecordSets to certbeat's own TXT records: the exact names, or,
 * when they would not fit IAM's size limits, name patterns (compactChallengeNames) with StringLike.
 */
export function challengeConditions(recordNames: string[], compact = exactNamesLength(recordNames) > EXACT_NAMES_BUDGET): Record<string, Record<string, string[]>> {
  const kinds = {
    'route53:ChangeResourceRecordSetsRecordTypes': ['TXT'],
    'route53:ChangeResourceRecordSetsActions': ['UPSERT', 'DELETE'],
  };
  if (!compact) {
    return { 'ForAllValues:StringEquals': { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': recordNames, ...kinds } };
  }
  return {
    'ForAllValues:StringEquals': kinds,
    'ForAllValues:StringLike': { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': compactChallengeNames(recordNames) },
  };
}

/**
 * Adopted certificates (`acmArn` in the config): before certbeat has tagged one, the tag conditions above
 * do not match it. These name exactly the adopted ARNs: read them (pre-flight), read their tags, and add
 * only the `certbeat:id` tag of the certificate that adopts each ARN (one statement per ARN pins the
 * value). From then on `ManageOwnCertificates` covers the re-import.
 */
export function adoptionStatements(config: CertbeatConfig, stackTag: string): iam.PolicyStatement[] {
  const adopted = config.certificates.filter((c) => c.acmArn !== undefined).sort((a, b) => a.id.localeCompare(b.id));
  if (adopted.length === 0) return [];
  return [
    new iam.PolicyStatement({
      sid: 'ReadAdoptedCertificates',
      actions: ['acm:DescribeCertificate', 'acm:ListTagsForCertificate'],
      resources: adopted.map((c) => c.acmArn!),
    }),
    ...adopted.map(
      (c, i) =>
        new iam.PolicyStatement({
          sid: `TagAdoptedCertificate${i}`,
          actions: ['acm:AddTagsToCertificate'],
          resources: [c.acmArn!],
          // Its own id and this deployment's tag, which the re-import statement then requires.
          conditions: {
            StringEquals: { [`aws:RequestTag/${CERTIFICATE_ID_TAG}`]: c.id, [`aws:RequestTag/${CERTIFICATE_STACK_TAG}`]: stackTag },
            'ForAllValues:StringEquals': { 'aws:TagKeys': [CERTIFICATE_ID_TAG, CERTIFICATE_STACK_TAG] },
          },
        }),
    ),
  ];
}

export function renewerStatements(scope: Construct, config: CertbeatConfig, res: RenewerResources): iam.PolicyStatement[] {
  const stack = Stack.of(scope);
  const statements: iam.PolicyStatement[] = [];
  const { byZone, lookedUp } = challengeScope(config);
  const localZones = [...byZone.keys()].filter((z) => !config.zoneRoles[z]);
  // Exact names while all statements together stay small; patterns for all of them beyond that.
  const compact = exactNamesLength([...localZones.flatMap((z) => byZone.get(z)!), ...lookedUp]) * (lookedUp.length > 0 ? 2 : 1) > EXACT_NAMES_BUDGET;

  for (const zone of localZones) {
    statements.push(
      new iam.PolicyStatement({
        sid: `ChallengeRecords${zone}`,
        actions: ['route53:ChangeResourceRecordSets'],
        resources: [hostedZoneArn(zone)],
        conditions: challengeConditions(byZone.get(zone)!, compact),
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
        conditions: challengeConditions(mixed, compact),
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
  statements.push(
    // First issuance: no ARN exists yet, so the request's tags are what can be checked. ImportCertificate
    // with Tags is authorised as acm:AddTagsToCertificate too; a certificate that already carries a
    // certbeat:stack tag (this deployment's or another's) cannot be tagged through this statement.
    new iam.PolicyStatement({
      sid: 'ImportNewCertificates',
      actions: ['acm:ImportCertificate', 'acm:AddTagsToCertificate'],
      resources: certificates,
      conditions: {
        StringEquals: { [`aws:RequestTag/${CERTIFICATE_STACK_TAG}`]: res.stackTag },
        StringLike: { [`aws:RequestTag/${CERTIFICATE_ID_TAG}`]: '?*' },
        Null: { [`aws:ResourceTag/${CERTIFICATE_STACK_TAG}`]: 'true' },
        'ForAllValues:StringEquals': { 'aws:TagKeys': [CERTIFICATE_ID_TAG, CERTIFICATE_NAMES_TAG, CERTIFICATE_STACK_TAG] },
      },
    }),
    // After an import whose answer was lost, certbeat finds what ACM stored by its certbeat:id tag (exactly
    // one certificate per id), and an ACM expiry event is matched to the inventory by that tag. Listing
    // certificates has no resource-level permission; tags are read-only metadata.
    new iam.PolicyStatement({ sid: 'ListCertificates', actions: ['acm:ListCertificates'], resources: ['*'] }),
    new iam.PolicyStatement({ sid: 'ReadCertificateTags', actions: ['acm:ListTagsForCertificate'], resources: certificates }),
    // Renewal: re-import into, and describe, only certificates this deployment imported.
    new iam.PolicyStatement({
      sid: 'ManageOwnCertificates',
      actions: ['acm:ImportCertificate', 'acm:DescribeCertificate'],
      resources: certificates,
      conditions: { StringEquals: { [`aws:ResourceTag/${CERTIFICATE_STACK_TAG}`]: res.stackTag } },
    }),
    // Defence in depth: whatever else the role is given, certificates another deployment owns stay out.
    new iam.PolicyStatement({
      sid: 'DenyOtherDeploymentsCertificates',
      effect: iam.Effect.DENY,
      actions: ['acm:ImportCertificate', 'acm:AddTagsToCertificate', 'acm:RemoveTagsFromCertificate'],
      resources: certificates,
      conditions: {
        StringNotEquals: { [`aws:ResourceTag/${CERTIFICATE_STACK_TAG}`]: res.stackTag },
        Null: { [`aws:ResourceTag/${CERTIFICATE_STACK_TAG}`]: 'false' },
      },
    }),
  );
  statements.push(...adoptionStatements(config, res.stackTag));

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
