/**
 * The version `certbeat --version` prints: package.json's. Read at run time rather than imported, so
 * the same code works from the sources (cli/) and from the built package (dist/cli/), one level deeper.
 */
import { existsSync, readFileSync } from 'node:fs';

export function packageVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    const url = new URL(rel, import.meta.url);
    if (!existsSync(url)) continue;
    const pkg = JSON.parse(readFileSync(url, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'certbeat' && pkg.version) return pkg.version;
  }
  return 'unknown';
}
