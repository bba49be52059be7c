/**
 * `npm run bench`: certbeat side by side with certbot 2.1, lego 4.9 (Debian) and a bare acme-client loop
 * (the floor), runs of 20 and of 50 certificates × 2 names (apex + wildcard), all against the same
 * local pebble (PEBBLE_VA_NOSLEEP=1, real dns-01 validation through challtestsrv) in one process tree.
 *
 * - certbeat: the real Lambda handler in its own process (bench/certbeat-worker.ts) on the testbed (Route
 *   53 / ACM emulators, dynalite, SES capture), once per way of trusting the CA: CERTBEAT_ACME_CA_FILE, and
 *   NODE_EXTRA_CA_CERTS. Timed: the run, after a one-certificate warm-up (a warm Lambda container).
 * - certbot: one `certbot certonly --manual` per certificate (how certbot renews a fleet), hooks POSTing to
 *   challtestsrv; trust via REQUESTS_CA_BUNDLE. Account registered and one certificate issued untimed first.
 * - lego: one `lego --dns exec run` per certificate, LEGO_CA_CERTIFICATES, --dns.disable-cp. Same warm-up.
 * - floor: bench/floor-worker.ts, all orders in parallel, NODE_EXTRA_CA_CERTS.
 * Wall: the timed part. CPU: the client's own (certbeat, floor: process.cpuUsage around the run; certbot,
 * lego: every process of the run incl. hooks, from this process's reaped-children times in /proc/self/stat).
 * Server-side CPU is in no contender's figure; the emulators' (this process) is printed apart. Then peak RSS of certbeat runs of
 * 100 certificates, one fresh process per trust mode.
 *
 *   npm run bench [-- --sizes 20,50 --reps 3 --rss 100 --skip certbot,lego --profile DIR]
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startTestbed } from '../test/testbed/testbed.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '20,50' },
    rss: { type: 'string', default: '100' },
    skip: { type: 'string', default: '' },
    reps: { type: 'string', default: '3' },
    profile: { type: 'string' },
    'slow-sample': { type: 'string', default: '20' },
  },
});
const sizes = values.sizes.split(',').map(Number);
const skip = new Set(values.skip.split(',').filter(Boolean));
const rssSize = Number(values.rss);
/** certbeat and the floor: runs per size, interleaved (floor, certbeat, certbeat, floor, …); the median is reported. */
const reps = Math.max(1, Number(values.reps));
/** certbot and lego: at most this many certificates per size are run; a larger size is scaled from them. */
const slowSample = Number(values['slow-sample']);

interface Measure {
  wallMs: number;
  /** With repetitions: every run's wall time, the reported figures being the medians. */
  wallSamplesMs?: number[];
  cpuMs: number;
  /** CPU of this process (the emulators: Route 53, ACM, Secrets Manager, SES, dynalite, DNS) during the timed part. */
  testbedCpuMs?: number;
  maxRssMiB?: number;
  note?: string;
}

const TICK_MS = 10; // USER_HZ 100 on Linux
/** User + system CPU of every child this process has reaped (fields cutime, cstime), in ms. */
async function childrenCpuMs(): Promise<number> {
  const stat = await readFile('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) * TICK_MS;
}

async function run(cmd: string, args: string[], env: Record<string, string | undefined>): Promise<{ stdout: string; wallMs: number; cpuMs: number; testbedCpuMs?: number }> {
  const cpu0 = await childrenCpuMs();
  const t0 = performance.now();
  const child = spawn(cmd, args, { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  // A worker prints timed-start / timed-end around its timed part: this process's CPU between them is the testbed's.
  let testbed0: NodeJS.CpuUsage | undefined;
  let testbedCpuMs: number | undefined;
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (!testbed0 && stdout.includes('timed-start\n')) testbed0 = process.cpuUsage();
    if (testbed0 && testbedCpuMs === undefined && stdout.includes('timed-end\n')) {
      const used = process.cpuUsage(testbed0);
      testbedCpuMs = (used.user + used.system) / 1000;
    }
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const wallMs = performance.now() - t0;
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${stderr.slice(-3000)}\n${stdout.slice(-2000)}`);
  return { stdout, wallMs, cpuMs: (await childrenCpuMs()) - cpu0, testbedCpuMs };
}

const tb = await startTestbed({ insyncAfterMs: 0 });
const work = await mkdtemp(join(tmpdir(), 'certbeat-bench-'));
const results = new Map<string, Map<number, Measure>>();
/** The median of each figure over repeated runs (a single run as it is). */
function medianOf(runs: Measure[]): Measure {
  const median = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  };
  const of = (pick: (m: Measure) => number | undefined) => {
    const xs = runs.map(pick).filter((x): x is number => x !== undefined);
    return xs.length > 0 ? median(xs) : undefined;
  };
  return {
    wallMs: of((m) => m.wallMs)!,
    cpuMs: of((m) => m.cpuMs)!,
    maxRssMiB: of((m) => m.maxRssMiB),
    testbedCpuMs: of((m) => m.testbedCpuMs),
    ...(runs.length > 1 ? { wallSamplesMs: runs.map((m) => m.wallMs) } : {}),
  };
}

const record = (who: string, n: number, m: Measure) => {
  if (!results.has(who)) results.set(who, new Map());
  results.get(who)!.set(n, m);
  console.error(`  ${who} × ${n}: ${(m.wallMs / 1000).toFixed(2)} s wall${m.wallSamplesMs ? ` (median of ${m.wallSamplesMs.map((x) => (x / 1000).toFixed(2)).join(', ')})` : ''}, ${(m.cpuMs / 1000).toFixed(2)} s CPU${m.maxRssMiB ? `, peak RSS ${m.maxRssMiB.toFixed(0)} MiB` : ''}${m.testbedCpuMs !== undefined ? `, testbed CPU ${(m.testbedCpuMs / 1000).toFixed(2)} s` : ''}`);
};

const baseEnv: Record<string, string | undefined> = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', BENCH_CHALLTESTSRV: tb.challtestsrv.managementUrl, BENCH_DIRECTORY_URL: tb.directoryUrl };
const tsx = join(here, '..', 'node_modules', '.bin', 'tsx');

/** --profile DIR: a V8 CPU profile of each worker process, DIR/<tag>.cpuprofile. */
const profileArgs = (tag: string) => (values.profile ? [`--cpu-prof`, `--cpu-prof-dir=${values.profile}`, `--cpu-prof-name=${tag}.cpuprofile`] : []);

async function certbeat(mode: 'ca-file' | 'extra-ca', n: number, tag: string): Promise<Measure> {
  const env: Record<string, string | undefined> = { ...baseEnv, ...tb.env, POWERTOOLS_LOG_LEVEL: 'ERROR', POWERTOOLS_METRICS_DISABLED: 'true', CERTBEAT_CONCURRENCY: process.env.CERTBEAT_CONCURRENCY, BENCH_COUNT: String(n), BENCH_TAG: tag };
  if (mode === 'ca-file') delete env.NODE_EXTRA_CA_CERTS;
  else delete env.CERTBEAT_ACME_CA_FILE;
  const out = await run(tsx, [...profileArgs(tag), join(here, 'certbeat-worker.ts')], env);
  return { ...(JSON.parse(out.stdout.trim().split('\n').pop()!) as Measure), testbedCpuMs: out.testbedCpuMs };
}

async function floor(n: number, tag: string): Promise<Measure> {
  const out = await run(tsx, [...profileArgs(tag), join(here, 'floor-worker.ts')], { ...baseEnv, NODE_EXTRA_CA_CERTS: tb.pebble.tlsCaFile, BENCH_COUNT: String(n), BENCH_TAG: tag });
  return { ...(JSON.parse(out.stdout.trim().split('\n').pop()!) as Measure), testbedCpuMs: out.testbedCpuMs };
}

const certbotDir = join(work, 'certbot');
const certbotEnv = { ...baseEnv, REQUESTS_CA_BUNDLE: tb.pebble.tlsCaFile };
const certbotArgs = (base: string) => [
  'certonly', '--non-interactive', '--agree-tos', '--email', 'bench@example.test', '--no-eff-email',
  '--manual', '--preferred-challenges', 'dns',
  '--manual-auth-hook', join(here, 'hooks', 'certbot-auth.sh'), '--manual-cleanup-hook', join(here, 'hooks', 'certbot-cleanup.sh'),
  '--server', tb.directoryUrl, '--config-dir', join(certbotDir, 'config'), '--work-dir', join(certbotDir, 'work'), '--logs-dir', join(certbotDir, 'logs'),
  '--key-type', 'ecdsa', '--cert-name', base, '-d', base, '-d', `*.${base}`,
];

const legoDir = join(work, 'lego');
const legoEnv = {
  ...baseEnv,
  LEGO_CA_CERTIFICATES: tb.pebble.tlsCaFile,
  EXEC_PATH: join(here, 'hooks', 'lego-exec.sh'),
  EXEC_POLLING_INTERVAL: '1',
  EXEC_PROPAGATION_TIMEOUT: '60',
  // The exec provider solves names sharing one TXT name (apex + wildcard) one after the other, 60 s apart
  // by default; 1 s is its shortest setting.
  EXEC_SEQUENCE_INTERVAL: '1',
};
const legoArgs = (base: string) => [
  '--server', tb.directoryUrl, '--accept-tos', '--email', 'bench@example.test', '--path', legoDir,
  '--dns', 'exec', '--dns.resolvers', tb.challtestsrv.dnsAddress, '--dns.disable-cp', '--key-type', 'ec256',
  '-d', base, '-d', `*.${base}`, 'run',
];

/** One certificate per invocation, one after the other: how both renew a fleet. */
async function sequential(cmd: string, args: (base: string) => string[], env: Record<string, string | undefined>, n: number, tag: string): Promise<Measure> {
  let wallMs = 0;
  let cpuMs = 0;
  const ran = Math.min(n, slowSample);
  for (let i = 0; i < ran; i++) {
    const out = await run(cmd, args(`n${i}.${tag}.bench.test`), env);
    wallMs += out.wallMs;
    cpuMs += out.cpuMs;
  }
  // Independent processes one after the other: the time of n is n × the mean of those run.
  return ran === n ? { wallMs, cpuMs } : { wallMs: (wallMs * n) / ran, cpuMs: (cpuMs * n) / ran, note: `scaled from ${ran}` };
}

const started = performance.now();
try {
  await tb.route53.createZone('bench.test');
  const versions = {
    certbot: skip.has('certbot') ? '' : (await run('certbot', ['--version'], baseEnv)).stdout.trim(),
    lego: skip.has('lego') ? '' : (await run('dpkg-query', ['-W', '-f', '${Version}', 'lego'], baseEnv)).stdout.trim(),
  };
  // Untimed warm-ups: account registration (and one issuance, so caches are warm) for the CLI tools.
  if (!skip.has('certbot')) await run('certbot', certbotArgs('warmup.certbot.bench.test'), certbotEnv);
  if (!skip.has('lego')) await run('lego', legoArgs('warmup.lego.bench.test'), legoEnv);

  for (const n of sizes) {
    console.error(`${n} certificates × 2 names:`);
    const runs: Record<'floor' | 'cbf' | 'cbe', Measure[]> = { floor: [], cbf: [], cbe: [] };
    // Interleaved, so that a spell of load on this shared machine falls on every contender alike.
    for (let r = 0; r < reps; r++) {
      runs.floor.push(await floor(n, `floor${n}r${r}`));
      runs.cbf.push(await certbeat('ca-file', n, `cbf${n}r${r}`));
      runs.cbe.push(await certbeat('extra-ca', n, `cbe${n}r${r}`));
    }
    record('floor (acme-client loop)', n, medianOf(runs.floor));
    record('certbeat, CERTBEAT_ACME_CA_FILE', n, medianOf(runs.cbf));
    record('certbeat, NODE_EXTRA_CA_CERTS', n, medianOf(runs.cbe));
    if (!skip.has('lego')) record(`lego ${versions.lego}`, n, await sequential('lego', legoArgs, legoEnv, n, `lego${n}`));
    if (!skip.has('certbot')) record(versions.certbot, n, await sequential('certbot', certbotArgs, certbotEnv, n, `bot${n}`));
  }
  const rss: Record<string, Measure> = {};
  if (rssSize > 0) {
    console.error(`peak memory, ${rssSize} certificates:`);
    for (const mode of ['ca-file', 'extra-ca'] as const) {
      rss[mode] = await certbeat(mode, rssSize, `rss${mode === 'ca-file' ? 'f' : 'e'}${rssSize}`);
      record(`certbeat ${mode}`, rssSize, rss[mode]);
    }
  }

  // ---- report ----
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const pad = (x: string, w: number) => x.padEnd(w);
  const lines: string[] = [];
  lines.push(`certbeat vs certbot / lego / a bare acme-client loop — same local pebble (PEBBLE_VA_NOSLEEP=1), dns-01 via challtestsrv`);
  lines.push(`${new Date().toISOString()}, ${process.version}, 2 names per certificate (apex + wildcard), ECDSA P-256`);
  lines.push('');
  const header = [pad('contender', 40), ...sizes.flatMap((n) => [pad(`${n} wall`, 10), pad(`${n} CPU`, 10)])].join(' ');
  lines.push(header);
  for (const [who, byN] of results) {
    if (!sizes.some((n) => byN.has(n))) continue;
    const mark = (m: Measure) => (m.note ? '*' : '');
    lines.push([pad(who, 40), ...sizes.flatMap((n) => [pad(byN.has(n) ? s(byN.get(n)!.wallMs) + mark(byN.get(n)!) : '-', 10), pad(byN.has(n) ? s(byN.get(n)!.cpuMs) + mark(byN.get(n)!) : '-', 10)])].join(' '));
  }
  lines.push('');
  const get = (prefix: string, n: number) => [...results].find(([who]) => who.startsWith(prefix))?.[1].get(n);
  for (const mode of ['CERTBEAT_ACME_CA_FILE', 'NODE_EXTRA_CA_CERTS']) {
    lines.push(`ratios, certbeat with ${mode} (wall; CPU in brackets):`);
    for (const n of sizes) {
      const cb = get(`certbeat, ${mode}`, n)!;
      const parts: string[] = [];
      const vs = (label: string, other: Measure | undefined, goal: string, ok: (r: number) => boolean) => {
        if (!other) return;
        const r = other.wallMs / cb.wallMs;
        parts.push(`${label} ${r.toFixed(1)}× faster [CPU ${(other.cpuMs / cb.cpuMs).toFixed(1)}×] (goal ${goal}: ${ok(r) ? 'met' : 'MISSED'})`);
      };
      vs('vs certbot', get('certbot', n), '≥ 15×', (r) => r >= 15);
      vs('vs lego', get('lego', n), '≥ 25×', (r) => r >= 25);
      const fl = get('floor', n)!;
      const rf = cb.wallMs / fl.wallMs;
      parts.push(`vs floor ${rf.toFixed(2)}× the floor's time [CPU ${(cb.cpuMs / fl.cpuMs).toFixed(2)}×] (goal ≤ 1.5×: ${rf <= 1.5 ? 'met' : 'MISSED'})`);
      lines.push(`  ${n} certificates: ${parts.join('; ')}`);
    }
  }
  lines.push('');
  lines.push(`CPU of the emulators (this process: Route 53, ACM, Secrets Manager, SES, dynalite, DNS; not pebble or challtestsrv) during`);
  lines.push(`the timed part, on the same ${(await import('node:os')).availableParallelism()} cores as the contenders:`);
  for (const n of sizes) {
    const who = ['floor', 'certbeat, CERTBEAT_ACME_CA_FILE', 'certbeat, NODE_EXTRA_CA_CERTS'] as const;
    const parts = who.map((w) => [w, get(w, n)?.testbedCpuMs] as const).filter(([, ms]) => ms !== undefined).map(([w, ms]) => `${w} ${s(ms!)}`);
    lines.push(`  ${n} certificates: ${parts.join('; ')}`);
  }
  if (rssSize > 0) {
    lines.push('');
    lines.push(`certbeat peak RSS, one run of ${rssSize} certificates in a fresh process (process.resourceUsage().maxRSS; Lambda memory 1,024 MB):`);
    lines.push(`  CERTBEAT_ACME_CA_FILE ${rss['ca-file'].maxRssMiB!.toFixed(0)} MiB (run ${s(rss['ca-file'].wallMs)}, CPU ${s(rss['ca-file'].cpuMs)}); NODE_EXTRA_CA_CERTS ${rss['extra-ca'].maxRssMiB!.toFixed(0)} MiB (run ${s(rss['extra-ca'].wallMs)}, CPU ${s(rss['extra-ca'].cpuMs)})`);
  }
  lines.push('');
  lines.push(`Repetitions: certbeat and the floor ${reps} runs per size, interleaved, medians shown; every run's wall time (s):`);
  for (const n of sizes) {
    const samples = (w: string) => get(w, n)?.wallSamplesMs?.map((x) => (x / 1000).toFixed(2)).join(' ') ?? '-';
    lines.push(`  ${n}: floor ${samples('floor')} | CA file ${samples('certbeat, CERTBEAT_ACME_CA_FILE')} | NODE_EXTRA_CA_CERTS ${samples('certbeat, NODE_EXTRA_CA_CERTS')}`);
  }
  lines.push(`certbot and lego one run per size; they run one process per certificate, one after the other`);
  lines.push(`(how they renew a fleet); to keep the bench short they run at most ${slowSample} certificates per size, and * marks a figure`);
  lines.push(`scaled linearly from those (n × their mean). lego: --dns exec with EXEC_SEQUENCE_INTERVAL=1 (default 60 s between apex and`);
  lines.push(`wildcard), --dns.disable-cp. certbeat and the floor issue all certificates of a run in parallel.`);
  lines.push(`Noisy on a shared machine (load ${(await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ')}): compare within one run of this command. Bench took ${s(performance.now() - started)}.`);
  console.log(lines.join('\n'));
} finally {
  await tb.stop().catch(() => undefined);
  await rm(work, { recursive: true, force: true });
}
