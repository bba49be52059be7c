/**
 * `certbeat budget`: where each rate-limit and quota budget stands (lambda/domain/budget.ts): new orders
 * per ACME account in 3 h, new certificates per registered domain and CA in 7 days, ACM imports in 365
 * days. A CA whose limits certbeat does not know shows its counts with "no limit known".
 */
import { OrderBudget, type BudgetLine } from '../../lambda/domain/budget.js';
import type { CliContext } from '../context.js';
import { EXIT, type ExitCode } from '../exit-codes.js';

export async function budgetCommand(ctx: CliContext, opts: { json?: boolean }): Promise<ExitCode> {
  const { budget } = await ctx.adapters();
  const status = await new OrderBudget(budget, () => ctx.clock.now()).status();
  if (opts.json) {
    ctx.out.json(status);
    return EXIT.ok;
  }
  const row = (name: string, l: BudgetLine) =>
    l.limit === undefined ? [name, `${l.used} (no limit known)`, '-', l.window] : [name, `${l.used} / ${l.limit}`, `${Math.round((l.used / l.limit) * 100)} %`, l.window];
  const rows = [
    ...status.accounts.map((l) => row(`orders, ${l.name}`, l)),
    ...status.domains.map((l) => row(`new certificates, ${l.name} at ${l.directoryUrl}`, l)),
    row(status.imports.name, status.imports),
  ];
  ctx.out.table(['BUDGET', 'USED', 'SHARE', 'WINDOW'], rows);
  if (status.accounts.length === 0) ctx.out.line('no new orders in the last 3 h (ARI renewals are exempt and not counted)');
  if ([...status.accounts, ...status.domains].some((l) => l.limit === undefined)) {
    ctx.out.line("no limit known: counted, never held back by certbeat; give the CA's limits in caLimits of certbeat.config.json to keep inside them");
  }
  if (status.warning) ctx.out.note(status.warning, 'yellow');
  return EXIT.ok;
}
