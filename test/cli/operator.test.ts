/**
 * The operator-facing behaviours of issue 10, end to end on the testbed: dry runs, the fix in the
 * terminal and in `show`, warnings about certificates nobody is mailed about, 80-column tables sorted
 * by id, stable `--json` (and errors as JSON), `--version`, examples in help, `add --replace` on a
 * paused certificate, ids differing only in case, control characters, http CAs, CERTBEAT_DEFAULT_CA,
 * and doctor's CA checks.
 */
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbInventory } from '../../lambda/adapters/dynamodb/dynamodb-inventory.js';
import { ENV } from '../../lambda/config.js';
import { main } from '../../cli/main.js';
import { stackFromEnv } from '../../cli/environment.js';
import { startTestbed, type Testbed } from '../testbed/testbed.js';
import { prepareWalkthrough } from './testbed-walkthrough.js';

let tb: Testbed;
let env: Record<string, string>;
let inventory: DynamoDbInventory;
let doc: DynamoDBDocumentClient;

async function cli(args: string[], opts: { env?: Record<string, string | undefined>; columns?: number } = {}) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: { write: (s: string) => (stdout += s), isTTY: opts.columns !== undefined, columns: opts.columns },
    stderr: { write: (s: string) => (stderr += s) },
    env: opts.env ?? env,
  });
  return { code, stdout, stderr };
}

beforeAll(async () => {
  tb = await startTestbed({ insyncAfterMs: 50 });
  env = { ...tb.env, ...(await prepareWalkthrough(tb)).env, [ENV.caaIdentities]: JSON.stringify({ [tb.directoryUrl]: ['pebble.test'] }) };
  doc = DynamoDBDocumentClient.from(tb.clients().dynamodb);
  inventory = new DynamoDbInventory({ client: doc, tableName: tb.tableName });
  // A zone the registrar does not point at: every order for it fails pre-flight.
  await tb.route53.createZone('stale.test', { delegated: false });
  tb.dns.setRecords('stale.test', 'NS', ['ns1.old-host.example']);
});
afterAll(async () => {
  await tb?.stop();
});

describe('version and help', () => {
  it('--version prints the package version', async () => {
    const { version } = (await import('../../package.json', { with: { type: 'json' } })).default as { version: string };
    const r = await cli(['--version']);
    expect(r).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('help has examples, for the program and for each command that takes options', async () => {
    expect((await cli(['--help'])).stdout).toMatch(/Examples:\n  certbeat add web --name example\.com/);
    for (const command of ['add', 'list', 'show', 'renew', 'doctor', 'run']) {
      const r = await cli([command, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout, command).toMatch(new RegExp(`Examples:\\n  certbeat ${command}`));
    }
  });
});

describe('add', () => {
  it('uses CERTBEAT_DEFAULT_CA without --ca, and warns when nobody would be mailed', async () => {
    const r = await cli(['add', 'lonely', '--name', 'lonely.example.test']);
    expect(r.code, r.stderr).toBe(0);
    expect((await inventory.get('lonely'))!.directoryUrl).toBe(tb.directoryUrl);
    expect(r.stderr).toMatch(/warning: lonely has no owner and the deployment has no default recipients, so no mail is sent about it/);
    const show = await cli(['show', 'lonely']);
    expect(show.stdout).toMatch(/owners +none, and no default recipients: no mail is sent about this certificate/);

    // With default recipients there is someone to mail: no warning, and show names them.
    const withDefaults = { ...env, [ENV.defaultRecipients]: 'ops@example.test' };
    const quiet = await cli(['add', 'lonely2', '--name', 'lonely2.example.test'], { env: withDefaults });
    expect(quiet.stderr).not.toMatch(/warning/);
    expect((await cli(['show', 'lonely2'], { env: withDefaults })).stdout).toMatch(/owners +none; mails go to the default recipients \(ops@example\.test\)/);
  });

  it('refuses http:// CAs, from --ca and from CERTBEAT_DEFAULT_CA, naming the field', async () => {
    const flag = await cli(['add', 'plain', '--name', 'plain.example.test', '--ca', 'http://127.0.0.1:14000/dir']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--ca \(directoryUrl\): "http:\/\/127\.0\.0\.1:14000\/dir" is not https[\s\S]*fix: Give the CA's https ACME directory URL/);
    const fromEnv = await cli(['add', 'plain', '--name', 'plain.example.test'], { env: { ...env, CERTBEAT_DEFAULT_CA: 'http://localhost/dir' } });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toMatch(/CERTBEAT_DEFAULT_CA \(directoryUrl\): "http:\/\/localhost\/dir" is not https/);
    expect(await inventory.get('plain')).toBeUndefined();
  });

  it('refuses an id that differs from an existing one only in case', async () => {
    const r = await cli(['add', 'LONELY', '--name', 'other.example.test']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/id: 'LONELY' differs from the existing certificate 'lonely' only in case[\s\S]*fix: Use 'lonely'/);
    expect(await inventory.get('LONELY')).toBeUndefined();
  });

  it('--replace keeps a paused certificate paused', async () => {
    expect((await cli(['pause', 'lonely2'])).code).toBe(0);
    const r = await cli(['add', 'lonely2', '--replace', '--name', 'lonely2.example.test', '--owner', 'a@example.test']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/still paused: certbeat resume lonely2/);
    expect(await inventory.get('lonely2')).toMatchObject({ status: 'paused', owners: ['a@example.test'] });
  });
});

describe('dry run', () => {
  it('renew --dry-run orders and validates for real, then imports, records and mails nothing', async () => {
    expect((await cli(['add', 'rehearse', '--name', 'rehearse.example.test', '--owner', 'o@example.test'])).code).toBe(0);
    const before = (await inventory.get('rehearse'))!;
    await tb.ses.clear();
    const r = await cli(['renew', 'rehearse', '--dry-run', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { dryRun: Array<{ id: string; serial: string; directoryUrl: string }>; renewed: unknown[] };
    expect(summary.renewed).toEqual([]);
    expect(summary.dryRun).toMatchObject([{ id: 'rehearse', directoryUrl: tb.directoryUrl }]);
    expect(summary.dryRun[0].serial).toMatch(/^[0-9A-F]+$/);
    expect(r.stderr).toMatch(/dry run rehearse: the CA issued it after validating the TXT values/);
    // Nothing kept: same record (lease given back, no journal, no outcome), nothing in ACM, no mail,
    // and the TXT values are gone from the zone.
    expect(await inventory.get('rehearse')).toEqual(before);
    expect(tb.acm.certificates()).toEqual([]);
    expect(await tb.ses.mails()).toEqual([]);
    const zoneId = (await inventory.get('rehearse'))!.zones['rehearse.example.test'] ?? (await tb.route53.createZone('unused.test'));
    expect(tb.route53.records(zoneId).filter((x) => x.type === 'TXT')).toEqual([]);
  });

  it('run --dry-run rehearses every active certificate, due or not; a failure prints its fix and records nothing', async () => {
    expect((await cli(['add', 'broken', '--name', 'stale.test', '--owner', 'o@example.test'])).code).toBe(0);
    const before = (await inventory.get('broken'))!;
    const r = await cli(['run', '--dry-run']);
    expect(r.code).toBe(1);
    const rows = r.stdout.trimEnd().split('\n').slice(1).map((l) => l.split(/\s{2,}/).slice(0, 2));
    expect(rows).toEqual([
      ['broken', 'failed'],
      ['lonely', 'dry run ok'],
      ['rehearse', 'dry run ok'],
    ]);
    expect(r.stderr).toMatch(/^broken: pre-flight checks failed: the domain's registrar points stale\.test at ns1\.old-host\.example[^\n]*\n  fix: \S/m);
    expect(r.stderr).toMatch(/nothing is imported into ACM, recorded or mailed/);
    expect(await inventory.get('broken')).toEqual(before);
    expect(await tb.ses.mails()).toEqual([]);
  });
});

describe('dry run at Let\'s Encrypt', () => {
  it('goes to its staging CA, never to production (this machine reaches neither: the failure names the URL)', async () => {
    expect((await cli(['add', 'le', '--name', 'le.example.test', '--ca', 'letsencrypt', '--owner', 'o@example.test'])).code).toBe(0);
    const before = (await inventory.get('le'))!;
    const r = await cli(['renew', 'le', '--dry-run', '--json']);
    expect(r.code).toBe(1);
    const summary = JSON.parse(r.stdout) as { failed: Array<{ id: string; message: string; fix: string | null }> };
    expect(summary.failed[0].id).toBe('le');
    expect(summary.failed[0].message).toMatch(/acme-staging-v02\.api\.letsencrypt\.org/);
    expect(summary.failed[0].message).not.toMatch(/acme-v02\.api\.letsencrypt\.org/);
    expect(await inventory.get('le')).toEqual(before);
    expect((await cli(['remove', 'le', '--yes'])).code).toBe(0);
  }, 120_000);

  it('refuses --dry-run with --remote: the function has no dry run', async () => {
    const r = await cli(['renew', 'lonely', '--dry-run', '--remote']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--remote and --dry-run together[\s\S]*fix: Leave out --remote/);
  });
});

describe('after a failure', () => {
  it('the terminal and show give the cause and the fix, also when no mail went out', async () => {
    expect((await cli(['add', 'nomail', '--name', 'stale.test'])).code).toBe(0);
    const r = await cli(['renew', 'nomail']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^nomail: pre-flight checks failed[^\n]*\n  fix: .*\S/m);
    expect(r.stderr).not.toMatch(/failure mail has the fix/);
    const show = await cli(['show', 'nomail']);
    expect(show.stdout).toMatch(/^  cause +pre-flight checks failed: the domain's registrar points stale\.test/m);
    const fix = (await inventory.get('nomail'))!.lastOutcome!.fix!;
    expect(fix.length).toBeGreaterThan(10);
    const fixRow = show.stdout.split('\n').find((l) => /^  fix +/.test(l))!;
    expect(fixRow.replace(/^  fix +/, '')).toBe(fix);
    expect(show.stdout).toMatch(/no mail is sent about this certificate/);
  });
});

describe('tables', () => {
  it('fit 80 columns when not a terminal (the terminal width when one), sorted by id', async () => {
    const long = 'a-certificate-with-a-rather-long-identifier';
    expect((await cli(['add', long, '--name', 'very-long-host-name-for-the-table.example.test', '--name', 'www.example.test', '--owner', 'o@example.test'])).code).toBe(0);
    expect((await cli(['renew', long])).code).toBe(0);
    expect((await cli(['renew', 'nomail'])).code).toBe(1);
    for (const args of [['list'], ['run', '--dry-run']]) {
      const r = await cli(args);
      const lines = r.stdout.trimEnd().split('\n');
      for (const line of lines) expect(line.length, `${args.join(' ')}: ${line}`).toBeLessThanOrEqual(80);
      const ids = lines.slice(1).map((l) => l.split(/\s{2,}/)[0].replace(/…$/, ''));
      expect(ids).toEqual([...ids].sort());
    }
    const listRun = await cli(['list']);
    const list = listRun.stdout;
    expect(listRun.code, listRun.stderr).toBe(0);
    expect(list).toMatch(/^a-certifi… /m);
    // A wide terminal gets the whole id back.
    const wide = await cli(['list'], { columns: 200 });
    expect(wide.stdout).toContain(long);
    // The ARN is cut to its certificate id in the summary; show has all of it.
    const renew = await cli(['renew', long]);
    const arn = (await inventory.get(long))!.acmArn!;
    expect(renew.stdout).toMatch(new RegExp(`^a-certif\\S*  renewed .*…/${arn.slice(arn.lastIndexOf('/') + 1, arn.lastIndexOf('/') + 9)}…$`, 'm'));
    expect((await cli(['show', long])).stdout).toContain(arn);
  });

  it('show control characters from the inventory escaped', async () => {
    await doc.send(
      new UpdateCommand({
        TableName: tb.tableName,
        Key: { id: 'nomail' },
        UpdateExpression: 'SET lastOutcome.message = :m',
        ExpressionAttributeValues: { ':m': 'evil \u001b[2J\u001b]0;pwned\u0007 text' },
      }),
    );
    const show = await cli(['show', 'nomail']);
    expect(show.stdout).not.toMatch(/\u001b|\u0007/);
    expect(show.stdout).toContain('evil \\x1b[2J\\x1b]0;pwned\\x07 text');
  });
});

describe('--json', () => {
  it('has every field, null when unset, and one serial format', async () => {
    const list = JSON.parse((await cli(['list', '--json'])).stdout) as { certificates: Array<Record<string, unknown>> };
    const fresh = list.certificates.find((c) => c.id === 'rehearse')!;
    for (const key of ['acmArn', 'serial', 'notAfter', 'notBefore', 'lastOutcome', 'lease', 'eabSecretId', 'renewalWindow', 'daysLeft', 'pendingOrderUrl']) {
      expect(fresh, key).toHaveProperty(key, null);
    }
    expect(Object.keys(fresh)).toEqual(Object.keys(list.certificates.find((c) => c.id === 'nomail')!));
    const issued = JSON.parse((await cli(['show', 'a-certificate-with-a-rather-long-identifier', '--json'])).stdout) as { serial: string; acm: { serial: string }; lastOutcome: { fix: null } };
    expect(issued.serial).toMatch(/^[0-9A-F]+$/);
    expect(issued.acm.serial).toBe(issued.serial);
    expect(issued.lastOutcome).toHaveProperty('fix', null);
    expect((JSON.parse((await cli(['show', 'rehearse', '--json'])).stdout) as { acm: unknown }).acm).toBeNull();
  });

  it('reports errors as JSON on stdout, with the class, the fix and the exit code', async () => {
    const unknown = await cli(['show', 'nope', '--json']);
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.stdout)).toEqual({
      error: { class: 'UsageError', message: "no certificate with id 'nope'; nothing was changed", fix: expect.stringMatching(/certbeat list/), exitCode: 2 },
    });
    const option = await cli(['list', '--json', '--colour']);
    expect(option.code).toBe(2);
    expect(JSON.parse(option.stdout)).toMatchObject({ error: { class: 'UsageError', message: expect.stringMatching(/unknown option '--colour'/), exitCode: 2 } });
    const environment = await cli(['list', '--json'], { env: { ...env, [ENV.sender]: undefined } });
    expect(environment.code).toBe(3);
    expect(JSON.parse(environment.stdout)).toMatchObject({ error: { class: 'EnvironmentError', exitCode: 3 } });
  });
});

describe('doctor', () => {
  it('checks the CA: directory over https, the account, and a summary per certificate', async () => {
    const r = await cli(['doctor', 'a-certificate-with-a-rather-long-identifier']);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain(`✓ the CA directory ${tb.directoryUrl} answers over https`);
    expect(r.stdout).toMatch(/✓ the ACME account https:\/\/\S+ is valid/);
    expect(r.stdout).toMatch(/summary: ready to renew: \d+ check\(s\) pass/);
  });

  it('finds a missing or malformed EAB secret and an http CA, each blocking with its fix', async () => {
    const sm = tb.clients().secretsManager;
    await sm.send(new CreateSecretCommand({ Name: 'eab/bad', SecretString: JSON.stringify({ keyId: 'kid' }) }));
    expect((await cli(['add', 'eab-missing', '--name', 'eab1.example.test', '--eab-secret', 'eab/none', '--owner', 'o@example.test'])).code).toBe(0);
    expect((await cli(['add', 'eab-bad', '--name', 'eab2.example.test', '--eab-secret', 'eab/bad', '--owner', 'o@example.test'])).code).toBe(0);
    // An http CA can only come from the inventory itself (add refuses it): written as an older version might have.
    await inventory.put({ ...(await inventory.get('eab-bad'))!, id: 'plain-ca', eabSecretId: undefined, directoryUrl: 'http://localhost:1/dir' });

    const missing = await cli(['doctor', 'eab-missing']);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/✗ the EAB secret eab\/none does not exist\n +fix: Store \{"keyId"/);
    const bad = await cli(['doctor', 'eab-bad']);
    expect(bad.stdout).toMatch(/✗ the EAB secret eab\/bad lacks a non-empty "keyId" or "hmacKey" string/);
    expect(bad.stdout).toMatch(/summary: blocked, a run would not order: .*1 blocking \(ca\)/);
    const plain = await cli(['doctor', 'plain-ca', '--json']);
    const report = JSON.parse(plain.stdout) as { certificates: Array<{ findings: Array<{ check: string; ok: boolean; blocking: boolean; message: string }>; summary: string }> };
    expect(report.certificates[0].findings).toContainEqual(expect.objectContaining({ check: 'ca', ok: false, blocking: true, message: expect.stringMatching(/is not https/) }));
    expect(report.certificates[0].summary).toMatch(/^blocked/);
    for (const f of report.certificates[0].findings) expect(Object.keys(f)).toEqual(['check', 'ok', 'blocking', 'message', 'fix']);
    for (const id of ['eab-missing', 'eab-bad', 'plain-ca']) await cli(['remove', id]);
  });

  it('reports an account secret that is not JSON without quoting it (it holds account keys)', async () => {
    // Not JSON; the parser's own message would quote it ("Unexpected token 'S', "SECRETKEY…" is not valid JSON").
    await tb.clients().secretsManager.send(new CreateSecretCommand({ Name: 'certbeat/broken-account', SecretString: 'SECRETKEYMATERIAL' }));
    expect((await cli(['add', 'broken-account', '--name', 'acct.example.test', '--owner', 'o@example.test'])).code).toBe(0);
    const r = await cli(['doctor', 'broken-account'], { env: { ...env, [ENV.accountSecretId]: 'certbeat/broken-account' } });
    await cli(['remove', 'broken-account']);
    expect(r.stdout + r.stderr).not.toContain('SECRETKEYMATERIAL');
    expect(r.stdout, r.stderr).toMatch(/✗ the ACME account secret certbeat\/broken-account is not certbeat's account store \(not JSON\)/);
  });

  it('folds the same "could not check" finding into one line, and a repeated fix into "as above"', async () => {
    for (const id of ['fold1', 'fold2']) {
      expect((await cli(['add', id, '--name', `${id}.example.test`, '--name', `www.${id}.example.test`, '--owner', 'o@example.test'])).code).toBe(0);
    }
    // A resolver that does not answer: every DNS lookup of every name fails the same way.
    const r = await cli(['doctor'], { env: { ...env, [ENV.dnsResolver]: '127.0.0.1:9' } });
    const blocks = r.stdout.split('\n\n');
    for (const id of ['fold1', 'fold2']) {
      const block = blocks.find((b) => b.startsWith(`${id} `))!;
      // Five failed lookups (NS, CAA ×2, CNAME ×2), one line.
      const lines = block.split('\n').filter((l) => /could not check/.test(l));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/— and 5 more like it \(delegation, caa, acme-challenge-cname, dnssec\)/);
    }
    // The fix is the same for every certificate: read once, then "as above".
    const folded = blocks.filter((b) => /could not check/.test(b));
    expect(folded.length).toBeGreaterThan(2);
    expect(folded[0]).toMatch(/fix: Nothing to change if it passes/);
    for (const b of folded.slice(1)) expect(b).toMatch(/fix: as above/);
  });
});

describe('stack setting', () => {
  it('reads CERTBEAT_STACK_NAME, and the old CERTBEAT_STACK with a deprecation note', () => {
    const notes: string[] = [];
    expect(stackFromEnv({ CERTBEAT_STACK_NAME: 'Prod' }, (m) => notes.push(m))).toBe('Prod');
    expect(notes).toEqual([]);
    expect(stackFromEnv({ CERTBEAT_STACK: 'Old' }, (m) => notes.push(m))).toBe('Old');
    expect(notes).toEqual(['CERTBEAT_STACK is deprecated: rename it to CERTBEAT_STACK_NAME (the name cdk deploy reads too)']);
    expect(stackFromEnv({ CERTBEAT_STACK: 'Old', CERTBEAT_STACK_NAME: 'New' }, (m) => notes.push(m))).toBe('New');
    expect(notes[1]).toMatch(/CERTBEAT_STACK=Old is ignored: CERTBEAT_STACK_NAME=New is set/);
  });
});
