/**
 * What starts a run: a daily EventBridge Scheduler schedule (at a minute derived from the stack, so
 * many deployments do not all call the CA on the hour), and ACM's "ACM Certificate Approaching
 * Expiration" events (the handler checks the certificate against the inventory). When the config has
 * a `digest`, a second schedule asks the same function for the digest mail.
 */
import { createHash } from 'node:crypto';
import { Duration, Stack, TimeZone, Token, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import type { CertbeatConfig } from '../config.js';
import { nagResourceId } from './nag-ids.js';

/** The event the schedule sends; the handler reads it as a scheduled run. */
export const SCHEDULE_EVENT = { source: 'certbeat.schedule' } as const;

/** The event the 6-hourly ARI check sends (lambda/event.ts reads it as a light check). */
export const ARI_CHECK_EVENT = { action: 'ari-check' } as const;

/**
 * The hours of the light ARI check: every 6 h from the daily run's hour, that hour left out (the daily
 * run is the check then), e.g. daily 03:17 → 09:17, 15:17, 21:17.
 */
export function ariCheckHours(dailyHour: number): number[] {
  return [6, 12, 18].map((h) => (dailyHour + h) % 24).sort((a, b) => a - b);
}

/** The event the digest schedule sends (lambda/event.ts reads it as a digest request). */
export const DIGEST_EVENT = { action: 'digest' } as const;

const hhmm = (t: { hour: number; minute: number }) => `${String(t.hour).padStart(2, '0')}:${String(t.minute).padStart(2, '0')}`;

/**
 * A daily time derived from `seed` (stack name and account): stable across deploys, spread over the
 * day, and never on the hour (minute 1–59), when CAs see their peak load.
 */
export function derivedDailyTime(seed: string): { hour: number; minute: number } {
  const digest = createHash('sha256').update(seed).digest();
  return { hour: digest.readUInt16BE(0) % 24, minute: 1 + (digest.readUInt16BE(2) % 59) };
}

export interface RenewalTriggersProps {
  config: CertbeatConfig;
  function: lambda.IFunction;
}

export class RenewalTriggers extends Construct {
  readonly schedule: scheduler.Schedule;
  /** The light check between daily runs: ARI asked on the CA's 6-hour cadence, due certificates renewed. */
  readonly ariCheckSchedule: scheduler.Schedule;
  /** The digest schedule; only when the config has a `digest`. */
  readonly digestSchedule?: scheduler.Schedule;
  readonly expiryRule: events.Rule;
  /** The time the schedule runs at, "HH:MM" (in `timezone`, UTC by default). */
  readonly time: string;

  constructor(scope: Construct, id: string, props: RenewalTriggersProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const account = Token.isUnresolved(stack.account) ? '' : stack.account;
    const at = props.config.schedule.time ?? derivedDailyTime(`${stack.stackName}/${account}`);
    const timezone = props.config.schedule.timezone;
    this.time = hhmm(at);

    this.schedule = new scheduler.Schedule(this, 'Daily', {
      description: `certbeat: daily renewal check at ${this.time} ${timezone ?? 'UTC'}`,
      schedule: scheduler.ScheduleExpression.cron({
        minute: String(at.minute),
        hour: String(at.hour),
        ...(timezone ? { timeZone: TimeZone.of(timezone) } : {}),
      }),
      target: new schedulerTargets.LambdaInvoke(props.function, {
        input: scheduler.ScheduleTargetInput.fromObject(SCHEDULE_EVENT),
        // A missed day is caught up by the next run; leases make a retry harmless but pointless.
        retryAttempts: 0,
        maxEventAge: Duration.hours(1),
      }),
    });

    this.ariCheckSchedule = new scheduler.Schedule(this, 'AriCheck', {
      description: `certbeat: ARI and due check every 6 h between daily runs (minute ${at.minute})`,
      schedule: scheduler.ScheduleExpression.cron({
        minute: String(at.minute),
        hour: ariCheckHours(at.hour).join(','),
        ...(timezone ? { timeZone: TimeZone.of(timezone) } : {}),
      }),
      target: new schedulerTargets.LambdaInvoke(props.function, {
        input: scheduler.ScheduleTargetInput.fromObject(ARI_CHECK_EVENT),
        retryAttempts: 0,
        maxEventAge: Duration.hours(1),
      }),
    });

    const digest = props.config.digest;
    if (digest) {
      const when = digest.frequency === 'weekly' ? `weekly on ${digest.weekday} at ${hhmm(digest.time)}` : `daily at ${hhmm(digest.time)}`;
      this.digestSchedule = new scheduler.Schedule(this, 'Digest', {
        description: `certbeat: inventory digest mail, ${when} ${timezone ?? 'UTC'}`,
        schedule: scheduler.ScheduleExpression.cron({
          minute: String(digest.time.minute),
          hour: String(digest.time.hour),
          ...(digest.frequency === 'weekly' ? { weekDay: digest.weekday } : {}),
          ...(timezone ? { timeZone: TimeZone.of(timezone) } : {}),
        }),
        target: new schedulerTargets.LambdaInvoke(props.function, {
          input: scheduler.ScheduleTargetInput.fromObject(DIGEST_EVENT),
          // A digest only reads; one retry covers a throttled invoke, a late digest is still useful.
          retryAttempts: 1,
          maxEventAge: Duration.hours(6),
        }),
      });
    }

    // LambdaInvoke puts the invoke grant on a role shared by the stack's schedules.
    const schedulerRole = stack.node.children.find((c) => c.node.id.startsWith('SchedulerRoleForTarget-'));
    if (schedulerRole) {
      Validations.of(schedulerRole).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagResourceId(stack, `${props.function.functionArn}:*`)}]`,
        reason:
          "CDK's scheduler target grants invoke on the renewal function and its versions/aliases (ARN:*); the role can invoke nothing else and only EventBridge Scheduler of this account can assume it.",
      });
    }

    this.expiryRule = new events.Rule(this, 'AcmExpiry', {
      description: 'certbeat: ACM reports a certificate approaching expiration',
      eventPattern: { source: ['aws.acm'], detailType: ['ACM Certificate Approaching Expiration'] },
      targets: [new eventTargets.LambdaFunction(props.function, { retryAttempts: 2, maxEventAge: Duration.hours(6) })],
    });
  }
}
