/**
 * `certbeat doctor [<id>]`: the pre-flight checks of every run, on demand, with nothing ordered.
 * Each finding is printed with ✓ (passes), ✗ (stops the order) or ! (a warning), and its fix.
 * Exit 1 when a certificate has a blocking problem.
 */
import { DnsZoneNotFoundError } from '../../lambda/domain/errors.js';
import type { CertificateRecord } from '../../lambda/domain/model.js';
import type { Finding } from '../../lambda/domain/notices.js';
import type { DnsLookup, DnsSolver, CertificateStore } from '../../lambda/domain/ports.js';
import { isBlockingForRenewal, preflightFor } from '../../lambda/composition.js';
import type { RuntimeConfig } from '../../lambda/config.js';
import type { CliContext } from '../context.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { namesText } from '../format.js';
import { existing } from './inventory.js';

export interface DoctorFinding extends Finding {
  /** Whether a run would refuse to order because of it. */
  blocking: boolean;
}

export interface DoctorReport {
  id: string;
  names: string[];
  ok: boolean;
  findings: DoctorFinding[];
}



/** Runs the pre-flight checks of one certificate, exactly as a run does before ordering. */
export async function diagnose(
  record: CertificateRecord,
  deps: { config: RuntimeConfig; dns: DnsSolver; store: CertificateStore; lookup: DnsLookup; ca?: { profiles(directoryUrl: string): Promise<Record<string, string>> } },
): Promise<DoctorReport> {
  // Name by name, so that one name without a zone does not hide the zones of the others.
  const zoneIds: Record<string, string> = {};
  for (const name of record.names) {
    try {
      Object.assign(zoneIds, await deps.dns.locateZones([name], record.zones));
    } catch (e) {
      if (!(e instanceof DnsZoneNotFoundError)) throw e; // reported by the zone check below
    }
  }
  const stored = record.acmArn ? await deps.store.describe(record.acmArn) : undefined;
  // The same checks and the same blocking rule as every run.
  // The profile check (meta.profiles) only when a CA adapter is given: doctor passes it.
  const findings = await preflightFor(deps.config, deps.lookup, deps.dns, deps.ca && ((url) => deps.ca!.profiles(url)))({
    record,
    zoneIds,
    storedKeyType: stored?.keyAlgorithm,
    inUseBy: stored?.inUseBy,
  });
  const marked = findings.map((f) => ({ ...f, blocking: isBlockingForRenewal(f) }));
  return { id: record.id, names: record.names, ok: !marked.some((f) => f.blocking), findings: marked };
}

export async function doctorCommand(ctx: CliContext, id: string | undefined, opts: { json?: boolean }): Promise<ExitCode> {
  const target = await ctx.getTarget();
  const { inventory, dns, store, ca } = await ctx.adapters();
  const lookup = await ctx.lookup();
  let records: CertificateRecord[];
  let invalid: Array<{ id: string; problems: string[] }> = [];
  if (id !== undefined) {
    records = [await existing(inventory, id)];
  } else {
    const batch = await inventory.listAll();
    records = [...batch.records].sort((a, b) => a.id.localeCompare(b.id));
    invalid = batch.invalid.map((i) => ({ id: i.id, problems: i.problems }));
  }

  const reports: DoctorReport[] = [];
  for (const record of records) reports.push(await diagnose(record, { config: target.config, dns, store, lookup, ca }));
  const failing = reports.filter((r) => !r.ok).length + invalid.length;

  if (opts.json) {
    ctx.out.json({ certificates: reports, invalid });
    return failing > 0 ? EXIT.failed : EXIT.ok;
  }
  const { out } = ctx;
  for (const report of reports) {
    out.line(`${out.paint('bold', report.id)}  ${namesText(report.names)}${report.ok ? '' : out.paint('red', '  (blocked)')}`);
    for (const f of report.findings) {
      const mark = f.ok ? out.paint('green', '✓') : f.blocking ? out.paint('red', '✗') : out.paint('yellow', '!');
      out.line(`  ${mark} ${f.message}`);
      if (!f.ok && f.fix) out.line(`      fix: ${f.fix}`);
    }
    out.line();
  }
  for (const item of invalid) {
    out.line(`${out.paint('bold', item.id)}  ${out.paint('red', '(invalid in the inventory)')}`);
    for (const p of item.problems) out.line(`  ${out.paint('red', '✗')} ${p}`);
    out.line();
  }
  const total = reports.length + invalid.length;
  if (total === 0) out.line('no certificates to check');
  else out.line(failing === 0 ? `${total} checked: no blocking problem` : `${total} checked: ${failing} with a blocking problem (✗)`);
  return failing > 0 ? EXIT.failed : EXIT.ok;
}
