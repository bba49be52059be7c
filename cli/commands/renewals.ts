/**
 * `certbeat run` (one full run, as the schedule does) and `certbeat renew <id>` (the "renew now"
 * button, in process or `--remote` through the deployed Lambda). Progress goes to stderr while the
 * run works; the outcome table (or `--json`) to stdout. Exit 1 when a certificate was not renewed.
 */
import { InvokeCommand } from '@aws-sdk/client-lambda';
import type { RunSummary } from '../../lambda/domain/run-summary.js';
import { CLI_RENEW_BUDGET_MS, type CliContext } from '../context.js';
import { EXIT, EnvironmentError, UsageError, type ExitCode } from '../exit-codes.js';
import { FUNCTION_ENV } from '../environment.js';
import { SUMMARY_HEADERS, SUMMARY_SHRINKABLE, byId, normalSerial, summaryRows, terminalSafe } from '../format.js';
import { progressLog } from '../progress.js';
import { existing } from './inventory.js';

export interface RunCommandOptions {
  json?: boolean;
  verbose?: boolean;
  /** A rehearsal (certbot's `renew --dry-run`): ordered and validated for real, then dropped. */
  dryRun?: boolean;
}

/** Said once before and once after a dry run, so nobody takes its "ok" for a renewal. */
const DRY_RUN_NOTE = 'dry run at each certificate\'s CA (Let\'s Encrypt: its staging CA); nothing is imported into ACM, recorded or mailed';

export async function runCommand(ctx: CliContext, opts: RunCommandOptions): Promise<ExitCode> {
  const target = await ctx.getTarget();
  if (opts.dryRun) {
    // As certbot's `renew --dry-run`: every active certificate, due or not, is rehearsed.
    const { inventory } = await ctx.adapters();
    const ids = (await inventory.listAll()).records.filter((r) => r.status === 'active').map((r) => r.id).sort();
    ctx.out.note(`${DRY_RUN_NOTE}; ${ids.length} active certificate(s) on ${target.description}`, 'dim');
    const service = await ctx.service(progressLog(ctx.out, opts));
    const summary = await service.run({ ...ctx.runOptions(), ids, force: true, dryRun: true });
    return report(ctx, summary, opts);
  }
  ctx.out.note(`run on ${target.description}: looking for due certificates…`, 'dim');
  const service = await ctx.service(progressLog(ctx.out, opts));
  const summary = await service.run(ctx.runOptions());
  return report(ctx, summary, opts, false);
}

export async function renewCommand(ctx: CliContext, id: string, opts: RunCommandOptions & { remote?: boolean }): Promise<ExitCode> {
  const { inventory } = await ctx.adapters();
  const record = await existing(inventory, id);
  if (record.status === 'paused') {
    throw new UsageError(`'${id}' is paused, so it is not renewed; nothing was changed`, {
      remediation: `Resume it first: certbeat resume ${id}`,
    });
  }
  if (opts.remote && opts.dryRun) {
    throw new UsageError('--remote and --dry-run together: the deployed function has no dry run; nothing was changed', {
      remediation: `Leave out --remote: certbeat renew ${id} --dry-run rehearses in this process with the deployment's settings.`,
    });
  }
  if (opts.remote) return renewRemote(ctx, id, opts);
  ctx.out.note(opts.dryRun ? `${DRY_RUN_NOTE}; rehearsing ${id}…` : `renewing ${id} now…`, 'dim');
  const service = await ctx.service(progressLog(ctx.out, opts));
  const summary = await service.run({ ...ctx.runOptions(CLI_RENEW_BUDGET_MS), ids: [id], force: true, dryRun: opts.dryRun });
  return report(ctx, summary, opts);
}

/** Invokes the deployed Lambda with {"action":"renew","certificateId":id} and reports its summary. */
async function renewRemote(ctx: CliContext, id: string, opts: RunCommandOptions): Promise<ExitCode> {
  const target = await ctx.getTarget();
  if (!target.functionName) {
    throw new EnvironmentError('renew --remote needs the renewal function, and none is known for this target', {
      remediation: `Use the deployed stack (unset CERTBEAT_TABLE_NAME, --stack NAME), or set ${FUNCTION_ENV} to the function's name.`,
    });
  }
  ctx.out.note(`asking ${target.functionName} to renew ${id}…`, 'dim');
  let out;
  try {
    out = await target.lambda().send(
      new InvokeCommand({ FunctionName: target.functionName, Payload: Buffer.from(JSON.stringify({ action: 'renew', certificateId: id })) }),
    );
  } catch (e) {
    throw new EnvironmentError(`invoking ${target.functionName} failed (${(e as Error).name}: ${(e as Error).message})`, {
      cause: e,
      remediation: 'Use credentials that allow lambda:InvokeFunction on the renewal function, and check the region.',
    });
  }
  const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
  if (out.FunctionError) {
    let detail = text;
    try {
      const err = JSON.parse(text) as { errorType?: string; errorMessage?: string };
      detail = `${err.errorType ?? 'Error'}: ${err.errorMessage ?? text}`;
    } catch {
      // Not JSON: show it as it came.
    }
    ctx.out.note(`the renewal function failed: ${detail}`, 'red');
    ctx.out.note(`  fix: see the function's log group in CloudWatch for the run of ${id}`);
    return EXIT.failed;
  }
  let summary: RunSummary;
  try {
    summary = JSON.parse(text) as RunSummary;
  } catch (e) {
    throw new EnvironmentError(`the renewal function answered something that is not a run summary: ${text.slice(0, 200)}`, { cause: e });
  }
  return report(ctx, summary, opts);
}

/**
 * Prints the outcome. Exit 1 when a certificate failed or is invalid, when the run was interrupted, or
 * when nothing could be worked because other runs hold every lease; for `renew` (`skippedFails`) also
 * when it was skipped, since it was then not renewed.
 */
function report(ctx: CliContext, summary: RunSummary, opts: RunCommandOptions, skippedFails = true): ExitCode {
  const held = summary.skipped.filter((s) => s.reason === 'another run holds the lease');
  const interrupted = summary.skipped.filter((s) => s.reason.startsWith('interrupted'));
  const worked = summary.renewed.length + summary.failed.length + summary.notDue.length;
  const blocked = held.length > 0 && worked === 0;
  const failed = summary.failed.length + summary.invalid.length + interrupted.length + (skippedFails || blocked ? summary.skipped.length : 0);
  if (opts.json) {
    ctx.out.json(summaryJson(summary));
  } else {
    const rows = summaryRows(summary);
    if (rows.length === 0) ctx.out.line('nothing was due');
    else ctx.out.table(SUMMARY_HEADERS, rows, SUMMARY_SHRINKABLE);
    // The fix right here: a failure mail may not have gone out (no owner, SES refused, dry run).
    for (const f of [...summary.failed].sort(byId)) {
      ctx.out.note(terminalSafe(`${f.id}: ${f.message}`), 'red');
      ctx.out.note(terminalSafe(`  fix: ${f.fix ?? `certbeat doctor ${f.id} checks the zone, delegation, CAA and the CA, each with its fix`}`));
    }
    if (opts.dryRun) ctx.out.note(`${DRY_RUN_NOTE}.`, 'dim');
    if (held.length > 0) {
      ctx.out.note(
        `${held.length} certificate(s) are leased by another run (${held.map((h) => h.id).join(', ')}). If that run is dead ` +
          '(killed, crashed), its lease ends by itself; to free it now: certbeat unlock <id>',
        'yellow',
      );
    }
    for (const m of summary.mailsNotSent ?? []) {
      ctx.out.note(`mail not sent for ${m.id} (${m.kind}): ${m.error}${m.kept ? ' — kept, sent again by a later run' : ''}`, 'yellow');
    }
  }
  return failed > 0 ? EXIT.failed : EXIT.ok;
}

/** The run summary with every field present (null or [] when unset), as scripts read it. */
export function summaryJson(summary: RunSummary) {
  return {
    renewed: summary.renewed.map((r) => ({ ...r, serial: normalSerial(r.serial) })),
    dryRun: (summary.dryRun ?? []).map((d) => ({ ...d, serial: normalSerial(d.serial) })),
    failed: summary.failed.map((f) => ({ ...f, fix: f.fix ?? null })),
    notDue: summary.notDue,
    skipped: summary.skipped,
    invalid: summary.invalid,
    mailsNotSent: summary.mailsNotSent ?? [],
  };
}

/** `certbeat unlock <id>`: removes the lease a dead run left, so the next run can work the certificate. */
export async function unlockCommand(ctx: CliContext, id: string): Promise<ExitCode> {
  const { inventory } = await ctx.adapters();
  await existing(inventory, id);
  const lease = await inventory.breakLease(id);
  if (!lease) {
    ctx.out.line(`${id} was not leased; nothing changed`);
    return EXIT.ok;
  }
  const live = Date.parse(lease.until) > ctx.clock.now().getTime();
  ctx.out.line(`released the lease of ${lease.owner} on ${id}${live ? ` (it would have lasted until ${lease.until})` : ' (it had expired)'}`);
  if (live) ctx.out.note('If that run is still alive, it can no longer record its outcome; the next run renews the certificate.', 'yellow');
  return EXIT.ok;
}
