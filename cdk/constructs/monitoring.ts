/**
 * Alarms, an optional SNS topic and a dashboard.
 *
 * - Lambda errors: the handler crashed (a renewal failure is not an error; see the next alarm).
 * - Renewal failures: the handler's `RenewalFailures` metric (Powertools Metrics / EMF).
 * - Mails not sent: the handler's `MailsNotSent` metric. An owner who is not told is the one failure
 *   certbeat must never keep quiet about; the mails wait in the outbox and are sent again.
 * - No run in a day: the schedule or the function is broken, so nothing would renew.
 * - Expiry below 14 days: ACM's own DaysToExpiry, read from its daily "ACM Certificate Approaching
 *   Expiration" event. A CloudWatch alarm on ACM's DaysToExpiry metric needs each certificate's ARN as a
 *   dimension, and certbeat's ARNs only exist after the first issuance (a search expression cannot back
 *   an alarm, and Metrics Insights alarms see only 3 hours of a metric ACM publishes once a day); the
 *   event carries the same number for every certificate without knowing ARNs in advance. The
 *   dashboard graphs the metric for all certificates with a search expression.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { CertbeatConfig } from '../config.js';
import { METRICS_NAMESPACE, SERVICE_NAME } from './certificate-renewer.js';

/** The metric the handler publishes with the number of certificates that failed in a run. */
export const RENEWAL_FAILURES_METRIC = {
  namespace: METRICS_NAMESPACE,
  metricName: 'RenewalFailures',
  dimensionsMap: { service: SERVICE_NAME },
} as const;
export const MAILS_NOT_SENT_METRIC = { namespace: METRICS_NAMESPACE, metricName: 'MailsNotSent', dimensionsMap: { service: SERVICE_NAME } } as const;
export const RENEWED_METRIC = { namespace: METRICS_NAMESPACE, metricName: 'CertificatesRenewed', dimensionsMap: { service: SERVICE_NAME } } as const;

/** Below this many days a certificate's expiry alerts (ACM's event). */
export const EXPIRY_ALERT_DAYS = 14;

export interface MonitoringProps {
  config: CertbeatConfig;
  function: lambda.IFunction;
}

export class Monitoring extends Construct {
  readonly topic?: sns.ITopic;
  readonly errorsAlarm: cloudwatch.Alarm;
  readonly failuresAlarm: cloudwatch.Alarm;
  readonly noRunAlarm: cloudwatch.Alarm;
  readonly mailsAlarm: cloudwatch.Alarm;
  readonly expiryRule: events.Rule;
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { alarms } = props.config;
    if (alarms.topicArn) {
      this.topic = sns.Topic.fromTopicArn(this, 'Topic', alarms.topicArn);
    } else if (alarms.emails.length > 0) {
      const topic = new sns.Topic(this, 'Topic', { displayName: 'certbeat alarms', enforceSSL: true });
      for (const address of alarms.emails) topic.addSubscription(new subscriptions.EmailSubscription(address));
      this.topic = topic;
    }

    const fn = props.function;
    this.errorsAlarm = new cloudwatch.Alarm(this, 'Errors', {
      alarmDescription: 'certbeat: the renewal Lambda failed (crash, timeout or bad configuration); see its log group',
      metric: fn.metricErrors({ period: Duration.hours(1), statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.failuresAlarm = new cloudwatch.Alarm(this, 'RenewalFailures', {
      alarmDescription: 'certbeat: at least one certificate could not be renewed; the owner got a mail with the cause',
      metric: new cloudwatch.Metric({ ...RENEWAL_FAILURES_METRIC, period: Duration.hours(1), statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.mailsAlarm = new cloudwatch.Alarm(this, 'MailsNotSent', {
      alarmDescription: 'certbeat: SES did not take a renewal mail; it waits in the outbox and is sent again (certbeat list shows which); check SES sending (sandbox, sender identity, quota)',
      metric: new cloudwatch.Metric({ ...MAILS_NOT_SENT_METRIC, period: Duration.hours(1), statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.noRunAlarm = new cloudwatch.Alarm(this, 'NoRun', {
      alarmDescription: 'certbeat: the renewal Lambda did not run for a day; check the schedule',
      metric: fn.metricInvocations({ period: Duration.days(1), statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    // Every alarm notifies, is admitted by the topic policy and shows on the dashboard: one list for all three.
    const allAlarms = [this.errorsAlarm, this.failuresAlarm, this.mailsAlarm, this.noRunAlarm];

    this.expiryRule = new events.Rule(this, 'ExpiryBelow14Days', {
      description: `certbeat: an ACM certificate expires in less than ${EXPIRY_ALERT_DAYS} days`,
      eventPattern: {
        source: ['aws.acm'],
        detailType: ['ACM Certificate Approaching Expiration'],
        detail: { DaysToExpiry: [{ numeric: ['<', EXPIRY_ALERT_DAYS] }] },
      },
      // Without a topic the rule has no target; its MatchedEvents metric still counts the alerts.
    });
    if (this.topic) {
      const action = new cwActions.SnsAction(this.topic);
      for (const alarm of allAlarms) alarm.addAlarmAction(action);
      const message = events.RuleTargetInput.fromText(
        `certbeat: the certificate ${events.EventField.fromPath('$.resources[0]')} (${events.EventField.fromPath(
          '$.detail.CommonName',
        )}) expires in ${events.EventField.fromPath('$.detail.DaysToExpiry')} days. Check the renewal mails and the renewal Lambda's log.`,
      );
      // Not eventTargets.SnsTopic: it lets every EventBridge rule of every account publish. The topic
      // policy below admits only this rule (and this stack's alarms). An imported topic keeps its own
      // policy; its owner must allow this rule's ARN (see README).
      const topic = this.topic;
      this.expiryRule.addTarget({ bind: () => ({ arn: topic.topicArn, input: message, targetResource: topic }) });
      const account = Stack.of(this).account;
      topic.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'ExpiryRulePublishes',
          principals: [new iam.ServicePrincipal('events.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [topic.topicArn],
          conditions: { ArnEquals: { 'aws:SourceArn': this.expiryRule.ruleArn } },
        }),
      );
      topic.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AlarmsPublish',
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [topic.topicArn],
          conditions: {
            ArnEquals: { 'aws:SourceArn': allAlarms.map((a) => a.alarmArn) },
            StringEquals: { 'aws:SourceAccount': account },
          },
        }),
      );
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(14),
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Renewals',
            left: [
              new cloudwatch.Metric({ ...RENEWED_METRIC, period: Duration.days(1), statistic: cloudwatch.Stats.SUM, label: 'renewed' }),
              new cloudwatch.Metric({ ...RENEWAL_FAILURES_METRIC, period: Duration.days(1), statistic: cloudwatch.Stats.SUM, label: 'failed' }),
              new cloudwatch.Metric({ ...MAILS_NOT_SENT_METRIC, period: Duration.days(1), statistic: cloudwatch.Stats.SUM, label: 'mails not sent' }),
            ],
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'ACM days to expiry (all certificates in the region)',
            left: [
              new cloudwatch.MathExpression({
                expression: `SEARCH('{AWS/CertificateManager,CertificateArn} MetricName="DaysToExpiry"', 'Minimum', 86400)`,
                period: Duration.days(1),
                label: '',
              }),
            ],
            leftAnnotations: [{ value: EXPIRY_ALERT_DAYS, label: `${EXPIRY_ALERT_DAYS} days`, color: cloudwatch.Color.RED }],
            width: 12,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Renewal Lambda',
            left: [fn.metricInvocations({ period: Duration.hours(1) }), fn.metricErrors({ period: Duration.hours(1) })],
            right: [fn.metricDuration({ period: Duration.hours(1), statistic: cloudwatch.Stats.MAXIMUM })],
            width: 12,
          }),
          new cloudwatch.AlarmStatusWidget({
            title: 'Alarms',
            alarms: allAlarms,
            width: 12,
          }),
        ],
      ],
    });
  }
}
