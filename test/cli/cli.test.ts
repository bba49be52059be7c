/**
 * Every certbeat command end to end on the testbed: `main` runs in process with captured streams and
 * the testbed's environment (pebble really issues, the Route 53 / ACM emulators and dynalite really
 * store), plus one spawned `node bin/certbeat.mjs` to prove the executable.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbInventory } from '../../lambda/adapters/dynamodb/dynamodb-inventory.js';
import { Route53DnsSolver } from '../../lambda/adapters/route53/route53-dns-solver.js';
import { ENV } from '../../lambda/config.js';
import type { RunSummary } from '../../lambda/domain/run-summary.js';
import { main } from '../../cli/main.js';
import { startTestbed, type Testbed } from '../testbed/testbed.js';
import { startAwsStub, type AwsStub } from './aws-stub.js';

let tb: Testbed;
let env: Record<string, string>;
let inventory: DynamoDbInventory;
let zones: Record<string, string>;

/** The CAA identity the tests give pebble, so CAA checks can tell it apart from other CAs. */
const PEBBLE_CAA = 'pebble.test';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], opts: { env?: Record<string, string | undefined>; tty?: boolean } = {}): Promise<Result> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: { write: (s: string) => (stdout += s), isTTY: opts.tty },
    stderr: { write: (s: string) => (stderr += s) },
    env: opts.env ?? env,
  });
  return { code, stdout, stderr };
}

async function ids(): Promise<string[]> {
  const batch = await inventory.listAll();
  return [...batch.records.map((r) => r.id), ...batch.invalid.map((i) => i.id)].sort();
}

beforeAll(async () => {
  tb = await startTestbed({ insyncAfterMs: 50 });
  env = { ...tb.env, [ENV.caaIdentities]: JSON.stringify({ [tb.directoryUrl]: [PEBBLE_CAA] }) };
  inventory = new DynamoDbInventory({ client: DynamoDBDocumentClient.from(tb.clients().dynamodb), tableName: tb.tableName });
  const solver = new Route53DnsSolver({ client: tb.clients().route53, clock: { now: () => new Date() } });
  zones = {};
  for (const name of ['example.test', 'other.test']) {
    zones[name] = await tb.route53.createZone(name);
    // The public DNS delegates the zone to the hosted zone's servers, so the delegation check passes.
    tb.dns.setRecords(name, 'NS', (await solver.zoneDetails(zones[name])).nameServers);
  }
});
afterAll(async () => {
  await tb?.stop();
});

describe('certbeat', () => {
  it('--help lists the commands and documents the exit codes', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const command of ['add', 'list', 'show', 'renew', 'pause', 'resume', 'remove', 'repair', 'doctor', 'run']) {
      expect(r.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    }
    expect(r.stdout).toMatch(/Exit codes:[\s\S]*0 +ok[\s\S]*1 +some certificate failed[\s\S]*2 +bad input[\s\S]*3 +environment not found/);
  });

  it('adds certificates after checking names and zones', async () => {
    const web = await cli(['add', 'web', '--name', 'example.test', '--name', '*.example.test', '--ca', tb.directoryUrl, '--owner', 'ops@example.test']);
    expect(web, web.stderr).toMatchObject({ code: 0 });
    expect(web.stdout).toContain('added web: example.test, *.example.test');
    const api = await cli(['add', 'api', '--name', 'api.other.test', '--name', 'www.example.test', '--ca', tb.directoryUrl, '--zone', `api.other.test=${zones['other.test']}`]);
    expect(api, api.stderr).toMatchObject({ code: 0 });

    const stored = (await inventory.get('web'))!;
    expect(stored).toMatchObject({ names: ['example.test', '*.example.test'], owners: ['ops@example.test'], keyType: 'ec256', status: 'active', directoryUrl: tb.directoryUrl });
    expect((await inventory.get('api'))!.zones).toEqual({ 'api.other.test': zones['other.test'] });
  });

  describe('refuses bad input with exit 2, names the field and the fix, and writes nothing', () => {
    const cases: Array<[string, string[], RegExp]> = [
      ['a malformed name', ['add', 'bad', '--name', 'exa mple.test'], /--name #1 \(names\[0\]\): "exa mple\.test" contains white space/],
      ['wildcard misuse', ['add', 'bad', '--name', '*.*.example.test'], /--name #1 \(names\[0\]\): "\*\.\*\.example\.test" misuses the wildcard/],
      ['a name no hosted zone covers', ['add', 'bad', '--name', 'www.nowhere.test'], /names: no Route 53 hosted zone in this account covers www\.nowhere\.test[\s\S]*fix: Create a public hosted zone/],
      ['a zone id that does not hold the name', ['add', 'bad', '--name', 'shop.example.test', '--zone', `shop.example.test=${'ZNOSUCHZONE0'}`], /--zone shop\.example\.test=ZNOSUCHZONE0: no such hosted zone/],
      ['a malformed --zone', ['add', 'bad', '--name', 'shop.example.test', '--zone', 'shop.example.test'], /--zone "shop\.example\.test" is not NAME=ZONEID/],
      ['an id that exists already', ['add', 'web', '--name', 'other.example.test'], /certificate 'web' exists already[\s\S]*fix:.*--replace/],
      ['an invalid id', ['add', 'bad id', '--name', 'x.example.test'], /id: "bad id" is not a valid id/],
      ['an unknown id (show)', ['show', 'nope'], /no certificate with id 'nope'[\s\S]*fix: `certbeat list` shows the ids/],
      ['an unknown id (renew)', ['renew', 'nope'], /no certificate with id 'nope'/],
      ['an unknown id (pause)', ['pause', 'nope'], /no certificate with id 'nope'/],
      ['an unknown id (resume)', ['resume', 'nope'], /no certificate with id 'nope'/],
      ['an unknown id (remove)', ['remove', 'nope'], /no certificate with id 'nope'/],
      ['an unknown id (doctor)', ['doctor', 'nope'], /no certificate with id 'nope'/],
      ['an unknown option', ['list', '--colour'], /unknown option '--colour'/],
    ];
    it.each(cases)('%s', async (_what, args, message) => {
      const before = await ids();
      const webBefore = await inventory.get('web');
      const r = await cli(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
      expect(await ids()).toEqual(before);
      expect(await inventory.get('web')).toEqual(webBefore);
    });
  });

  it('run issues what is due, with progress on stderr and the summary as JSON on stdout', async () => {
    const r = await cli(['run', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as RunSummary;
    expect(summary.renewed.map((x) => x.id).sort()).toEqual(['api', 'web']);
    expect(summary.renewed.every((x) => x.firstIssuance && x.arn.startsWith('arn:aws:acm:'))).toBe(true);
    expect(r.stderr).toMatch(/ordering web… \(no certificate has been issued yet\)/);
    expect(r.stderr).toMatch(/^issued web$/m);
    expect(r.stderr).toMatch(/^issued api$/m);

    const again = await cli(['run']);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('nothing was due\n');
  });

  it('list shows id, names, state, days left, expiry, last outcome and next check; --json parses', async () => {
    const table = await cli(['list']);
    expect(table.code).toBe(0);
    const [header, ...rows] = table.stdout.trimEnd().split('\n');
    expect(header.split(/\s{2,}/)).toEqual(['ID', 'NAMES', 'STATE', 'DAYS', 'EXPIRY', 'LAST OUTCOME', 'NEXT (UTC)']);
    const web = rows.find((l) => l.startsWith('web '))!;
    const record = (await inventory.get('web'))!;
    const days = Math.floor((new Date(record.notAfter!).getTime() - Date.now()) / 86_400_000);
    expect(web.split(/\s{2,}/).slice(0, 6)).toEqual(['web', 'example.test +1', 'active', String(days), record.notAfter!.slice(0, 10), `issued ${record.lastOutcome!.at.slice(0, 10)}`]);
    expect(table.stdout).not.toContain('\u001b[');

    const json = JSON.parse((await cli(['list', '--json'])).stdout) as { certificates: Array<{ id: string; daysLeft: number; acmArn: string }> };
    expect(json.certificates.map((c) => c.id)).toEqual(['api', 'web']);
    expect(json.certificates[1]).toMatchObject({ id: 'web', daysLeft: days, acmArn: record.acmArn });
  });

  it('colours only a terminal, and never with NO_COLOR', async () => {
    expect((await cli(['list'], { tty: true })).stdout).toContain('\u001b[32m');
    expect((await cli(['list'], { tty: true, env: { ...env, NO_COLOR: '1' } })).stdout).not.toContain('\u001b[');
  });

  it('renew renews exactly that certificate: new serial, same ARN', async () => {
    const web = (await inventory.get('web'))!;
    const api = (await inventory.get('api'))!;
    const r = await cli(['renew', 'web', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as RunSummary;
    expect(summary.renewed).toHaveLength(1);
    expect(summary.renewed[0]).toMatchObject({ id: 'web', firstIssuance: false, arn: web.acmArn });
    expect(summary.renewed[0].serial).not.toBe(web.serial);
    expect(r.stderr).toMatch(/ordering web… \(renewal requested/);

    const after = (await inventory.get('web'))!;
    expect(after).toMatchObject({ acmArn: web.acmArn, serial: summary.renewed[0].serial, lastOutcome: { result: 'renewed' } });
    expect(await inventory.get('api')).toEqual(api);
    expect(tb.acm.certificates().filter((c) => c.arn === web.acmArn)).toHaveLength(1);
  });

  it('show prints the certificate with its ARN and what uses it; --json parses', async () => {
    const record = (await inventory.get('web'))!;
    const text = await cli(['show', 'web']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`ACM ARN +${record.acmArn!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
    expect(text.stdout).toMatch(/names +example\.test, \*\.example\.test/);
    expect(text.stdout).toMatch(/in use by +nothing yet/);
    const json = JSON.parse((await cli(['show', 'web', '--json'])).stdout) as { id: string; serial: string; acm: { arn: string; keyAlgorithm: string } };
    expect(json).toMatchObject({ id: 'web', serial: record.serial, acm: { arn: record.acmArn, keyAlgorithm: 'ec256' } });
  });

  it('pause and resume change the state; a paused certificate is not renewed', async () => {
    expect((await cli(['pause', 'api'])).code).toBe(0);
    expect((await inventory.get('api'))!.status).toBe('paused');
    const refused = await cli(['renew', 'api']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/'api' is paused[\s\S]*fix: Resume it first: certbeat resume api/);
    expect((await cli(['list'])).stdout).toMatch(/^api +api\.other\.te… \+1 +paused/m);
    expect((await cli(['resume', 'api'])).code).toBe(0);
    expect((await inventory.get('api'))!.status).toBe('active');
  });

  it('renew exits 1 when the certificate fails, with the cause in the table', async () => {
    // A zone the public DNS does not point at: the registrar still names the old DNS host.
    await tb.route53.createZone('stale.test', { delegated: false });
    tb.dns.setRecords('stale.test', 'NS', ['ns1.old-host.example']);
    expect((await cli(['add', 'stale', '--name', 'stale.test', '--ca', tb.directoryUrl])).code).toBe(0);
    try {
      const r = await cli(['renew', 'stale']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^failed stale: pre-flight checks failed: the domain's registrar points stale\.test at ns1\.old-host\.example/m);
      expect(r.stdout).toMatch(/^stale +failed .*pre-flight checks/m);
      // The fix in the terminal, whether or not a mail went out (stale has no owner here).
      expect(r.stderr).toMatch(/^stale: pre-flight checks failed[^\n]*\n  fix: \S/m);
      expect((await inventory.get('stale'))!).toMatchObject({ failureCount: 1, lastOutcome: { result: 'failed', errorClass: 'ConfigurationError' } });
    } finally {
      expect((await cli(['remove', 'stale', '--yes'])).code).toBe(0);
    }
  });

  it('doctor reports a CAA record forbidding the CA, with its fix, and exits 1', async () => {
    const clean = await cli(['doctor', 'web']);
    expect(clean.code, clean.stdout).toBe(0);
    expect(clean.stdout).toMatch(/✓ example\.test is delegated to the Route 53 zone/);

    tb.dns.setRecords('example.test', 'CAA', [{ tag: 'issue', value: 'letsencrypt.org' }]);
    try {
      const r = await cli(['doctor', 'web']);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/✗ CAA at example\.test lets only letsencrypt\.org issue certificates for example\.test \(issue\), not the CA at .* \(pebble\.test\)/);
      expect(r.stdout).toMatch(/fix: Add `0 issue "pebble\.test"` at example\.test or remove the CAA record\./);

      const all = await cli(['doctor', '--json']);
      expect(all.code).toBe(1);
      const report = JSON.parse(all.stdout) as { certificates: Array<{ id: string; ok: boolean; findings: Array<{ check: string; ok: boolean; blocking: boolean; fix?: string }> }> };
      const web = report.certificates.find((c) => c.id === 'web')!;
      expect(web.ok).toBe(false);
      expect(web.findings.filter((f) => f.check === 'caa' && !f.ok).every((f) => f.blocking && f.fix)).toBe(true);
      // api.other.test is not under example.test; www.example.test is, and inherits the CAA set.
      const api = report.certificates.find((c) => c.id === 'api')!;
      expect(api.findings.find((f) => f.check === 'caa' && !f.ok)).toBeDefined();
    } finally {
      tb.dns.setRecords('example.test', 'CAA', []);
    }
  });

  it('remove deletes the certificate from the inventory and keeps it in ACM', async () => {
    const arn = (await inventory.get('api'))!.acmArn!;
    const r = await cli(['remove', 'api', '--yes']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`the certificate stays in ACM (${arn})`);
    expect(await ids()).toEqual(['web']);
    expect(tb.acm.certificates().some((c) => c.arn === arn)).toBe(true);
  });

  it('repair makes an item written by hand without dueShard and nextCheckAt visible to the schedule', async () => {
    const { tableName } = tb;
    const doc = DynamoDBDocumentClient.from(tb.clients().dynamodb);
    await doc.send(
      new PutCommand({
        TableName: tableName,
        Item: { id: 'hand', names: ['hand.example.test'], zones: {}, directoryUrl: tb.directoryUrl, keyType: 'ec256', owners: [], status: 'active' },
      }),
    );
    const before = await cli(['list']);
    expect(before.code).toBe(0);
    expect(before.stderr).toMatch(/invalid hand: .*run `certbeat repair hand`/);

    const r = await cli(['repair']);
    expect(r, r.stderr).toMatchObject({ code: 0 });
    expect(r.stdout).toMatch(/^repaired hand: set dueShard to "active", set nextCheckAt to \S+$/m);
    const item = (await doc.send(new GetCommand({ TableName: tableName, Key: { id: 'hand' } }))).Item!;
    expect(item.dueShard).toBe('active');
    expect((await inventory.listDue(new Date(Date.now() + 1000))).records.map((rec) => rec.id)).toContain('hand');

    expect(await cli(['repair', 'hand'])).toMatchObject({ code: 0, stdout: 'hand: dueShard and nextCheckAt are fine, nothing to repair\n' });
    expect((await cli(['remove', 'hand', '--yes'])).code).toBe(0);
  });

  it('exits 3 when the environment does not configure certbeat', async () => {
    const r = await cli(['list'], { env: { ...env, [ENV.sender]: undefined } });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/CERTBEAT_SENDER: is not set: give a verified SES sender address/);
  });

  describe('a deployed stack', () => {
    let stub: AwsStub;
    let stackEnv: Record<string, string | undefined>;

    beforeAll(async () => {
      const functionEnv = {
        [ENV.tableName]: tb.tableName,
        [ENV.sender]: env[ENV.sender],
        [ENV.accountSecretId]: env[ENV.accountSecretId],
        [ENV.caaIdentities]: env[ENV.caaIdentities],
      };
      stub = await startAwsStub({
        tb,
        stackName: 'Certbeat',
        functionName: 'certbeat-renewer',
        functionEnv,
        outputs: { TableName: tb.tableName, FunctionName: 'certbeat-renewer', AccountSecretId: env[ENV.accountSecretId] },
      });
      stackEnv = {
        ...env,
        [ENV.tableName]: undefined,
        [ENV.sender]: undefined,
        AWS_ENDPOINT_URL_CLOUDFORMATION: stub.endpoint,
        AWS_ENDPOINT_URL_LAMBDA: stub.endpoint,
      };
    });
    afterAll(async () => {
      await stub?.stop();
    });

    it('is found from its outputs and its function settings', async () => {
      const r = await cli(['list', '--json'], { env: stackEnv });
      expect(r.code, r.stderr).toBe(0);
      expect((JSON.parse(r.stdout) as { certificates: Array<{ id: string }> }).certificates.map((c) => c.id)).toEqual(['web']);
    });

    it('exits 3 with the fix when the stack does not exist', async () => {
      const r = await cli(['--stack', 'Elsewhere', 'list'], { env: stackEnv });
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/no stack named Elsewhere in us-east-1[\s\S]*fix: Deploy certbeat with `npx cdk deploy`/);
    });

    it('renew --remote invokes the function for that certificate and prints its summary', async () => {
      const before = (await inventory.get('web'))!;
      const r = await cli(['renew', 'web', '--remote', '--json'], { env: stackEnv });
      expect(r.code, r.stderr).toBe(0);
      expect(stub.invocations).toEqual([{ action: 'renew', certificateId: 'web' }]);
      const summary = JSON.parse(r.stdout) as RunSummary;
      expect(summary.renewed).toMatchObject([{ id: 'web', arn: before.acmArn, firstIssuance: false }]);
      expect((await inventory.get('web'))!.serial).toBe(summary.renewed[0].serial);
    });
  });

  it('the executable runs the CLI (node bin/certbeat.mjs list)', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['bin/certbeat.mjs', 'list'], {
      env: { PATH: process.env.PATH, ...env },
      timeout: 30_000,
    });
    expect(stdout).toMatch(/^ID +NAMES/);
    expect(stdout).toMatch(/^web +example\.test \+1 +active/m);
  });
});
