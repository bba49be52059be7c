/**
 * `certbeat`, the operator CLI. `main(argv, io)` runs one command and resolves with its exit code; it
 * reads nothing from `process` (streams and environment come in `io`), so tests run it in process.
 * bin/certbeat.mjs is the executable.
 */
import { Command, CommanderError, Option } from 'commander';
import { KEY_TYPES } from '../lambda/domain/model.js';
import { CertbeatError } from '../lambda/domain/errors.js';
import { addCommand } from './commands/add.js';
import { budgetCommand } from './commands/budget.js';
import { doctorCommand } from './commands/doctor.js';
import { listCommand, removeCommand, setStatusCommand, showCommand } from './commands/inventory.js';
import { renewCommand, runCommand, unlockCommand } from './commands/renewals.js';
import { repairCommand } from './commands/repair.js';
import { CliContext } from './context.js';
import { DEPRECATED_STACK_ENV, DEFAULT_STACK_NAME, FUNCTION_ENV, STACK_ENV } from './environment.js';
import { DEFAULT_CA_ENV } from './commands/add.js';
import { packageVersion } from './version.js';
import { EXIT, EXIT_CODES_HELP, UsageError, exitCodeFor, type ExitCode } from './exit-codes.js';
import { Output, type CliIo } from './output.js';
import { terminalSafe } from './format.js';
import type { Clock } from '../lambda/domain/ports.js';

export type { CliIo } from './output.js';

const TARGET_HELP = [
  'Target:',
  '  With CERTBEAT_TABLE_NAME set (e.g. the exports `npm run testbed` prints), certbeat uses the',
  '  CERTBEAT_* and AWS_ENDPOINT_URL_* variables. Otherwise it reads the outputs of the deployed stack',
  `  (--stack, ${STACK_ENV}, default "${DEFAULT_STACK_NAME}") in AWS_REGION, and the renewal function's settings.`,
  `  renew --remote needs the function: from the stack, or ${FUNCTION_ENV}. (${DEPRECATED_STACK_ENV} is read too, deprecated.)`,
].join('\n');

const EXAMPLES = [
  'Examples:',
  '  certbeat add web --name example.com --name "*.example.com" --owner web-team@example.com',
  '  certbeat doctor web',
  '  certbeat renew web --dry-run       rehearse at the staging CA; nothing imported or mailed',
  '  certbeat list --json | jq -r \'.certificates[] | select(.daysLeft < 14) | .id\'',
].join('\n');

/** Examples under one command's --help. */
function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
}

/** Runs one certbeat command line (`argv` without node and script) and resolves with the exit code. */
export async function main(argv: string[], io: CliIo, options: { clock?: Clock } = {}): Promise<ExitCode> {
  let code: ExitCode = EXIT.ok;
  let ctx: CliContext | undefined;
  const context = (program: Command) => {
    ctx ??= new CliContext(io, { stack: program.opts<{ stack?: string }>().stack, clock: options.clock });
    return ctx;
  };

  const program = new Command('certbeat')
    .description('Unattended ACME renewal of imported ACM certificates: manage the inventory, check, renew.')
    .version(packageVersion(), '-V, --version', 'print the certbeat version')
    .option('--stack <name>', `CloudFormation stack to use (default: $${STACK_ENV} or "${DEFAULT_STACK_NAME}")`)
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride()
    .showHelpAfterError('(certbeat --help lists the commands and options)')
    .addHelpText('after', `\n${EXAMPLES}\n\n${TARGET_HELP}\n\n${EXIT_CODES_HELP}\n`);

  const collect = (value: string, previous: string[] = []) => [...previous, value];

  program
    .command('add')
    .description('register a certificate (checks the names and that a hosted zone covers each)')
    .argument('<id>', 'certificate id: letters, digits, ".", "_", "-"')
    .requiredOption('--name <name>', 'DNS name on the certificate, repeatable; the first is the subject (e.g. example.com, *.example.com)', collect)
    .option('--zone <name=zoneId>', 'hosted zone id for a name, repeatable (default: found by name)', collect)
    .option('--challenge-alias <name=target>', 'answer the dns-01 challenge of a name at the target its _acme-challenge CNAME points to (in a Route 53 zone), repeatable', collect)
    .option('--region <region>', 'ACM region to import into, repeatable, primary first (default: the deployment\'s region)', collect)
    .option('--ca <ca>', `letsencrypt, letsencrypt-staging or an https ACME directory URL (default: $${DEFAULT_CA_ENV}, else letsencrypt)`)
    .option('--eab-secret <secret>', 'Secrets Manager secret with { "keyId", "hmacKey" } for External Account Binding')
    .addOption(new Option('--key-type <type>', 'key algorithm').choices([...KEY_TYPES]).default('ec256'))
    .option('--owner <mail>', 'owner mail address, repeatable (default: the deployment\'s recipients)', collect)
    .option('--profile <name>', 'ACME profile to order, as the CA lists it (Let\'s Encrypt: classic, tlsserver, shortlived)')
    .option('--profile-fallback <name>', 'what to order when the CA refuses the profile: another profile, or "none"')
    .option('--no-zone-check', 'do not check that a hosted zone covers every name')
    .option('--replace', 'change the configuration of an existing certificate (keeps its certificate, history and paused state)')
    .option('--arn <arn>', 'adopt this certificate already imported into ACM: renewals re-import under its ARN (names must match; key type defaults to its own)')
    .addHelpText('after', examples(
      'certbeat add web --name example.com --name "*.example.com" --owner web-team@example.com',
      'certbeat add api --name api.example.org --ca https://acme.zerossl.com/v2/DV90 --eab-secret certbeat/zerossl-eab',
      'certbeat add web --replace --name example.com --name www.example.com --owner web-team@example.com',
      'certbeat add shop --name shop.example.com --arn arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-…',
      'certbeat add shop --name shop.example.com --name "*.shop.example.com" --challenge-alias shop.example.com=shop.acme.example.net',
      'certbeat add cdn --name cdn.example.com --region us-east-1 --region eu-west-1',
    ))
    .action(async (id: string, o: { name: string[]; zone?: string[]; challengeAlias?: string[]; region?: string[]; ca?: string; eabSecret?: string; keyType?: string; owner?: string[]; zoneCheck: boolean; profile?: string; profileFallback?: string; replace?: boolean; arn?: string }, cmd: Command) => {
      code = await addCommand(context(program), {
        id,
        names: o.name,
        zones: o.zone,
        challengeAliases: o.challengeAlias,
        regions: o.region,
        ca: o.ca,
        eabSecret: o.eabSecret,
        // Adopting without --key-type takes the adopted certificate's own key type.
        keyType: o.arn && cmd.getOptionValueSource('keyType') === 'default' ? undefined : o.keyType,
        arn: o.arn,
        owners: o.owner,
        profile: o.profile,
        profileFallback: o.profileFallback,
        zoneCheck: o.zoneCheck,
        replace: o.replace,
      });
    });

  program
    .command('list')
    .description('every certificate: names, state, days left, expiry, last outcome, next check')
    .option('--json', 'machine-readable output')
    .addHelpText('after', examples('certbeat list', 'certbeat list --json | jq -r \'.certificates[] | select(.daysLeft != null and .daysLeft < 14) | .id\''))
    .action(async (o: { json?: boolean }) => {
      code = await listCommand(context(program), o);
    });

  program
    .command('budget')
    .description('rate-limit and quota budgets: orders per account (3 h), per domain (7 days), ACM imports (365 days)')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }) => {
      code = await budgetCommand(context(program), o);
    });

  program
    .command('show')
    .description('one certificate in detail, with what ACM knows of it, and the fix after a failure')
    .argument('<id>')
    .option('--json', 'machine-readable output')
    .addHelpText('after', examples('certbeat show web', 'certbeat show web --json | jq .lastOutcome'))
    .action(async (id: string, o: { json?: boolean }) => {
      code = await showCommand(context(program), id, o);
    });

  program
    .command('renew')
    .description('renew one certificate now, even outside its renewal window')
    .argument('<id>')
    .option('--remote', 'ask the deployed Lambda to do it instead of this process')
    .option('--dry-run', 'rehearse: order and validate for real (Let\'s Encrypt: at its staging CA), import, record and mail nothing')
    .option('--json', 'machine-readable output (the run summary)')
    .option('--verbose', 'show every log line of the run on stderr')
    .addHelpText('after', examples('certbeat renew web', 'certbeat renew web --dry-run', 'certbeat renew web --remote'))
    .action(async (id: string, o: { remote?: boolean; json?: boolean; verbose?: boolean; dryRun?: boolean }) => {
      code = await renewCommand(context(program), id, o);
    });

  program
    .command('pause')
    .description('stop renewing a certificate (and mailing about it) until resumed')
    .argument('<id>')
    .action(async (id: string) => {
      code = await setStatusCommand(context(program), id, 'paused');
    });

  program
    .command('resume')
    .description('renew a paused certificate again')
    .argument('<id>')
    .action(async (id: string) => {
      code = await setStatusCommand(context(program), id, 'active');
    });

  program
    .command('remove')
    .description('remove a certificate from the inventory (the certificate stays in ACM); asks first, or --yes')
    .argument('<id>')
    .option('--yes', 'do not ask for confirmation (needed when not run in a terminal)')
    .action(async (id: string, o: { yes?: boolean }) => {
      code = await removeCommand(context(program), id, o);
    });

  program
    .command('unlock')
    .description('free a certificate whose lease a dead run left (killed, crashed): the next run works it again')
    .argument('<id>')
    .action(async (id: string) => {
      code = await unlockCommand(context(program), id);
    });

  program
    .command('repair')
    .description('write the due-index fields (dueShard, nextCheckAt) missing from items written by hand')
    .argument('[id]', 'one certificate (default: every item that needs it)')
    .action(async (id: string | undefined) => {
      code = await repairCommand(context(program), id);
    });

  program
    .command('doctor')
    .description('pre-flight checks (zone, delegation, CAA, _acme-challenge CNAME, key type, region) with fixes')
    .argument('[id]', 'one certificate (default: all)')
    .option('--json', 'machine-readable output')
    .addHelpText('after', examples('certbeat doctor', 'certbeat doctor web', 'certbeat doctor --json | jq \'.certificates[] | select(.ok | not) | .id\''))
    .action(async (id: string | undefined, o: { json?: boolean }) => {
      code = await doctorCommand(context(program), id, o);
    });

  program
    .command('run')
    .description('one full run, as the schedule does: renew what is due')
    .option('--dry-run', 'rehearse every active certificate, due or not (certbot\'s renew --dry-run): import, record and mail nothing')
    .option('--json', 'machine-readable output (the run summary)')
    .option('--verbose', 'show every log line of the run on stderr')
    .addHelpText('after', examples('certbeat run', 'certbeat run --dry-run'))
    .action(async (o: { json?: boolean; verbose?: boolean; dryRun?: boolean }) => {
      code = await runCommand(context(program), o);
    });

  // With --json a script reads stdout: an error is JSON there too (and words on stderr for a person).
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version end with 0; a usage mistake (unknown command or option, missing value) with 2.
      if (e.exitCode === 0) return EXIT.ok;
      if (json) new Output(io).json(errorJson('UsageError', e.message.replace(/^error: /, ''), 'certbeat --help lists the commands and options.', EXIT.badInput));
      return EXIT.badInput;
    }
    const output = new Output(io);
    reportError(output, e);
    if (json) {
      const err = e instanceof CertbeatError ? e : undefined;
      output.json(errorJson(err?.name ?? 'Error', e instanceof Error ? e.message : String(e), err?.remediation ?? null, exitCodeFor(e)));
    }
    return exitCodeFor(e);
  } finally {
    await (ctx as CliContext | undefined)?.close();
  }
}

/** An error under --json: the same fields every time. */
function errorJson(errorClass: string, message: string, fix: string | null, exitCode: ExitCode) {
  return { error: { class: errorClass, message, fix, exitCode } };
}

/** An error as a person reads it: what happened and the fix, never a stack. */
function reportError(out: Output, e: unknown): void {
  if (e instanceof CertbeatError) {
    out.note(terminalSafe(`certbeat: ${e.message}`).replace(/\\x0a/g, '\n'), 'red');
    if (e.remediation) out.note(terminalSafe(`  fix: ${e.remediation}`));
    if (!(e instanceof UsageError) && e.cause instanceof Error && !e.message.includes(e.cause.message)) {
      out.note(terminalSafe(`  cause: ${e.cause.message}`), 'dim');
    }
    return;
  }
  out.note(terminalSafe(`certbeat: unexpected error: ${e instanceof Error ? e.message : String(e)}`), 'red');
}
