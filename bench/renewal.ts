/**
 * Benchmarks the renewal pipeline on the local testbed (real pebble + challtestsrv, emulated Route 53
 * and ACM, dynalite, SES capture) and prints figures:
 *   - one certificate end to end (order → DNS → validation → finalize → import → record → mail):
 *     median and spread of N runs, each a fresh certificate;
 *   - one run of 20 certificates in one zone: wall time and Route 53 ChangeResourceRecordSets calls.
 *
 *   npx tsx bench/renewal.ts [--runs 10] [--fleet 20]
 */
import { parseArgs } from 'node:util';
import { runOptions, startPipeline } from '../test/support/pipeline.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' }, fleet: { type: 'string', default: '20' } } });
const runs = Number(values.runs);
const fleet = Number(values.fleet);

const p = await startPipeline({ insyncAfterMs: 0 });
try {
  await p.tb.route53.createZone('bench.test');
  // Warm-up: account registration and connection set-up happen once per container in Lambda too.
  await p.add({ id: 'warmup', names: ['warmup.bench.test'] });
  await p.service().run({ ...runOptions(), ids: ['warmup'] });

  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const id = `single-${i}`;
    await p.add({ id, names: [`${id}.bench.test`, `*.${id}.bench.test`] });
    const t = performance.now();
    const summary = await p.service().run({ ...runOptions(), ids: [id] });
    times.push(performance.now() - t);
    if (summary.renewed.length !== 1) throw new Error(`run ${i} did not issue: ${JSON.stringify(summary.failed)}`);
  }
  times.sort((a, b) => a - b);
  const median = (times[Math.floor((runs - 1) / 2)] + times[Math.ceil((runs - 1) / 2)]) / 2;
  console.log(`one certificate (apex + wildcard), end to end: median ${median.toFixed(0)} ms over ${runs} runs (min ${times[0].toFixed(0)}, max ${times[runs - 1].toFixed(0)})`);

  for (let i = 0; i < fleet; i++) await p.add({ id: `fleet-${i}`, names: [`fleet-${i}.bench.test`] });
  const before = p.tb.route53.calls.length;
  const t = performance.now();
  const summary = await p.service().run(runOptions());
  const wall = performance.now() - t;
  const calls = p.tb.route53.calls.slice(before);
  const changes = calls.filter((c) => c.action === 'ChangeResourceRecordSets').length;
  console.log(
    `run of ${fleet} certificates in one zone: ${summary.renewed.length} issued, ${summary.failed.length} failed in ${(wall / 1000).toFixed(1)} s; ` +
      `Route 53: ${changes} ChangeResourceRecordSets, ${calls.length} calls in all (${(changes / fleet).toFixed(2)} changes per certificate)`,
  );
} finally {
  await p.stop();
}
