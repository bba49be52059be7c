/**
 * A `RunLog` that turns the renewal service's log lines into progress on stderr while a run works:
 * "ordering web…", "renewed web", "failed shop: …". Everything else stays quiet unless `verbose`.
 */
import type { RunLog } from '../lambda/domain/ports.js';
import type { Output } from './output.js';

export function progressLog(out: Output, options: { verbose?: boolean } = {}): RunLog {
  const id = (a?: Record<string, unknown>) => String(a?.id ?? '?');
  const verbose = (level: string, message: string, attributes?: Record<string, unknown>) => {
    if (!options.verbose) return;
    out.note(`  ${level} ${message}${attributes && Object.keys(attributes).length ? ` ${JSON.stringify(attributes)}` : ''}`, 'dim');
  };
  return {
    info(message, attributes) {
      switch (message) {
        case 'due':
          return out.note(`ordering ${id(attributes)}… (${String(attributes?.detail ?? attributes?.reason ?? 'due')})`);
        case 'issued':
          return out.note(`issued ${id(attributes)}`, 'green');
        case 'renewed':
          return out.note(`renewed ${id(attributes)}`, 'green');
        case 'dry run: issued, not imported':
          return out.note(`dry run ${id(attributes)}: the CA issued it after validating the TXT values; dropped, not imported`, 'green');
        case 'skipped: lease held elsewhere':
          return out.note(`skipped ${id(attributes)}: another run is working on it`, 'yellow');
        default:
          return verbose('info', message, attributes);
      }
    },
    warn(message, attributes) {
      if (message === 'stopping early: remaining time is short') {
        return out.note(`stopping early: ${String(attributes?.left ?? 'some')} certificate(s) left for the next run`, 'yellow');
      }
      if (message === 'stopping early: interrupted') {
        return out.note(`interrupted: ${String(attributes?.left ?? 'some')} certificate(s) not started; they are due on the next run`, 'yellow');
      }
      if (message === 'interrupted: lease given back') return out.note(`interrupted ${id(attributes)}: TXT values removed, lease given back`, 'yellow');
      if (options.verbose) return verbose('warn', message, attributes);
      out.note(`warning: ${message}${attributes?.error ? ` (${String(attributes.error)})` : ''}`, 'yellow');
    },
    error(message, attributes) {
      if (message === 'not renewed') return out.note(`failed ${id(attributes)}: ${String(attributes?.error ?? '')}`, 'red');
      if (message === 'inventory item is invalid') {
        const problems = Array.isArray(attributes?.problems) ? (attributes.problems as string[]).join('; ') : '';
        return out.note(`invalid ${id(attributes)}: ${problems}`, 'red');
      }
      if (options.verbose) return verbose('error', message, attributes);
      out.note(`error: ${message}${attributes?.error ? ` (${String(attributes.error)})` : ''}`, 'red');
    },
  };
}
