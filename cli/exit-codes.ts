/**
 * The exit codes scripts can rely on, and the errors that carry them. Every command ends through
 * `exitCodeFor`, so the mapping lives in one place (and in `certbeat --help`).
 */
import { CertbeatError, ConfigurationError, DnsZoneNotFoundError, TransientError } from '../lambda/domain/errors.js';

export const EXIT = {
  /** Everything worked. */
  ok: 0,
  /** Some certificate failed to renew, or `doctor` found a blocking problem. */
  failed: 1,
  /** Bad input: unknown id, malformed name, missing zone, wildcard misuse. Nothing was changed. */
  badInput: 2,
  /** The target (deployed stack or testbed) was not found, is not configured or cannot be reached. */
  environment: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Text for the epilog of `certbeat --help`. */
export const EXIT_CODES_HELP = [
  'Exit codes:',
  '  0  ok',
  '  1  some certificate failed, or doctor found a blocking problem',
  '  2  bad input (unknown id, malformed name, missing zone, wildcard misuse); nothing was changed',
  '  3  environment not found, not configured or not reachable',
].join('\n');

/** Bad input: the message names the field and the fix; exit 2. */
export class UsageError extends CertbeatError {
  readonly problems: string[];
  constructor(message: string, options: { problems?: string[]; remediation?: string; cause?: unknown } = {}) {
    super(message, options);
    this.problems = options.problems ?? [];
  }
}

/** The target cannot be found or used; exit 3. */
export class EnvironmentError extends CertbeatError {}

/** Which exit code an error thrown by a command ends with. */
export function exitCodeFor(e: unknown): ExitCode {
  if (e instanceof UsageError || e instanceof DnsZoneNotFoundError) return EXIT.badInput;
  if (e instanceof EnvironmentError) return EXIT.environment;
  // The inventory names the field for input it refuses (unknown id, bad value); without one, the
  // problem is the table itself (missing, access denied): the environment.
  if (e instanceof ConfigurationError) return e.field ? EXIT.badInput : EXIT.environment;
  // A network failure on the way to DynamoDB, Route 53 or ACM: the target is not reachable.
  if (e instanceof TransientError) return EXIT.environment;
  return EXIT.failed;
}
