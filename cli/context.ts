/**
 * What a command works with: the output, the target (found once, on first use) and the adapters built
 * on it through lambda/composition.ts — the same wiring the Lambda uses.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { createAdapters, createRenewalService, systemClock } from '../lambda/composition.js';
import { NodeDnsLookup } from '../lambda/adapters/dns/node-dns-lookup.js';
import type { Clock, RunLog } from '../lambda/domain/ports.js';
import type { RenewalService } from '../lambda/domain/renewal-service.js';
import { findTarget, type Target } from './environment.js';
import { Output, type CliIo } from './output.js';

export const silentLog: RunLog = { info() {}, warn() {}, error() {} };

/** A run started from the CLI gets as long as the Lambda's maximum: 15 minutes. */
export const CLI_RUN_BUDGET_MS = 15 * 60_000;
/** `renew <id>` works one certificate: a shorter budget, so a killed process holds its lease less long. */
export const CLI_RENEW_BUDGET_MS = 5 * 60_000;
/**
 * How long a CLI lease outlives the budget. The process enforces its own deadline (unlike a frozen
 * Lambda), so a short margin is enough; a killed process's lease then frees itself soon after.
 */
export const CLI_LEASE_MARGIN_MS = 30_000;

export class CliContext {
  readonly out: Output;
  readonly clock: Clock;
  private target?: Promise<Target>;

  constructor(
    readonly io: CliIo,
    private readonly options: { stack?: string; clock?: Clock } = {},
  ) {
    this.out = new Output(io);
    this.clock = options.clock ?? systemClock;
  }

  /** The target, found on first use (throws `EnvironmentError` → exit 3). */
  getTarget(): Promise<Target> {
    this.target ??= findTarget(this.io.env, { stack: this.options.stack, warn: (m) => this.out.note(`certbeat: ${m}`, 'yellow') });
    return this.target;
  }

  async adapters(log: RunLog = silentLog) {
    const target = await this.getTarget();
    return createAdapters(target.config, target.clients, log, this.clock);
  }

  async service(log: RunLog = silentLog): Promise<RenewalService> {
    const target = await this.getTarget();
    return createRenewalService(target.config, target.clients, log, this.clock);
  }

  /** Public DNS lookups for pre-flight checks, through CERTBEAT_DNS_RESOLVER when set. */
  async lookup(): Promise<NodeDnsLookup> {
    const { config } = await this.getTarget();
    return new NodeDnsLookup({ servers: config.dnsResolver ? [config.dnsResolver] : undefined });
  }

  /**
   * Options for one `RenewalService.run`: a lease owner that names this machine and process, the
   * budget (leases last the budget plus a short margin), and the signal that Ctrl-C aborts.
   */
  runOptions(budgetMs = CLI_RUN_BUDGET_MS) {
    const deadline = this.clock.now().getTime() + budgetMs;
    return {
      invocationId: `cli-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
      remainingMs: () => deadline - this.clock.now().getTime(),
      leaseMarginMs: CLI_LEASE_MARGIN_MS,
      signal: this.io.signal,
    };
  }

  async close(): Promise<void> {
    if (!this.target) return;
    const target = await this.target.catch(() => undefined);
    target?.close();
  }
}
