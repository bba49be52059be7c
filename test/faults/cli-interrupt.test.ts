/**
 * Fault suite, issue 7 item 3: a `certbeat run` stopped with Ctrl-C (SIGINT) cleans up and gives its
 * leases back; one killed outright (SIGKILL) leaves a lease that `certbeat unlock` frees, and the run
 * after that removes the dead run's TXT values. Real `node bin/certbeat.mjs` processes on the testbed.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPipeline, type Pipeline } from '../support/pipeline.js';
import { acmCertificatesOf, eventually, mailsTo, txtLeft } from './end-state.js';

const BIN = fileURLToPath(new URL('../../bin/certbeat.mjs', import.meta.url));
let p: Pipeline;
let zone: string;

beforeAll(async () => {
  // INSYNC after 4 s: the run sits waiting for Route 53 with its values published, where it is stopped.
  p = await startPipeline({ faults: true, insyncAfterMs: 4_000 });
  zone = await p.tb.route53.createZone('cli.test');
});
afterAll(async () => {
  await p?.stop();
});

interface Running {
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  kill(signal: NodeJS.Signals): void;
}

function certbeat(args: string[]): Running {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...p.tb.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { exit, kill: (signal) => child.kill(signal) };
}

const published = () => txtLeft(p, [zone]).length > 0;

describe('certbeat run stopped or killed (item 3)', () => {
  it('Ctrl-C: TXT values removed, lease given back, exit non-zero; an immediate re-run renews, resuming the order', async () => {
    await p.add({ id: 'ctrlc', names: ['ctrlc.cli.test'] });
    const ordersBefore = p.tb.faults!.acme.calls('newOrder');
    const run = certbeat(['run']);
    await eventually(published, 60_000, 'the run to publish its TXT value');
    run.kill('SIGINT');
    const stopped = await run.exit;

    expect(stopped.code).not.toBe(0);
    expect(stopped.stderr).toMatch(/stopping/);
    expect(txtLeft(p, [zone])).toEqual([]);
    const record = (await p.inventory.get('ctrlc'))!;
    expect(record.lease).toBeUndefined();
    expect(record.published).toBeUndefined();
    expect(record.pendingOrderUrl).toBeDefined();
    expect(Date.parse(record.nextCheckAt)).toBeLessThanOrEqual(Date.now());

    const again = await certbeat(['run']).exit;
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/ctrlc/);
    expect(acmCertificatesOf(p, 'ctrlc')).toHaveLength(1);
    // The order of the stopped run was resumed, not placed again.
    expect(p.tb.faults!.acme.calls('newOrder') - ordersBefore).toBe(1);
    expect(txtLeft(p, [zone])).toEqual([]);
    expect(await mailsTo(p, 'owner-ctrlc@example.test')).toHaveLength(1);
  });

  it('SIGKILL: a re-run exits 1 naming `certbeat unlock`; after unlock the next run renews and removes the dead run\u2019s values', async () => {
    await p.add({ id: 'killed', names: ['killed.cli.test'] });
    const run = certbeat(['run']);
    await eventually(published, 60_000, 'the run to publish its TXT value');
    run.kill('SIGKILL');
    await run.exit;
    expect(txtLeft(p, [zone])).not.toEqual([]);

    const blocked = await certbeat(['run']).exit;
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toMatch(/certbeat unlock/);

    const unlock = await certbeat(['unlock', 'killed']).exit;
    expect(unlock.code, unlock.stderr).toBe(0);
    expect(unlock.stdout).toMatch(/released the lease/);

    const after = await certbeat(['run']).exit;
    expect(after.code, after.stderr).toBe(0);
    expect(acmCertificatesOf(p, 'killed')).toHaveLength(1);
    expect(txtLeft(p, [zone])).toEqual([]);
    expect((await p.inventory.get('killed'))!.published).toBeUndefined();
    expect(await mailsTo(p, 'owner-killed@example.test')).toHaveLength(1);
  });
});
