/**
 * `certbeat doctor [<id>]`: the pre-flight checks of every run, on demand, with nothing ordered.
 * Each finding is printed with ✓ (passes), ✗ (stops the order) or ! (a warning), and its fix.
 * Exit 1 when a certificate has a blocking problem.
 */
import { zoneLookup } from '../../lambda/domain/challenge-alias.js';
import { DnsZoneNotFoundError } from '../../lambda/domain/errors.js';
import type { CertificateRecord } from '../../lambda/domain/model.js';
import type { Finding } from '../../lambda/domain/notices.js';
import type { DnsLookup, DnsSolver, CertificateStore } from '../../lambda/domain/ports.js';
import { isBlockingForRenewal, preflightFor } from '../../lambda/composition.js';
import type { RuntimeConfig } from '../../lambda/config.js';
import type { CliContext } from '../context.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { byId, namesText, terminalSafe } from '../format.js';
import { CaChecker } from '../ca-check.js';
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
      // A CNAME-delegated name is looked up by its alias target (lambda/domain/challenge-alias.ts).
      const lookup = zoneLookup([name], record.zones, record.challengeAliases);
      Object.assign(zoneIds, lookup.back(await deps.dns.locateZones(lookup.names, lookup.explicit)));
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
    stored,
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
    records = [...batch.records].sort(byId);
    invalid = batch.invalid.map((i) => ({ id: i.id, problems: i.problems })).sort(byId);
  }

  const caChecker = new CaChecker({ config: target.config, secretsManager: target.clients.secretsManager });
  const reports: DoctorReport[] = [];
  try {
    for (const record of records) {
      const report = await diagnose(record, { config: target.config, dns, store, lookup, ca });
      // The CA's own checks join the pre-flight ones: a CA that cannot issue blocks like a missing zone.
      report.findings.push(...(await caChecker.check(record)));
      report.ok = !report.findings.some((f) => f.blocking);
      reports.push(report);
    }
  } finally {
    caChecker.close();
  }
  const failing = reports.filter((r) => !r.ok).length + invalid.length;

  if (opts.json) {
    // Every finding with the same fields: `fix` is null when there is nothing to fix.
    const findingJson = (f: DoctorFinding) => ({ check: f.check, ok: f.ok, blocking: f.blocking, message: f.message, fix: f.fix ?? null });
    ctx.out.json({ certificates: reports.map((r) => ({ ...r, findings: r.findings.map(findingJson), summary: summaryOf(r) })), invalid });
    return failing > 0 ? EXIT.failed : EXIT.ok;
  }
  const { out } = ctx;
  const fixesShown = new Set<string>();
  for (const report of reports) {
    out.line(`${out.paint('bold', terminalSafe(report.id))}  ${terminalSafe(namesText(report.names))}${report.ok ? '' : out.paint('red', '  (blocked)')}`);
    for (const f of fold(report.findings)) {
      const mark = f.ok ? out.paint('green', '✓') : f.blocking ? out.paint('red', '✗') : out.paint('yellow', '!');
      out.line(`  ${mark} ${terminalSafe(f.message)}`);
      if (!f.ok && f.fix) {
        // The same fix under many certificates (a resolver down, say) is read once.
        out.line(fixesShown.has(f.fix) ? '      fix: as above' : `      fix: ${terminalSafe(f.fix)}`);
        fixesShown.add(f.fix);
      }
    }
    out.line(`  ${report.ok ? out.paint('green', 'summary:') : out.paint('red', 'summary:')} ${summaryOf(report)}`);
    out.line();
  }
  for (const item of invalid) {
    out.line(`${out.paint('bold', terminalSafe(item.id))}  ${out.paint('red', '(invalid in the inventory)')}`);
    for (const p of item.problems) out.line(`  ${out.paint('red', '✗')} ${terminalSafe(p)}`);
    out.line();
  }
  const total = reports.length + invalid.length;
  if (total === 0) out.line('no certificates to check');
  else out.line(failing === 0 ? `${total} checked: no blocking problem` : `${total} checked: ${failing} with a blocking problem (✗)`);
  return failing > 0 ? EXIT.failed : EXIT.ok;
}

/** `ready: 9 checks pass` / `blocked: 1 blocking (caa), 2 warnings (ns-lookup)`. */
export function summaryOf(report: DoctorReport): string {
  const blocking = report.findings.filter((f) => f.blocking);
  const warnings = report.findings.filter((f) => !f.ok && !f.blocking);
  const passed = report.findings.filter((f) => f.ok).length;
  const checks = (fs: DoctorFinding[]) => [...new Set(fs.map((f) => f.check))].join(', ');
  const parts = [`${passed} check(s) pass`];
  if (blocking.length) parts.push(`${blocking.length} blocking (${checks(blocking)})`);
  if (warnings.length) parts.push(`${warnings.length} warning(s) (${checks(warnings)})`);
  return `${blocking.length ? 'blocked, a run would not order' : 'ready to renew'}: ${parts.join(', ')}`;
}

/**
 * "could not check" findings with one fix (e.g. the resolver did not answer, for every name and
 * record type) become one line naming how many there were, instead of one line per lookup.
 */
export function fold(findings: DoctorFinding[]): DoctorFinding[] {
  const out: DoctorFinding[] = [];
  const groups = new Map<string, DoctorFinding[]>();
  for (const f of findings) {
    if (f.ok || !f.check.endsWith('-lookup')) {
      out.push(f);
      continue;
    }
    const key = `${f.fix ?? ''}\n${f.blocking}`;
    const group = groups.get(key);
    if (group) {
      group.push(f);
      continue;
    }
    groups.set(key, [f]);
    out.push(f);
  }
  return out.map((f) => {
    const group = groups.get(`${f.fix ?? ''}\n${f.blocking}`);
    if (!group || group[0] !== f || group.length === 1) return f;
    const checks = [...new Set(group.map((g) => g.check.replace(/-lookup$/, '')))].join(', ');
    return { ...f, message: `${f.message} — and ${group.length - 1} more like it (${checks})` };
  });
}
