/**
 * Remediation texts name only commands that exist. Every string in lambda/ and cli/ is read with the
 * TypeScript parser (comments are not strings), and every `certbeat <word>` written as a command — in
 * backticks, after `npx `, or followed by an argument (` <id>`, ` --flag`, or `${…}`) — must be a command
 * of the real program, as `certbeat --help` lists it. Prose such as "certbeat retries on the next run" is
 * not a command mention.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';

const root = join(import.meta.dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The text of every string and template part in a file, with `${}` marking a substitution. */
function stringsOf(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) out.push(node.text);
    else if (ts.isTemplateExpression(node)) out.push([node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join('${}'));
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** `certbeat <word>` written as a command (see the file comment). */
const COMMAND_MENTION = /(`|npx )certbeat ([a-z][a-z-]*)|certbeat ([a-z][a-z-]*)(?= <| --| \$\{\}|\$\{\})/g;

function mentionedCommands(text: string): string[] {
  return [...text.matchAll(COMMAND_MENTION)].map((m) => m[2] ?? m[3]);
}

async function programCommands(): Promise<string[]> {
  let help = '';
  await main(['--help'], { stdout: { write: (s: string) => (help += s) }, stderr: { write: () => true }, env: {} });
  const section = help.split(/^Commands:$/m)[1]?.split(/^\S/m)[0] ?? '';
  return [...section.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]).filter((c) => c !== 'help');
}

describe('command mentions in lambda/ and cli/', () => {
  it('recognises commands, not prose', () => {
    expect(mentionedCommands('Check the id (`certbeat list` shows them)')).toEqual(['list']);
    expect(mentionedCommands('npx certbeat show <id>. Renew one now: npx certbeat renew <id>.')).toEqual(['show', 'renew']);
    expect(mentionedCommands('Resume it first: certbeat resume ${}')).toEqual(['resume']);
    expect(mentionedCommands('add one with: certbeat add <id> --name example.com')).toEqual(['add']);
    expect(mentionedCommands('a problem at the CA: certbeat retries on the next run')).toEqual([]);
    // The text issue 7 found: a command the CLI never had.
    expect(mentionedCommands('save the certificate again with `certbeat put`')).toEqual(['put']);
  });

  it('name only commands the CLI has', async () => {
    const commands = await programCommands();
    expect(commands).toEqual(expect.arrayContaining(['add', 'list', 'show', 'renew', 'pause', 'resume', 'remove', 'repair', 'doctor', 'run']));
    const mentions: Array<{ file: string; command: string }> = [];
    for (const file of [...sourceFiles(join(root, 'lambda')), ...sourceFiles(join(root, 'cli'))]) {
      for (const text of stringsOf(file)) {
        for (const command of mentionedCommands(text)) mentions.push({ file: relative(root, file), command });
      }
    }
    // The texts that matter are there (a broken extractor would pass with none).
    expect(mentions.map((m) => m.command)).toEqual(expect.arrayContaining(['list', 'renew', 'resume', 'repair', 'add', 'show', 'doctor']));
    expect(mentions.filter((m) => !commands.includes(m.command))).toEqual([]);
  });
});
