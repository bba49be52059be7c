/**
 * `certbeat remove` asks before it removes (issue 9): on a terminal it prompts; without a terminal it
 * refuses unless `--yes` is given, so a script never removes by accident. After a removal it prints the
 * command that adopts the certificate again under the same ARN.
 */
import { displayName } from '../lambda/domain/idn.js';
import type { CertificateRecord } from '../lambda/domain/model.js';
import type { CliContext } from './context.js';
import { UsageError } from './exit-codes.js';
import { CA_ALIASES } from './commands/add.js';

/** Whether to go on: `--yes`, or "y"/"yes" typed on a terminal. Throws `UsageError` without a terminal and without `--yes`. */
export async function confirmRemoval(ctx: CliContext, record: CertificateRecord, yes: boolean): Promise<boolean> {
  if (yes) return true;
  const { io } = ctx;
  if (io.stdin?.isTTY !== true || !io.prompt) {
    throw new UsageError(`remove asks for confirmation, and there is no terminal to ask on; '${record.id}' was not removed`, {
      remediation: `Run it in a terminal, or confirm on the command line: certbeat remove ${record.id} --yes`,
    });
  }
  const what = record.acmArn ? `; ${record.acmArn} stays in ACM but is no longer renewed` : '';
  const answer = await io.prompt(`remove ${record.id} (${record.names.map(displayName).join(', ')}) from the inventory${what}? [y/N] `);
  return /^\s*y(es)?\s*$/i.test(answer);
}

/** Quotes a value for a POSIX shell when it needs it. */
function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `certbeat add <id> --arn <arn> --name … --key-type … [--ca …] [--owner …]`: adopts the same ACM certificate again. */
export function adoptAgainCommand(record: CertificateRecord): string {
  const alias = Object.entries(CA_ALIASES).find(([, url]) => url === record.directoryUrl)?.[0];
  const parts = ['certbeat', 'add', record.id, '--arn', record.acmArn!];
  for (const name of record.names) parts.push('--name', name);
  parts.push('--key-type', record.keyType);
  if (alias !== 'letsencrypt') parts.push('--ca', alias ?? record.directoryUrl);
  if (record.eabSecretId) parts.push('--eab-secret', record.eabSecretId);
  for (const [name, zone] of Object.entries(record.zones)) parts.push('--zone', `${name}=${zone}`);
  for (const owner of record.owners) parts.push('--owner', owner);
  return parts.map(shellWord).join(' ');
}
