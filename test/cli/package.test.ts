/**
 * The CLI a deployed operator installs: `npm pack` builds it (prepack → esbuild into dist/), the
 * tarball holds plain JavaScript and no TypeScript, and once installed into an empty project the
 * `certbeat` command answers --version and --help with no tsx anywhere (what the mails' `npx certbeat …`
 * relies on). Needs the npm registry for the dependencies (npm's cache is used first).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let dir: string;
let tarball: string;
let version: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'certbeat-pack-'));
  version = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const packed = await run('npm', ['pack', '--pack-destination', dir, '--json'], { cwd: ROOT, timeout: 120_000 });
  tarball = join(dir, (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0].filename);
  const project = join(dir, 'project');
  await run('mkdir', ['-p', project]);
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'operator', version: '1.0.0', private: true }));
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: project, timeout: 240_000 });
}, 300_000);
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the installable package', () => {
  it('holds the built CLI, its README and package.json, and no TypeScript', async () => {
    const { stdout } = await run('tar', ['-tzf', tarball]);
    expect(stdout.trim().split('\n').sort()).toEqual(['package/README.md', 'package/dist/certbeat.mjs', 'package/package.json']);
  });

  it('installs a certbeat command that runs as JavaScript, without tsx', async () => {
    const project = join(dir, 'project');
    expect(existsSync(join(project, 'node_modules', 'tsx'))).toBe(false);
    const bin = join(project, 'node_modules', '.bin', 'certbeat');
    const v = await run(bin, ['--version'], { cwd: project, timeout: 30_000 });
    expect(v.stdout).toBe(`${version}\n`);
    const help = await run(bin, ['--help'], { cwd: project, timeout: 30_000 });
    expect(help.stdout).toMatch(/^Usage: certbeat \[options\] \[command\]/);
    expect(help.stdout).toMatch(/Examples:\n  certbeat add web/);
    expect(help.stdout).toMatch(/^  renew .*\n/m);
    // npx, as the mails write it, finds the installed command too.
    const npx = await run('npx', ['--no-install', 'certbeat', '--version'], { cwd: project, timeout: 60_000 });
    expect(npx.stdout).toBe(`${version}\n`);
  });
});
