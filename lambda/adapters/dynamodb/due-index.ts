/**
 * The due-index fields of an item (`dueShard`, `nextCheckAt`; see table-schema.ts): the problems an item
 * written by hand without them has, and the repair that writes them.
 *
 * Why a repair and not a check on the schedule: the scheduled run only queries the sparse `due` index
 * (never a scan), so an item lacking either field is invisible to it — no log, no mail. The places that
 * scan anyway (`certbeat list`, `certbeat doctor`, the digest) report it with the problems below, which
 * name `certbeat repair <id>`; the repair writes exactly these two fields and nothing else.
 */
import { idProblem } from '../../domain/record-validation.js';
// item-schema.ts imports this module too; only functions cross the cycle, called after both loaded.
import { isIsoTimestamp } from './item-schema.js';
import { TABLE_KEYS } from './table-schema.js';

const repairCommand = (id: unknown) => (typeof id === 'string' && !idProblem(id) ? `certbeat repair ${id}` : 'certbeat repair');

/**
 * The problems of an item's due-index fields, each naming the field, why it matters and the command that
 * fixes it. `validated` are the problems found by the schemas; a generic one about `nextCheckAt` is replaced
 * by one that says the item is invisible to the schedule.
 */
export function withDueIndexProblems(item: Record<string, unknown>, validated: string[]): string[] {
  const fix = `run \`${repairCommand(item.id)}\``;
  const problems = validated.map((p) =>
    p.startsWith('nextCheckAt:') && !isIsoTimestamp(item.nextCheckAt)
      ? `${p.replace(/;.*$/, ';')} the schedule never sees this item until it is set; ${fix} (sets it to now) or write an ISO 8601 UTC timestamp such as 2026-01-31T00:00:00.000Z`
      : p,
  );
  // The sparse index only works if dueShard follows status; a mismatch hides or leaks the item.
  if (item.status === 'active' && item.dueShard === undefined) {
    problems.push(`dueShard: is missing on an active item, so the schedule never sees it; ${fix} (sets it to "${TABLE_KEYS.activeShard}")`);
  } else if (item.status === 'paused' && item.dueShard !== undefined) {
    problems.push(`dueShard: is set on a paused item, so the schedule still picks it up; ${fix} (removes it)`);
  }
  return problems;
}

/** What `repairDueIndex` writes: attributes to set and remove, and the stored values it depends on. */
export interface DueIndexRepair {
  set: Record<string, string>;
  remove: string[];
  /** The values read (`undefined`: absent); the write is conditional on them being unchanged. */
  expected: { status: unknown; dueShard: unknown; nextCheckAt: unknown };
  /** The changes, in words, e.g. `set nextCheckAt to 2026-…` (for the CLI). */
  changes: string[];
}

/**
 * The repair of an item's due-index fields, or `undefined` when they are right. `dueShard` follows a valid
 * `status` (set to "active" when active, removed when paused; left alone when the status itself is wrong,
 * since that needs a person); `nextCheckAt` missing or not a timestamp becomes `now`, so the next run
 * looks at the certificate and its renewal policy decides.
 */
export function planDueIndexRepair(item: Record<string, unknown>, now: Date): DueIndexRepair | undefined {
  const repair: DueIndexRepair = {
    set: {},
    remove: [],
    expected: { status: item.status, dueShard: item.dueShard, nextCheckAt: item.nextCheckAt },
    changes: [],
  };
  if (item.status === 'active' && item.dueShard !== TABLE_KEYS.activeShard) {
    repair.set.dueShard = TABLE_KEYS.activeShard;
    repair.changes.push(`set dueShard to "${TABLE_KEYS.activeShard}"`);
  } else if (item.status === 'paused' && item.dueShard !== undefined) {
    repair.remove.push('dueShard');
    repair.changes.push('removed dueShard (the item is paused)');
  }
  if (!isIsoTimestamp(item.nextCheckAt)) {
    repair.set.nextCheckAt = now.toISOString();
    repair.changes.push(`set nextCheckAt to ${repair.set.nextCheckAt}`);
  }
  return repair.changes.length > 0 ? repair : undefined;
}
