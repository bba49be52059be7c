/**
 * The `Inventory` port over DynamoDB (see ports.ts for the contract and table-schema.ts for the keys).
 *
 * Items are read through item-schema.ts: whatever comes back is validated, and malformed items are
 * reported by id rather than dropped or thrown. Every write is a single UpdateItem/DeleteItem naming only
 * the attributes it owns, so configuration writes never clobber runtime state and vice versa.
 */
import {
  DeleteCommand,
  GetCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { BUDGET_ITEM_ID } from '../../domain/budget.js';
import { CertbeatError, ConfigurationError, LeaseHeldError, TransientError } from '../../domain/errors.js';
import type { CertificateRecord, InvalidItem, Lease, OwedMail, PublishedTxt } from '../../domain/model.js';
import type { DueBatch, Inventory, OutcomeUpdate, RunProgress } from '../../domain/ports.js';
import { idProblem, validateCertificateConfig } from '../../domain/record-validation.js';
import { acmArnProblem } from '../../domain/adoption.js';
import { compact, isIsoTimestamp, itemToRecord, runtimeSchema } from './item-schema.js';
import * as z from '../../zod.js';
import { planDueIndexRepair } from './due-index.js';
import { TABLE_KEYS } from './table-schema.js';

export interface DynamoDbInventoryOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** Default `TABLE_KEYS.dueIndexName`. */
  dueIndexName?: string;
  /** `Limit` per Query/Scan page; unset lets DynamoDB fill 1 MB pages. Tests set it small to force paging. */
  pageSize?: number;
}

/** The fields an outcome may set or (with `null`) remove. */
const OUTCOME_FIELDS = [
  'nextCheckAt',
  'lastOutcome',
  'failureCount',
  'acmArn',
  'acmArns',
  'pendingRegions',
  'notBefore',
  'notAfter',
  'serial',
  'issuedNames',
  'ariCertId',
  'pendingImport',
  'renewalWindow',
  'importingSerial',
  'pendingOrderUrl',
  'published',
  'owedMails',
] as const satisfies readonly (keyof OutcomeUpdate)[];

/** How often `put` re-reads and retries when the certificate's names change under it. */
const PUT_ATTEMPTS = 5;

/**
 * DynamoDB-backed inventory.
 *
 * - `listDue` queries the sparse `due` index (`dueShard = "active" AND nextCheckAt <= now`), every page;
 *   it never scans. `listAll` scans (CLI only).
 * - `put` validates the configuration first and writes nothing when it is invalid. It creates the item
 *   (failureCount 0, nextCheckAt from the record) or updates only the configuration fields. `nextCheckAt`
 *   of an existing item is changed only when the names change, and then only moved earlier
 *   (min(current, record.nextCheckAt)), so a new name is picked up soon and a pending check is never
 *   postponed. Runtime fields passed in the record (acmArn, serial, lease, …) are ignored.
 * - Lease and outcome writes are conditional; see each method.
 *
 * SDK errors become certbeat errors: throttling, 5xx and network failures `TransientError`; access
 * denied, missing table or index and validation errors `ConfigurationError` with the fix.
 */
export class DynamoDbInventory implements Inventory {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly dueIndexName: string;
  private readonly pageSize?: number;

  constructor(options: DynamoDbInventoryOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.dueIndexName = options.dueIndexName ?? TABLE_KEYS.dueIndexName;
    this.pageSize = options.pageSize;
  }

  async listDue(now: Date): Promise<DueBatch> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.call('Query', () =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: this.dueIndexName,
            KeyConditionExpression: '#shard = :shard AND #next <= :now',
            ExpressionAttributeNames: { '#shard': TABLE_KEYS.dueIndexPartitionKey, '#next': TABLE_KEYS.dueIndexSortKey },
            ExpressionAttributeValues: { ':shard': TABLE_KEYS.activeShard, ':now': now.toISOString() },
            ExclusiveStartKey: startKey,
            Limit: this.pageSize,
          }),
        ),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return split(items);
  }

  async listAll(): Promise<DueBatch> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.call('Scan', () =>
        this.client.send(
          new ScanCommand({ TableName: this.tableName, ConsistentRead: true, ExclusiveStartKey: startKey, Limit: this.pageSize }),
        ),
      );
      // The budget item (lambda/domain/budget.ts) shares the table; it is not a certificate.
      items.push(...(page.Items ?? []).filter((i) => i.id !== BUDGET_ITEM_ID));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return split(items);
  }

  async get(id: string): Promise<CertificateRecord | undefined> {
    checkId(id);
    const item = await this.getItem(id);
    if (!item) return undefined;
    return this.validOrThrow(item);
  }

  async put(record: CertificateRecord): Promise<void> {
    const checked = validateCertificateConfig(record);
    const problems = checked.ok ? [] : [...checked.problems];
    if (!isIsoTimestamp(record?.nextCheckAt)) {
      problems.push('nextCheckAt: is not an ISO 8601 UTC timestamp; give one such as 2026-01-31T00:00:00.000Z (usually now)');
    }
    if (!checked.ok || problems.length > 0) {
      throw new ConfigurationError(`certificate '${describeId(record?.id)}' was not saved: ${problems.join('; ')}`, {
        field: problems[0].split(':')[0],
        remediation: 'Correct the fields listed and save the certificate again.',
      });
    }
    const config = checked.value;
    const wanted = new Date(record.nextCheckAt).toISOString();

    for (let attempt = 0; attempt < PUT_ATTEMPTS; attempt++) {
      const current = await this.getItem(config.id, ['names', 'nextCheckAt']);
      const e = new Expr();
      const set = [
        `${e.n('names')} = ${e.v(config.names)}`,
        `${e.n('zones')} = ${e.v(config.zones)}`,
        `${e.n('directoryUrl')} = ${e.v(config.directoryUrl)}`,
        `${e.n('keyType')} = ${e.v(config.keyType)}`,
        `${e.n('owners')} = ${e.v(config.owners)}`,
        `${e.n('status')} = ${e.v(config.status)}`,
        `${e.n('failureCount')} = if_not_exists(${e.n('failureCount')}, ${e.v(0)})`,
      ];
      const remove: string[] = [];
      // Optional settings: written when given, removed when the config no longer has them.
      for (const field of ['eabSecretId', 'challengeAliases', 'regions', 'profile', 'profileFallback'] as const) {
        if (config[field] !== undefined) set.push(`${e.n(field)} = ${e.v(config[field])}`);
        else remove.push(e.n(field));
      }
      if (config.status === 'active') set.push(`${e.n('dueShard')} = ${e.v(TABLE_KEYS.activeShard)}`);
      else remove.push(e.n('dueShard'));

      let condition: string;
      if (!current) {
        condition = `attribute_not_exists(${e.n('id')})`;
        set.push(`${e.n('nextCheckAt')} = ${e.v(wanted)}`);
      } else {
        // Optimistic check: the names we compared against must still be the stored ones.
        condition = `attribute_exists(${e.n('id')}) AND ${sameNamesCondition(e, current.names)}`;
        const namesChanged = JSON.stringify(current.names) !== JSON.stringify(config.names);
        if (namesChanged) {
          const earlier = isIsoTimestamp(current.nextCheckAt) && current.nextCheckAt < wanted ? current.nextCheckAt : wanted;
          set.push(`${e.n('nextCheckAt')} = ${e.v(new Date(earlier).toISOString())}`);
        } else {
          set.push(`${e.n('nextCheckAt')} = if_not_exists(${e.n('nextCheckAt')}, ${e.v(wanted)})`);
        }
      }
      const update = `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`;
      try {
        await this.update('UpdateItem', config.id, update, condition, e);
        return;
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
        // Created, removed or renamed by someone else in between: read again and redo.
      }
    }
    throw new TransientError(`certificate '${config.id}' kept changing while it was being saved`, {
      remediation: 'Another writer is changing this certificate at the same time; save it again.',
    });
  }

  async setStatus(id: string, status: 'active' | 'paused'): Promise<void> {
    checkId(id);
    if (status !== 'active' && status !== 'paused') {
      throw new ConfigurationError(`status: "${String(status)}" is not a status; use "active" or "paused"`, { field: 'status' });
    }
    const e = new Expr();
    // Paused items leave the sparse due index by losing dueShard; resuming puts them back.
    const update =
      status === 'active'
        ? `SET ${e.n('status')} = ${e.v(status)}, ${e.n('dueShard')} = ${e.v(TABLE_KEYS.activeShard)}`
        : `SET ${e.n('status')} = ${e.v(status)} REMOVE ${e.n('dueShard')}`;
    await this.mustExist(id, () => this.update('UpdateItem', id, update, `attribute_exists(${e.n('id')})`, e));
  }

  async requestRenewal(id: string, now: Date): Promise<void> {
    checkId(id);
    const e = new Expr();
    const update = `SET ${e.n('forceRenewal')} = ${e.v(true)}, ${e.n('nextCheckAt')} = ${e.v(now.toISOString())}`;
    await this.mustExist(id, () => this.update('UpdateItem', id, update, `attribute_exists(${e.n('id')})`, e));
  }

  async adopt(id: string, arn: string): Promise<void> {
    checkId(id);
    const problem = acmArnProblem(arn);
    if (problem) throw new ConfigurationError(problem, { field: 'acmArn' });
    const e = new Expr();
    const condition = `attribute_exists(${e.n('id')}) AND (attribute_not_exists(${e.n('acmArn')}) OR ${e.n('acmArn')} = ${e.v(arn)})`;
    try {
      await this.update('UpdateItem', id, `SET ${e.n('acmArn')} = ${e.v(arn)}`, condition, e);
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      const current = await this.getItem(id, ['acmArn']);
      if (!current) throw new ConfigurationError(`no certificate with id '${id}' to adopt ${arn}`, { field: 'id' });
      throw new ConfigurationError(`acmArn: certificate '${id}' already renews ${String(current.acmArn)}, not ${arn}`, {
        field: 'acmArn',
        remediation: `To move '${id}' to ${arn}, remove it (certbeat remove ${id} --yes) and add it again with --arn ${arn}; or adopt ${arn} under another id.`,
      });
    }
  }

  async remove(id: string): Promise<void> {
    checkId(id);
    await this.mustExist(id, () =>
      this.call('DeleteItem', () =>
        this.client.send(
          new DeleteCommand({
            TableName: this.tableName,
            Key: { [TABLE_KEYS.partitionKey]: id },
            ConditionExpression: 'attribute_exists(#id)',
            ExpressionAttributeNames: { '#id': TABLE_KEYS.partitionKey },
          }),
        ),
      ),
    );
  }

  /**
   * Writes the due-index fields an item lacks (see due-index.ts; `certbeat repair`), conditional on the
   * fields read being unchanged. Returns the changes made, `[]` when there was nothing to repair.
   */
  async repairDueIndex(id: string, now: Date): Promise<string[]> {
    checkId(id);
    const item = await this.getItem(id);
    if (!item) throw noSuchCertificate(id);
    const plan = planDueIndexRepair(item, now);
    if (!plan) return [];
    const e = new Expr();
    const set = Object.entries(plan.set).map(([k, v]) => `${e.n(k)} = ${e.v(v)}`);
    const update = [set.length ? `SET ${set.join(', ')}` : '', plan.remove.length ? `REMOVE ${plan.remove.map((k) => e.n(k)).join(', ')}` : '']
      .filter(Boolean)
      .join(' ');
    const unchanged = Object.entries(plan.expected).map(([k, v]) =>
      v === undefined ? `attribute_not_exists(${e.n(k)})` : typeof v === 'string' ? `${e.n(k)} = ${e.v(v)}` : `attribute_exists(${e.n(k)})`,
    );
    try {
      await this.update('UpdateItem', id, update, [`attribute_exists(${e.n('id')})`, ...unchanged].join(' AND '), e);
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      throw new TransientError(`certificate '${id}' changed while it was being repaired; nothing was written`, {
        cause: err,
        remediation: `Run \`certbeat repair ${id}\` again.`,
      });
    }
    return plan.changes;
  }

  /**
   * Takes the lease when there is none or it has expired (`lease.until < now`), and returns the record
   * as stored after that write. `undefined` when an unexpired lease is held (by anyone, this owner too).
   * Throws `ConfigurationError` when the certificate does not exist or is malformed (the lease is then
   * released again).
   */
  async acquireLease(id: string, lease: Lease, now: Date): Promise<CertificateRecord | undefined> {
    checkId(id);
    if (!lease?.owner || !isIsoTimestamp(lease.until)) {
      throw new ConfigurationError('lease: needs an owner and an ISO 8601 UTC "until"; this is a bug in the caller', { field: 'lease' });
    }
    const e = new Expr();
    const value = { owner: lease.owner, until: new Date(lease.until).toISOString() };
    const condition =
      `attribute_exists(${e.n('id')}) AND ` +
      `(attribute_not_exists(${e.n('lease')}) OR ${e.n('lease')}.${e.n('until')} < ${e.v(now.toISOString())})`;
    let attributes: Record<string, unknown> | undefined;
    try {
      const out = await this.update('UpdateItem', id, `SET ${e.n('lease')} = ${e.v(value)}`, condition, e, 'ALL_NEW');
      attributes = out.Attributes;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      // The condition fails for a held lease and for a missing item alike; only the first is a skip.
      if (!(await this.getItem(id, ['id']))) throw noSuchCertificate(id);
      return undefined;
    }
    const parsed = itemToRecord(attributes ?? {});
    if (parsed.ok) return parsed.record;
    await this.releaseLease(id, lease.owner).catch(() => undefined);
    throw invalidItemError(parsed.invalid);
  }

  /** Removes the lease if `owner` still holds it; does nothing when it does not (lost or already gone). */
  async releaseLease(id: string, owner: string): Promise<void> {
    checkId(id);
    const e = new Expr();
    try {
      await this.update('UpdateItem', id, `REMOVE ${e.n('lease')}`, `${e.n('lease')}.${e.n('owner')} = ${e.v(owner)}`, e);
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }

  /** Removes any lease, held or expired; returns the lease it removed (`undefined`: there was none). */
  async breakLease(id: string): Promise<Lease | undefined> {
    checkId(id);
    const e = new Expr();
    let out;
    try {
      out = await this.call('UpdateItem', () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { [TABLE_KEYS.partitionKey]: id },
            UpdateExpression: `REMOVE ${e.n('lease')}`,
            ConditionExpression: `attribute_exists(${e.n('id')})`,
            ExpressionAttributeNames: e.names,
            ReturnValues: 'UPDATED_OLD',
          }),
        ),
      );
    } catch (err) {
      if (isConditionFailure(err)) throw noSuchCertificate(id);
      throw err;
    }
    const lease = out.Attributes?.lease as Lease | undefined;
    return lease?.owner ? lease : undefined;
  }

  /** Journals run progress under the lease; `LeaseHeldError` when `leaseOwner` no longer holds it. */
  async saveProgress(id: string, leaseOwner: string, progress: RunProgress): Promise<void> {
    checkId(id);
    const e = new Expr();
    const set = Object.entries(compact(progress)).map(([k, v]) => `${e.n(k)} = ${e.v(v)}`);
    if (set.length === 0) return;
    try {
      await this.update('UpdateItem', id, `SET ${set.join(', ')}`, `${e.n('lease')}.${e.n('owner')} = ${e.v(leaseOwner)}`, e);
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      throw lostLease(id, leaseOwner, 'the progress was not journaled', err);
    }
  }

  /** Removes `published` when no lease is held and it is still `published` (compared by size and first value). */
  async clearPublished(id: string, published: PublishedTxt[]): Promise<void> {
    checkId(id);
    if (published.length === 0) return;
    const e = new Expr();
    const p = e.n('published');
    const condition = `attribute_not_exists(${e.n('lease')}) AND size(${p}) = ${e.v(published.length)} AND ${p}[0].${e.n('value')} = ${e.v(published[0].value)}`;
    try {
      await this.update('UpdateItem', id, `REMOVE ${p}`, condition, e);
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }

  /**
   * Appends an owed mail outside the lease. Refused (ConditionalCheckFailed → `LeaseHeldError`) only
   * while another run holds an unexpired lease: that run rewrites the outbox when it records.
   */
  async addOwedMail(id: string, mail: OwedMail, retryAt: Date, now: Date): Promise<void> {
    checkId(id);
    const free = (e: Expr) =>
      `attribute_exists(${e.n('id')}) AND (attribute_not_exists(${e.n('lease')}) OR ${e.n('lease')}.${e.n('until')} < ${e.v(now.toISOString())})`;
    const append = (e: Expr) => `${e.n('owedMails')} = list_append(if_not_exists(${e.n('owedMails')}, ${e.v([])}), ${e.v([mail])})`;
    const at = retryAt.toISOString();
    try {
      // One write when the next check is later than the retry: append and move the check up.
      const e = new Expr();
      await this.update('UpdateItem', id, `SET ${append(e)}, ${e.n('nextCheckAt')} = ${e.v(at)}`, `${free(e)} AND ${e.n('nextCheckAt')} > ${e.v(at)}`, e);
      return;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
    const e = new Expr();
    try {
      await this.update('UpdateItem', id, `SET ${append(e)}`, free(e), e);
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      throw new LeaseHeldError(`the owed mail for '${id}' was not kept: another run holds the lease or the certificate is gone`, {
        cause: err,
        remediation: 'The mail is in the run log; the run holding the lease reports its own outcome.',
      });
    }
  }

  /**
   * Writes the outcome, clears `forceRenewal` and removes the lease in one write conditioned on
   * `lease.owner = leaseOwner`; `LeaseHeldError` when the lease was lost (taken over or removed).
   * `renewalWindow: null` removes the stored window. Fields left undefined are not touched.
   */
  async recordOutcome(id: string, leaseOwner: string, update: OutcomeUpdate): Promise<void> {
    checkId(id);
    const { forceRenewal: _cleared, ...given } = update;
    // `null` (and an empty outbox) means: remove the attribute.
    const removed = Object.entries(given)
      .filter(([k, v]) => v === null || (k === 'owedMails' && Array.isArray(v) && v.length === 0))
      .map(([k]) => k);
    const rest = Object.fromEntries(Object.entries(given).filter(([k]) => !removed.includes(k))) as Record<string, unknown>;
    const unknown = [...Object.keys(rest), ...removed].filter((k) => !(OUTCOME_FIELDS as readonly string[]).includes(k));
    if (unknown.length > 0) {
      // Only run state may be written here; configuration goes through put/setStatus.
      throw new ConfigurationError(`outcome for '${id}' not recorded: ${unknown.join(', ')} cannot be set by an outcome`, {
        field: unknown[0],
        remediation: 'This is a bug in the caller: report it with the run log.',
      });
    }
    const fields = compact(rest);
    const checked = z.required(z.partial(runtimeSchema), { nextCheckAt: true }).safeParse(fields);
    if (!checked.success) {
      const problems = checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
      throw new ConfigurationError(`outcome for '${id}' not recorded: ${problems.join('; ')}`, {
        field: String(checked.error.issues[0].path[0] ?? ''),
        remediation: 'This is a bug in the caller: report it with the run log.',
      });
    }
    fields.nextCheckAt = new Date(fields.nextCheckAt as string).toISOString();
    const e = new Expr();
    const set = Object.entries(fields).map(([k, v]) => `${e.n(k)} = ${e.v(v)}`);
    const remove = [e.n('forceRenewal'), e.n('lease'), ...removed.map((k) => e.n(k))];
    const expression = `SET ${set.join(', ')} REMOVE ${remove.join(', ')}`;
    try {
      await this.update('UpdateItem', id, expression, `${e.n('lease')}.${e.n('owner')} = ${e.v(leaseOwner)}`, e);
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      throw lostLease(id, leaseOwner, 'the outcome was not recorded', err);
    }
  }

  // ---- helpers -------------------------------------------------------------------------------------

  private async getItem(id: string, attributes?: string[]): Promise<Record<string, unknown> | undefined> {
    const names = attributes ? Object.fromEntries(attributes.map((a) => [`#${a}`, a])) : undefined;
    const out = await this.call('GetItem', () =>
      this.client.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { [TABLE_KEYS.partitionKey]: id },
          ConsistentRead: true,
          ProjectionExpression: names ? Object.keys(names).join(', ') : undefined,
          ExpressionAttributeNames: names,
        }),
      ),
    );
    return out.Item;
  }

  private update(action: string, id: string, expression: string, condition: string, e: Expr, returnValues?: 'ALL_NEW') {
    return this.call(action, () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [TABLE_KEYS.partitionKey]: id },
          UpdateExpression: expression,
          ConditionExpression: condition,
          ExpressionAttributeNames: e.names,
          ExpressionAttributeValues: Object.keys(e.values).length ? e.values : undefined,
          ReturnValues: returnValues,
        }),
      ),
    );
  }

  private async mustExist(id: string, write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (err) {
      if (isConditionFailure(err)) throw noSuchCertificate(id);
      throw err;
    }
  }

  private validOrThrow(item: Record<string, unknown>): CertificateRecord {
    const parsed = itemToRecord(item);
    if (parsed.ok) return parsed.record;
    throw invalidItemError(parsed.invalid);
  }

  /** Runs one SDK call, translating its failure (condition failures pass through for the caller). */
  private async call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isConditionFailure(err)) throw err;
      throw translateError(err, action, this.tableName, this.dueIndexName);
    }
  }
}

/** Builds expression placeholders; every attribute name is aliased since many are reserved words. */
class Expr {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};
  private count = 0;

  n(attribute: string): string {
    const key = `#${attribute}`;
    this.names[key] = attribute;
    return key;
  }

  v(value: unknown): string {
    const key = `:v${this.count++}`;
    this.values[key] = compact(value);
    return key;
  }
}

/**
 * A condition that holds while `names` is still `stored`. Compared element by element rather than as one
 * list value: the same meaning on DynamoDB, and dynalite only compares scalars and sets correctly.
 */
function sameNamesCondition(e: Expr, stored: unknown): string {
  const names = e.n('names');
  if (stored === undefined) return `attribute_not_exists(${names})`;
  // A malformed value (not a list of strings) is overwritten by this put: no finer guard needed.
  if (!Array.isArray(stored) || !stored.every((n) => typeof n === 'string')) return `attribute_exists(${names})`;
  return [`size(${names}) = ${e.v(stored.length)}`, ...stored.map((n, i) => `${names}[${i}] = ${e.v(n)}`)].join(' AND ');
}

function split(items: Record<string, unknown>[]): DueBatch {
  const batch: DueBatch = { records: [], invalid: [] };
  for (const item of items) {
    const parsed = itemToRecord(item);
    if (parsed.ok) batch.records.push(parsed.record);
    else batch.invalid.push(parsed.invalid);
  }
  return batch;
}

function checkId(id: string): void {
  const problem = idProblem(id);
  if (problem) throw new ConfigurationError(problem, { field: 'id', remediation: 'Give the id of a certificate, as `certbeat list` shows it.' });
}

function describeId(id: unknown): string {
  return typeof id === 'string' ? id.slice(0, 128) : '(missing id)';
}

function noSuchCertificate(id: string): ConfigurationError {
  return new ConfigurationError(`no certificate with id '${id}'`, {
    field: 'id',
    remediation: 'Check the id (`certbeat list` shows them), or add the certificate first.',
  });
}

function invalidItemError(invalid: InvalidItem): ConfigurationError {
  return new ConfigurationError(`certificate '${invalid.id}' is malformed in the inventory: ${invalid.problems.join('; ')}`, {
    field: invalid.problems[0]?.split(':')[0],
    remediation: `Correct the fields listed in the inventory table; \`certbeat repair ${invalid.id}\` writes a missing dueShard or nextCheckAt.`,
  });
}

function lostLease(id: string, owner: string, what: string, cause: unknown): LeaseHeldError {
  return new LeaseHeldError(`the lease on '${id}' is no longer held by ${owner}; ${what}`, {
    cause,
    remediation: 'Another run took over this certificate (the lease expired); it records its own outcome.',
  });
}

function isConditionFailure(err: unknown): boolean {
  return (err as { name?: string } | null)?.name === 'ConditionalCheckFailedException';
}

const TRANSIENT_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TransactionConflictException',
  'TimeoutError',
]);

/** Maps an SDK or network failure to a certbeat error that says what to do. */
export function translateError(err: unknown, action: string, tableName: string, indexName: string): CertbeatError {
  if (err instanceof CertbeatError) return err;
  const e = (err ?? {}) as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const name = e.name ?? 'Error';
  const detail = `${name}: ${e.message ?? String(err)}`;
  const what = `DynamoDB ${action} on table '${tableName}'`;
  if (name === 'AccessDeniedException' || name === 'UnrecognizedClientException' || name === 'InvalidSignatureException') {
    return new ConfigurationError(`${what} was denied (${detail})`, {
      cause: err,
      remediation: `Allow dynamodb:${action} on the table ${tableName} and its index ${indexName} in the role certbeat runs with, and check its credentials.`,
    });
  }
  if (name === 'ResourceNotFoundException') {
    return new ConfigurationError(`${what} failed: the table does not exist (${detail})`, {
      cause: err,
      remediation: `Deploy the certbeat stack, or set CERTBEAT_TABLE_NAME to the inventory table it created.`,
    });
  }
  if (name === 'ValidationException') {
    return new ConfigurationError(`${what} was refused (${detail})`, {
      cause: err,
      remediation: `Check that the table has the index ${indexName} (CERTBEAT_DUE_INDEX) with the key layout of the certbeat stack.`,
    });
  }
  const status = e.$metadata?.httpStatusCode;
  if (TRANSIENT_NAMES.has(name) || (status !== undefined && status >= 500) || status === undefined) {
    // No HTTP status means the request never got an answer: a network failure.
    return new TransientError(`${what} failed temporarily (${detail})`, {
      cause: err,
      remediation: 'certbeat tries again on the next run; if it persists, check DynamoDB capacity, the network and service health.',
    });
  }
  return new TransientError(`${what} failed (${detail})`, { cause: err, remediation: 'See the cause in the run log; certbeat tries again on the next run.' });
}
