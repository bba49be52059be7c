#!/usr/bin/env node
/**
 * The `certbeat` executable as installed: built by `npm run build` (esbuild) into dist/certbeat.mjs,
 * plain JavaScript, so a deployed operator needs no TypeScript tooling. bin/certbeat.mjs runs this same
 * file from the sources in a checkout. main() reads argv, streams and environment from what it is given.
 */
import { main } from './main.js';

// The SDK warns on every start that its 2027 releases will need Node 22; for a CLI that is noise, not news.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// Ctrl-C / SIGTERM: the first one stops the run cleanly (TXT values removed, leases given back); a
// second one exits at once (leases then end by themselves after the budget).
const stop = new AbortController();
let signals = 0;
const onSignal = (name: string) => {
  signals += 1;
  if (signals > 1) process.exit(130);
  process.stderr.write(`\ncertbeat: ${name}: stopping — removing TXT values and giving back leases (again to quit at once)\n`);
  stop.abort();
};
process.on('SIGINT', () => onSignal('SIGINT'));
process.on('SIGTERM', () => onSignal('SIGTERM'));

// A question (remove's confirmation) is asked on the terminal: the answer line from stdin, the question on stderr.
const prompt = async (question: string) => {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
};
const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: stop.signal,
  stdin: process.stdin,
  prompt,
});
// Explicit exit: an idle keep-alive socket or timer left by an SDK must not hold the process open.
process.exit(stop.signal.aborted && code === 0 ? 130 : code);
