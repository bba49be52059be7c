/**
 * The fault book of one proxy: the rules a test injected, which of them fires for a request, and how
 * many calls of each operation arrived. Pure bookkeeping; the proxy applies the chosen fault.
 */

/**
 * What goes wrong:
 * - `errorAfterCommit`: the request reaches the service and takes effect; the client gets `status`
 *   (default 500) instead of the real answer.
 * - `errorBeforeCommit`: the client gets `status` (default 500) and the service never sees the request.
 * - `throttle`: the service's own throttling error (never forwarded); `code` overrides its error code.
 * - `dropBeforeForward`: the connection is destroyed before the request reaches the service.
 * - `dropAfterForward`: the request takes effect, then the connection is destroyed without an answer.
 */
export type FaultKind = 'errorAfterCommit' | 'errorBeforeCommit' | 'throttle' | 'dropBeforeForward' | 'dropAfterForward';

/** A fault and when it applies. Unset matchers match everything. */
export interface FaultRule {
  fault: FaultKind;
  /**
   * Operation to match: bare (`ImportCertificate`, `GetChange`, `newOrder`) or, for AWS JSON services,
   * the whole `X-Amz-Target` (`CertificateManager.ImportCertificate`); a RegExp is tested on the bare name.
   */
  operation?: string | RegExp;
  /** HTTP method to match (case-insensitive). */
  method?: string;
  /** Tested against the request path including its query string. */
  path?: RegExp;
  /** Fire on every n-th matching call (n, 2n, 3n, …); default 1: every matching call. */
  every?: number;
  /** Fire at most this many times, then go inert; default: until cleared. */
  times?: number;
  /** For `errorAfterCommit` / `errorBeforeCommit`: the HTTP status (default 500). */
  status?: number;
  /** For `throttle`: the error code instead of the service's usual one (e.g. `ProvisionedThroughputExceededException`). */
  code?: string;
}

/** A rule as injected: counters for assertions, and a way to remove it. */
export interface InjectedFault {
  readonly rule: Readonly<FaultRule>;
  /** Matching calls seen since injection. */
  readonly seen: number;
  /** Times the fault was applied. */
  readonly fired: number;
  /** Removes the rule; calls already faulted stay counted. */
  clear(): void;
}

/** One request as the proxy saw it. */
export interface ProxiedCall {
  operation: string;
  /** `X-Amz-Target` when present. */
  target?: string;
  method: string;
  path: string;
  /** The fault applied, if any. */
  fault?: FaultKind;
  /** Whether the request reached the service. */
  forwarded: boolean;
}

/** The request facts a rule is matched on. */
export interface RequestFacts {
  operation: string;
  target?: string;
  method: string;
  path: string;
}

interface LiveRule {
  rule: FaultRule;
  seen: number;
  fired: number;
  active: boolean;
}

export class FaultBook {
  private rules: LiveRule[] = [];
  private log: ProxiedCall[] = [];

  inject(rule: FaultRule): InjectedFault {
    if (rule.every !== undefined && !(Number.isInteger(rule.every) && rule.every >= 1)) throw new Error(`every must be a positive integer, got ${rule.every}`);
    if (rule.times !== undefined && !(Number.isInteger(rule.times) && rule.times >= 1)) throw new Error(`times must be a positive integer, got ${rule.times}`);
    const live: LiveRule = { rule: { ...rule }, seen: 0, fired: 0, active: true };
    this.rules.push(live);
    return {
      rule: live.rule,
      get seen() {
        return live.seen;
      },
      get fired() {
        return live.fired;
      },
      clear: () => {
        live.active = false;
        this.rules = this.rules.filter((r) => r !== live);
      },
    };
  }

  /** Removes every rule (call counts stay). */
  clearFaults(): void {
    for (const r of this.rules) r.active = false;
    this.rules = [];
  }

  /**
   * Records the call and picks the fault to apply: every matching rule counts the call; the first rule
   * (in injection order) that is due fires.
   */
  decide(req: RequestFacts): { call: ProxiedCall; rule?: FaultRule } {
    let chosen: LiveRule | undefined;
    for (const live of this.rules) {
      if (!live.active || !matches(live.rule, req)) continue;
      live.seen++;
      const due = live.seen % (live.rule.every ?? 1) === 0 && live.fired < (live.rule.times ?? Infinity);
      if (due && !chosen) {
        chosen = live;
        live.fired++;
      }
    }
    const call: ProxiedCall = { ...req, fault: chosen?.rule.fault, forwarded: false };
    this.log.push(call);
    return { call, rule: chosen?.rule };
  }

  /** Calls received (faulted or not) for `operation` (bare name or whole target), or all calls. */
  calls(operation?: string): number {
    return this.requests(operation).length;
  }

  /** The calls received, oldest first, optionally only those of `operation`. */
  requests(operation?: string): ProxiedCall[] {
    return operation === undefined ? [...this.log] : this.log.filter((c) => c.operation === operation || c.target === operation);
  }

  /** Forgets the call log (rules and their counters stay). */
  resetCalls(): void {
    this.log = [];
  }
}

function matches(rule: FaultRule, req: RequestFacts): boolean {
  if (rule.method && rule.method.toUpperCase() !== req.method.toUpperCase()) return false;
  if (rule.path && !rule.path.test(req.path)) return false;
  const op = rule.operation;
  if (op === undefined) return true;
  if (op instanceof RegExp) {
    // A /g or /y RegExp keeps lastIndex between test() calls; matching must not depend on the previous call.
    op.lastIndex = 0;
    return op.test(req.operation);
  }
  return op === req.operation || op === req.target;
}
