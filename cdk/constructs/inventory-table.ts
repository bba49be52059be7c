/**
 * The certificate inventory: on-demand, point-in-time recovery, encrypted with the AWS managed key,
 * kept when the stack is deleted (it holds each certificate's ARN and history), with the sparse `due`
 * index the scheduled run queries. The key layout comes from the adapter's TABLE_KEYS so both agree.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TABLE_KEYS } from '../../lambda/adapters/dynamodb/table-schema.js';

export class InventoryTable extends Construct {
  readonly table: dynamodb.Table;
  /** ARN of the due index, for policies that query it. */
  readonly dueIndexArn: string;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: TABLE_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: TABLE_KEYS.dueIndexName,
      partitionKey: { name: TABLE_KEYS.dueIndexPartitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.dueIndexSortKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
    this.dueIndexArn = `${this.table.tableArn}/index/${TABLE_KEYS.dueIndexName}`;
  }
}
