/**
 * Prints the renewal Lambda's bundle size (minified) and its cold module-init time: the median over 10
 * fresh `node` processes of importing the bundle (module-level code only; the handler's clients are
 * built lazily on the first invocation).
 *
 *   CERTBEAT_CONFIG=certbeat.config.example.json npx cdk synth --quiet -o cdk.out
 *   npx tsx cdk/bundle-report.ts cdk.out
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface BundleReport {
  file: string;
  bytes: number;
  gzipBytes: number;
  initMs: number[];
  medianInitMs: number;
  /** CPU time (user + system) of the same imports: what the init costs, whatever else the machine runs. */
  initCpuMs: number[];
  medianInitCpuMs: number;
}

/** The bundled entry of the function whose Description matches `description` in a synthesized assembly. */
export function bundleOf(assemblyDir: string, description = /renews/): string {
  const templates = readdirSync(assemblyDir).filter((f) => f.endsWith('.template.json'));
  for (const t of templates) {
    const resources = JSON.parse(readFileSync(join(assemblyDir, t), 'utf8')).Resources as Record<string, any>;
    for (const r of Object.values(resources)) {
      if (r.Type !== 'AWS::Lambda::Function' || !description.test(r.Properties.Description ?? '')) continue;
      const key = String(r.Properties.Code?.S3Key ?? '');
      const hash = key.replace(/\.zip$/, '');
      return join(assemblyDir, `asset.${hash}`, 'index.mjs');
    }
  }
  throw new Error(`no function matching ${description} in ${assemblyDir}`);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function measure(bundle: string, runs = 10): BundleReport {
  const code = readFileSync(bundle);
  const url = new URL(`file://${resolve(bundle)}`).href;
  const script = `const t = performance.now(); const c = process.cpuUsage(); await import(${JSON.stringify(url)}); const u = process.cpuUsage(c); process.stdout.write(JSON.stringify({ ms: performance.now() - t, cpuMs: (u.user + u.system) / 1000 }));`;
  const initMs: number[] = [];
  const initCpuMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', POWERTOOLS_SERVICE_NAME: 'certbeat' },
      encoding: 'utf8',
    });
    const { ms, cpuMs } = JSON.parse(out) as { ms: number; cpuMs: number };
    initMs.push(ms);
    initCpuMs.push(cpuMs);
  }
  return {
    file: bundle,
    bytes: statSync(bundle).size,
    gzipBytes: gzipSync(code).length,
    initMs,
    medianInitMs: median(initMs),
    initCpuMs,
    medianInitCpuMs: median(initCpuMs),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  const report = measure(bundleOf(process.argv[2] ?? 'cdk.out'));
  console.log(`bundle: ${report.file}`);
  console.log(`size: ${(report.bytes / 1024).toFixed(0)} KiB minified (${(report.gzipBytes / 1024).toFixed(0)} KiB gzip)`);
  console.log(
    `module init (node ${process.version}, median of ${report.initMs.length} cold runs): ${report.medianInitMs.toFixed(1)} ms wall, ${report.medianInitCpuMs.toFixed(1)} ms CPU`,
  );
}
