/**
 * `npm run testbed`: starts the local testbed, prints its endpoints and the `export` lines that point
 * certbeat (or the AWS CLI) at it, and stays up until SIGINT/SIGTERM, then stops everything.
 *
 *   npm run testbed -- [--eab] [--zone example.test]...
 *
 * --eab      pebble requires External Account Binding; a fresh kid and HMAC key are generated and
 *            printed once (a throwaway key of a local test CA, valid only while this process runs).
 * --zone N   creates hosted zone N in the Route 53 emulator (repeatable) and prints its id.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { startTestbed, type Testbed } from './testbed.js';
import { prepareWalkthrough } from '../cli/testbed-walkthrough.js';

/** Quotes a value for a POSIX shell `export` line. */
function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      eab: { type: 'boolean', default: false },
      zone: { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write('usage: npm run testbed -- [--eab] [--zone NAME]...\n');
    return;
  }

  const eab = values.eab ? { kid: `testbed-${randomBytes(4).toString('hex')}`, hmac: randomBytes(32).toString('base64url') } : undefined;
  process.stdout.write('starting the certbeat testbed…\n');
  const tb: Testbed = await startTestbed({ eabKeys: eab ? { [eab.kid]: eab.hmac } : undefined });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the testbed…\n`);
    tb.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  const zones: Array<[string, string]> = [];
  let walkthroughEnv: Record<string, string> = {};
  try {
    // The README's CLI walkthrough runs as pasted: its zones exist and `add` defaults to this pebble.
    const walkthrough = await prepareWalkthrough(tb);
    zones.push(...walkthrough.zones);
    walkthroughEnv = walkthrough.env;
    for (const name of values.zone ?? []) zones.push([name, await tb.route53.createZone(name)]);
  } catch (err) {
    await tb.stop().catch(() => undefined);
    throw err;
  }

  const lines = [
    '',
    'certbeat testbed is up:',
    `  ACME directory (pebble)   ${tb.directoryUrl}`,
    `  pebble management         ${tb.pebble.managementUrl}   (issuing root: /roots/0)`,
    `  DNS (challtestsrv)        ${tb.challtestsrv.dnsAddress}   management ${tb.challtestsrv.managementUrl}`,
    `  Route 53 emulator         ${tb.route53.endpoint}`,
    `  ACM emulator              ${tb.acm.endpoint}`,
    `  Secrets Manager emulator  ${tb.secretsManager.endpoint}`,
    `  DynamoDB (dynalite)       ${tb.dynalite.endpoint}   table ${tb.tableName}`,
    `  SES v2 (capture)          ${tb.ses.endpoint}   captured mail: ${tb.ses.endpoint}/store`,
    ...zones.map(([name, id]) => `  hosted zone ${name} → ${id}`),
  ];
  if (eab) {
    lines.push(
      '',
      'External Account Binding is required. Local test key, shown once, valid only for this pebble:',
      `  kid:  ${eab.kid}`,
      `  hmac: ${eab.hmac}`,
    );
  }
  lines.push('', '# paste into a shell:', ...Object.entries({ ...tb.env, ...walkthroughEnv }).map(([k, v]) => `export ${k}=${shellQuote(v)}`));
  lines.push('', 'Ctrl-C stops everything.', '');
  process.stdout.write(lines.join('\n'));
}

main().catch((err: unknown) => {
  process.stderr.write(`testbed failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
