/**
 * The README's CLI walkthrough runs as pasted: every line between the walkthrough markers is run, in
 * order, against a started testbed with exactly the exports `npm run testbed` prints (the testbed's
 * env plus test/cli/testbed-walkthrough.ts), and each must exit 0.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { startTestbed, type Testbed } from '../testbed/testbed.js';
import { prepareWalkthrough } from './testbed-walkthrough.js';

/** The `npx certbeat …` lines between the markers, as argv arrays (shell quotes and comments handled). */
export function walkthroughCommands(readme: string): string[][] {
  const m = /<!-- walkthrough:start -->([\s\S]*?)<!-- walkthrough:end -->/.exec(readme);
  if (!m) throw new Error('README.md has no <!-- walkthrough:start --> … <!-- walkthrough:end --> block');
  const lines = m[1].split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('```'));
  return lines.map((line) => {
    const words = shellWords(line);
    // Every line is a certbeat command: nothing in the block may be skipped silently.
    if (words[0] !== 'npx' || words[1] !== 'certbeat') throw new Error(`walkthrough line is not "npx certbeat …": ${line}`);
    return words.slice(2);
  });
}

/** Splits a line as a POSIX shell would for these commands: quotes, and a `#` comment after a blank. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else word = (word ?? '') + c;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= '';
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === '#' && word === undefined) {
      break;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (quote) throw new Error(`unterminated quote in: ${line}`);
  if (word !== undefined) words.push(word);
  return words;
}

let tb: Testbed;
let env: Record<string, string>;

beforeAll(async () => {
  tb = await startTestbed({ insyncAfterMs: 50 });
  env = { ...tb.env, ...(await prepareWalkthrough(tb)).env };
});
afterAll(async () => {
  await tb?.stop();
});

describe('the README walkthrough', () => {
  const commands = walkthroughCommands(readFileSync(new URL('../../README.md', import.meta.url), 'utf8'));

  it('is found and parsed (quotes and comments)', () => {
    expect(commands[0]).toEqual(['add', 'web', '--name', 'example.test', '--name', '*.example.test', '--owner', 'web-team@example.test']);
    expect(commands.map((c) => c[0])).toEqual(expect.arrayContaining(['doctor', 'renew', 'list', 'show', 'run', 'remove']));
  });

  it('runs as pasted: every command exits 0, at the testbed CA, never at Let\'s Encrypt', async () => {
    const outputs: string[] = [];
    for (const args of commands) {
      let stdout = '';
      let stderr = '';
      const code = await main(args, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env });
      expect(code, `certbeat ${args.join(' ')}\n${stdout}\n${stderr}`).toBe(0);
      outputs.push(stdout + stderr);
      if (args[0] === 'add') expect(stdout).toContain(`CA ${tb.directoryUrl}`);
    }
    const all = outputs.join('\n');
    expect(all).not.toMatch(/letsencrypt\.org/);
    // The dry run issued without importing; the real renew issued the first certificate.
    expect(outputs[commands.findIndex((c) => c.includes('--dry-run'))]).toMatch(/dry run ok/);
    expect(outputs[commands.findIndex((c) => c[0] === 'renew' && !c.includes('--dry-run'))]).toMatch(/^web +issued/m);
    expect(tb.acm.certificates()).toHaveLength(1);
  });
});
