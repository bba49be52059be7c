/**
 * `certbeat repair [<id>]`: writes the due-index fields (`dueShard`, `nextCheckAt`) that items written by
 * hand lack. Without them the scheduled run, which only queries the due index, never sees the item.
 * Without an id it scans the inventory (like `list`) and repairs every item that needs it. Other problems
 * are printed, not changed: they need a person (so are items without a usable id, which only the table
 * editor can fix). Exit 1 when an item is still invalid afterwards.
 */
import { idProblem } from '../../lambda/domain/record-validation.js';
import type { CliContext } from '../context.js';
import { EXIT, type ExitCode } from '../exit-codes.js';

export async function repairCommand(ctx: CliContext, id: string | undefined): Promise<ExitCode> {
  const { inventory } = await ctx.adapters();
  const now = ctx.clock.now();
  const ids = id !== undefined ? [id] : (await inventory.listAll()).invalid.map((i) => i.id).filter((i) => !idProblem(i));
  for (const each of ids) {
    const changes = await inventory.repairDueIndex(each, now);
    ctx.out.line(changes.length > 0 ? `repaired ${each}: ${changes.join(', ')}` : `${each}: dueShard and nextCheckAt are fine, nothing to repair`);
  }
  const after = await inventory.listAll();
  const remaining = after.invalid.filter((i) => id === undefined || i.id === id);
  for (const item of remaining) ctx.out.note(`still invalid ${item.id}: ${item.problems.join('; ')}`, 'red');
  if (id === undefined && ids.length === 0 && remaining.length === 0) ctx.out.line('every item has its due-index fields; nothing to repair');
  return remaining.length > 0 ? EXIT.failed : EXIT.ok;
}
