/**
 * Everything certbeat needs in one stack: inventory table, account key secret, renewal Lambda with
 * least privilege, deploy-time seed and first run, schedule and ACM trigger, alarms and dashboard.
 */
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Certbeat, STACK_CHILD_ID, type CertbeatProps } from './certbeat.js';

export { OUTPUTS, PROJECT_ROOT, secretArnPattern } from './certbeat.js';

export interface CertbeatStackProps extends StackProps, CertbeatProps {}

/** A stack holding one Certbeat (logical ids as if its resources were the stack's own). */
export class CertbeatStack extends Stack {
  readonly certbeat: Certbeat;

  constructor(scope: Construct, id: string, props: CertbeatStackProps) {
    super(scope, id, props);
    this.certbeat = new Certbeat(this, STACK_CHILD_ID, props);
  }

  get inventory() {
    return this.certbeat.inventory;
  }
  get accountSecret() {
    return this.certbeat.accountSecret;
  }
  get renewer() {
    return this.certbeat.renewer;
  }
  get triggers() {
    return this.certbeat.triggers;
  }
  get seed() {
    return this.certbeat.seed;
  }
  get monitoring() {
    return this.certbeat.monitoring;
  }
}
