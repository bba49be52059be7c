/**
 * The zone-side role for a hosted zone in another account: deploy it in the account that owns the zone,
 * with the renewal Lambda's role ARN (stack output RenewerRoleArn), then put its ARN in the certbeat
 * config's `zoneRoles` under the zone id. It lets that one role, and nothing else, write the
 * `_acme-challenge` TXT records of the given names in that one zone, read the zone and wait for changes.
 *
 *   new CertbeatZoneRole(stack, 'CertbeatDns', {
 *     renewerRoleArn: 'arn:aws:iam::111111111111:role/Certbeat-RenewalRenewerRole…',
 *     hostedZoneId: 'Z0123456789',
 *     names: ['example.org', '*.example.org'],
 *   });
 */
import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { normalizedChallengeName } from '../config.js';
import { nagResourceId } from './nag-ids.js';
import { ZONE_ROLE_SESSION_NAME } from '../../lambda/domain/model.js';
import { challengeConditions, changesArn, hostedZoneArn } from './renewer-policy.js';

// The session name the renewal Lambda uses when it assumes a zone role (lambda/handler.ts).
export { ZONE_ROLE_SESSION_NAME };

export interface CertbeatZoneRoleProps {
  /** ARN of the certbeat renewal Lambda's role (the certbeat stack's RenewerRoleArn output). */
  renewerRoleArn: string;
  /** The hosted zone in this account. */
  hostedZoneId: string;
  /** Certificate names (e.g. `example.org`, `*.example.org`) whose challenge records live in this zone. */
  names: string[];
  /** A fixed role name, e.g. to write the ARN into the config before deploying; default generated. */
  roleName?: string;
}

export class CertbeatZoneRole extends Construct {
  readonly role: iam.Role;
  /** The `_acme-challenge` record names the role may write. */
  readonly recordNames: string[];

  constructor(scope: Construct, id: string, props: CertbeatZoneRoleProps) {
    super(scope, id);
    if (props.names.length === 0) throw new Error('CertbeatZoneRole: give at least one certificate name');
    this.recordNames = [...new Set(props.names.map(normalizedChallengeName))].sort();
    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName,
      description: `certbeat: dns-01 challenge records in ${props.hostedZoneId} for a certbeat deployment in another account`,
      assumedBy: new iam.ArnPrincipal(props.renewerRoleArn).withConditions({
        StringEquals: { 'sts:RoleSessionName': ZONE_ROLE_SESSION_NAME },
      }),
    });
    const policy = new iam.Policy(this, 'ChallengeRecords', {
      statements: [
        new iam.PolicyStatement({
          sid: 'ChallengeRecords',
          actions: ['route53:ChangeResourceRecordSets'],
          resources: [hostedZoneArn(props.hostedZoneId)],
          conditions: challengeConditions(this.recordNames),
        }),
        new iam.PolicyStatement({
          sid: 'ReadZone',
          actions: ['route53:GetHostedZone', 'route53:ListResourceRecordSets'],
          resources: [hostedZoneArn(props.hostedZoneId)],
        }),
        new iam.PolicyStatement({ sid: 'WaitForChanges', actions: ['route53:GetChange'], resources: [changesArn()] }),
      ],
    });
    this.role.attachInlinePolicy(policy);
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagResourceId(Stack.of(this), changesArn())}]`,
      reason:
        'route53:GetChange polls the change a ChangeResourceRecordSets call just created; its id exists only at run time, and Route 53 offers no narrower ARN than change/*.',
    });
  }
}
