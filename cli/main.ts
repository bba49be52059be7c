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
import { DEFAULT_STACK_NAME, FUNCTION_ENV, STACK_ENV } from './environment.js';
import { EXIT, EXIT_CODES_HELP, UsageError, exitCodeFor, type ExitCode } from './exit-codes.js';
import { Output, type CliIo } from './output.js';
import type { Clock } from '../lambda/domain/ports.js';

export type { CliIo } from './output.js';

const TARGET_HELP = [
  'Target:',
  '  With CERTBEAT_TABLE_NAME set (e.g. the exports `npm run testbed` prints), certbeat uses the',
  '  CERTBEAT_* and AWS_ENDPOINT_URL_* variables. Otherwise it reads the outputs of the deployed stack',
  `  (--stack, ${STACK_ENV}, default "${DEFAULT_STACK_NAME}") in AWS_REGION, and the renewal function's settings.`,
  `  renew --remote needs the function: from the stack, or ${FUNCTION_ENV}.`,
].join('\n');

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
    .option('--stack <name>', `CloudFormation stack to use (default: $${STACK_ENV} or "${DEFAULT_STACK_NAME}")`)
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride()
    .showHelpAfterError('(certbeat --help lists the commands and options)')
    .addHelpText('after', `\n${TARGET_HELP}\n\n${EXIT_CODES_HELP}\n`);

  const collect = (value: string, previous: string[] = []) => [...previous, value];

  program
    .command('add')
    .description('register a certificate (checks the names and that a hosted zone covers each)')
    .argument('<id>', 'certificate id: letters, digits, ".", "_", "-"')
    .requiredOption('--name <name>', 'DNS name on the certificate, repeatable; the first is the subject (e.g. example.com, *.example.com)', collect)
    .option('--zone <name=zoneId>', 'hosted zone id for a name, repeatable (default: found by name)', collect)
    .option('--ca <ca>', 'letsencrypt, letsencrypt-staging or an ACME directory URL', 'letsencrypt')
    .option('--eab-secret <secret>', 'Secrets Manager secret with { "keyId", "hmacKey" } for External Account Binding')
    .addOption(new Option('--key-type <type>', 'key algorithm').choices([...KEY_TYPES]).default('ec256'))
    .option('--owner <mail>', 'owner mail address, repeatable (default: the deployment\'s recipients)', collect)
    .option('--profile <name>', 'ACME profile to order, as the CA lists it (Let\'s Encrypt: classic, tlsserver, shortlived)')
    .option('--profile-fallback <name>', 'what to order when the CA refuses the profile: another profile, or "none"')
    .option('--no-zone-check', 'do not check that a hosted zone covers every name')
    .option('--replace', 'change the configuration of an existing certificate (keeps its certificate and history)')
    .action(async (id: string, o: { name: string[]; zone?: string[]; ca?: string; eabSecret?: string; keyType?: string; owner?: string[]; profile?: string; profileFallback?: string; zoneCheck: boolean; replace?: boolean }) => {
      code = await addCommand(context(program), {
        id,
        names: o.name,
        zones: o.zone,
        ca: o.ca,
        eabSecret: o.eabSecret,
        keyType: o.keyType,
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
    .description('one certificate in detail, with what ACM knows of it')
    .argument('<id>')
    .option('--json', 'machine-readable output')
    .action(async (id: string, o: { json?: boolean }) => {
      code = await showCommand(context(program), id, o);
    });

  program
    .command('renew')
    .description('renew one certificate now, even outside its renewal window')
    .argument('<id>')
    .option('--remote', 'ask the deployed Lambda to do it instead of this process')
    .option('--json', 'machine-readable output (the run summary)')
    .option('--verbose', 'show every log line of the run on stderr')
    .action(async (id: string, o: { remote?: boolean; json?: boolean; verbose?: boolean }) => {
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
    .description('remove a certificate from the inventory (the certificate stays in ACM)')
    .argument('<id>')
    .action(async (id: string) => {
      code = await removeCommand(context(program), id);
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
    .action(async (id: string | undefined, o: { json?: boolean }) => {
      code = await doctorCommand(context(program), id, o);
    });

  program
    .command('run')
    .description('one full run, as the schedule does: renew what is due')
    .option('--json', 'machine-readable output (the run summary)')
    .option('--verbose', 'show every log line of the run on stderr')
    .action(async (o: { json?: boolean; verbose?: boolean }) => {
      code = await runCommand(context(program), o);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version end with 0; a usage mistake (unknown command or option, missing value) with 2.
      return e.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    }
    reportError(new Output(io), e);
    return exitCodeFor(e);
  } finally {
    await (ctx as CliContext | undefined)?.close();
  }
}

/** An error as a person reads it: what happened and the fix, never a stack. */
function reportError(out: Output, e: unknown): void {
  if (e instanceof CertbeatError) {
    out.note(`certbeat: ${e.message}`, 'red');
    if (e.remediation) out.note(`  fix: ${e.remediation}`);
    if (!(e instanceof UsageError) && e.cause instanceof Error && !e.message.includes(e.cause.message)) {
      out.note(`  cause: ${e.cause.message}`, 'dim');
    }
    return;
  }
  out.note(`certbeat: unexpected error: ${e instanceof Error ? e.message : String(e)}`, 'red');
}
