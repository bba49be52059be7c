/**
 * `certbeat budget`: where each rate-limit and quota budget stands (lambda/domain/budget.ts): new orders
 * per ACME account in 3 h, new certificates per registered domain in 7 days, ACM imports in 365 days.
 */
import { OrderBudget } from '../../lambda/domain/budget.js';
import type { CliContext } from '../context.js';
import { EXIT, type ExitCode } from '../exit-codes.js';

export async function budgetCommand(ctx: CliContext, opts: { json?: boolean }): Promise<ExitCode> {
  const { budget } = await ctx.adapters();
  const status = await new OrderBudget(budget, () => ctx.clock.now()).status();
  if (opts.json) {
    ctx.out.json(status);
    return EXIT.ok;
  }
  const pct = (used: number, limit: number) => `${Math.round((used / limit) * 100)} %`;
  const rows = [
    ...status.accounts.map((l) => [`orders, ${l.name}`, `${l.used} / ${l.limit}`, pct(l.used, l.limit), l.window]),
    ...status.domains.map((l) => [`new certificates, ${l.name}`, `${l.used} / ${l.limit}`, pct(l.used, l.limit), l.window]),
    [status.imports.name, `${status.imports.used} / ${status.imports.limit}`, pct(status.imports.used, status.imports.limit), status.imports.window],
  ];
  ctx.out.table(['BUDGET', 'USED', 'SHARE', 'WINDOW'], rows);
  if (status.accounts.length === 0) ctx.out.line('no new orders in the last 3 h (ARI renewals are exempt and not counted)');
  if (status.warning) ctx.out.note(status.warning, 'yellow');
  return EXIT.ok;
}
