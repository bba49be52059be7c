/**
 * The budget counts (lambda/domain/budget.ts) in one item of the inventory table, `id = "#budget"`:
 * each count a top-level number attribute, incremented with ADD so that concurrent runs add up (one
 * write carries a run's counts for several buckets). The item
 * has no `dueShard`, so the due index never holds it, and `listAll` skips it.
 */
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BUDGET_ITEM_ID, type BudgetStore } from '../../domain/budget.js';
import { TABLE_KEYS } from './table-schema.js';

export class DynamoDbBudgetStore implements BudgetStore {
  constructor(private readonly opts: { client: DynamoDBDocumentClient; tableName: string }) {}

  async read(): Promise<Record<string, number>> {
    const out = await this.opts.client.send(new GetCommand({ TableName: this.opts.tableName, Key: { [TABLE_KEYS.partitionKey]: BUDGET_ITEM_ID }, ConsistentRead: true }));
    const counts: Record<string, number> = {};
    for (const [k, v] of Object.entries(out.Item ?? {})) if (k !== TABLE_KEYS.partitionKey && typeof v === 'number') counts[k] = v;
    return counts;
  }

  async add(amounts: Record<string, number>): Promise<void> {
    const entries = Object.entries(amounts).filter(([, n]) => n !== 0);
    // An update expression is limited to 4 KB; a wave's counts (a few dozen buckets) fit many times over.
    for (let i = 0; i < entries.length; i += 100) {
      const part = entries.slice(i, i + 100);
      await this.opts.client.send(
        new UpdateCommand({
          TableName: this.opts.tableName,
          Key: { [TABLE_KEYS.partitionKey]: BUDGET_ITEM_ID },
          UpdateExpression: `ADD ${part.map((_, j) => `#a${j} :n${j}`).join(', ')}`,
          ExpressionAttributeNames: Object.fromEntries(part.map(([a], j) => [`#a${j}`, a])),
          ExpressionAttributeValues: Object.fromEntries(part.map(([, n], j) => [`:n${j}`, n])),
        }),
      );
    }
  }

  async remove(attributes: string[]): Promise<void> {
    for (let i = 0; i < attributes.length; i += 100) {
      const part = attributes.slice(i, i + 100);
      await this.opts.client.send(
        new UpdateCommand({
          TableName: this.opts.tableName,
          Key: { [TABLE_KEYS.partitionKey]: BUDGET_ITEM_ID },
          UpdateExpression: `REMOVE ${part.map((_, j) => `#a${j}`).join(', ')}`,
          ExpressionAttributeNames: Object.fromEntries(part.map((a, j) => [`#a${j}`, a])),
        }),
      );
    }
  }
}
