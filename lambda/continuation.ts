/**
 * A fleet larger than one 900-second run continues the same day: when a run stops picking up work for
 * lack of time, the handler invokes its own function asynchronously with a continuation event, bounded
 * by the counter the event carries (see `nextContinuation` in event.ts).
 */
import type { LambdaInvoker } from './adapters/lambda/lambda-invoker.js';
import type { RunLog } from './domain/ports.js';
import { OUT_OF_TIME_REASON, type RunSummary } from './domain/run-summary.js';

/** True when the run left due certificates behind because the invocation's time ran short. */
export function stoppedForTime(summary: RunSummary): boolean {
  return summary.skipped.some((s) => s.reason === OUT_OF_TIME_REASON);
}

/**
 * Invokes `functionName` (the ARN or name of this very function) with `event`, InvocationType Event.
 * Never throws: a continuation that cannot be sent is logged, and the next schedule picks the work up.
 */
export async function invokeContinuation(
  invoker: Pick<LambdaInvoker, 'invokeAsync'>,
  functionName: string,
  event: Record<string, unknown>,
  log: RunLog,
): Promise<boolean> {
  try {
    const statusCode = await invoker.invokeAsync(functionName, event);
    log.info('continuation invoked', { functionName, event, statusCode });
    return true;
  } catch (err) {
    log.warn('continuation not invoked: the rest waits for the next schedule', {
      functionName,
      event,
      error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    });
    return false;
  }
}
