/**
 * `certbeat add --challenge-alias / --region` and `certbeat show` of such certificates, end to end on
 * the testbed: the options store what certbeat.config.json would (read back from dynalite), bad values
 * are refused with the config's own messages naming the option, and `show` asks each region's ACM
 * what uses the certificate there. A second ACM emulator serves eu-west-1; the CLI's environment sends
 * every region to one endpoint, so the multi-region `show` runs on a context whose eu-west-1 client
 * points at the second emulator (as `acmForRegion` does on AWS).
 */
import { ACMClient } from '@aws-sdk/client-acm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbInventory } from '../../lambda/adapters/dynamodb/dynamodb-inventory.js';
import { Route53DnsSolver } from '../../lambda/adapters/route53/route53-dns-solver.js';
import { ENV } from '../../lambda/config.js';
import { main } from '../../cli/main.js';
import { CliContext } from '../../cli/context.js';
import type { Target } from '../../cli/environment.js';
import { showCommand } from '../../cli/commands/inventory.js';
import { startAcmEmulator, type AcmEmulator } from '../testbed/acm-emulator.js';
import { startTestbed, TESTBED_CREDENTIALS, type Testbed } from '../testbed/testbed.js';

let tb: Testbed;
let eu: AcmEmulator;
let euClient: ACMClient;
let env: Record<string, string>;
let inventory: DynamoDbInventory;

function capture() {
  const io = { stdout: '', stderr: '' };
  return {
    io,
    cliIo: { stdout: { write: (s: string) => (io.stdout += s) }, stderr: { write: (s: string) => (io.stderr += s) }, env },
  };
}

async function cli(args: string[]) {
  const { io, cliIo } = capture();
  const code = await main(args, cliIo);
  return { code, ...io };
}

/** The CLI's context with eu-west-1 routed to the second emulator. */
class TwoRegionContext extends CliContext {
  override async getTarget(): Promise<Target> {
    const target = await super.getTarget();
    return { ...target, clients: { ...target.clients, acmForRegion: (r) => (r === 'eu-west-1' ? euClient : target.clients.acm) } };
  }
}

async function ids(): Promise<string[]> {
  const batch = await inventory.listAll();
  return [...batch.records.map((r) => r.id), ...batch.invalid.map((i) => i.id)].sort();
}

beforeAll(async () => {
  [tb, eu] = await Promise.all([startTestbed({ insyncAfterMs: 50 }), startAcmEmulator({ region: 'eu-west-1' })]);
  euClient = new ACMClient({ region: 'eu-west-1', endpoint: eu.endpoint, credentials: TESTBED_CREDENTIALS, maxAttempts: 1 });
  env = { ...tb.env, [ENV.caaIdentities]: JSON.stringify({ [tb.directoryUrl]: ['pebble.test'] }) };
  inventory = new DynamoDbInventory({ client: DynamoDBDocumentClient.from(tb.clients().dynamodb), tableName: tb.tableName });
  const solver = new Route53DnsSolver({ client: tb.clients().route53, clock: { now: () => new Date() } });
  // example.test is in Route 53; elsewhere.test is not (its DNS is "at another provider").
  for (const name of ['example.test', 'acme.test']) {
    const zoneId = await tb.route53.createZone(name);
    tb.dns.setRecords(name, 'NS', (await solver.zoneDetails(zoneId)).nameServers);
  }
});
afterAll(async () => {
  euClient?.destroy();
  await Promise.allSettled([tb?.stop(), eu?.stop()]);
});

describe('certbeat add --challenge-alias --region', () => {
  it('stores the aliases and regions as the config file does, and show prints them', async () => {
    const r = await cli([
      'add', 'shop', '--name', 'shop.elsewhere.test', '--name', '*.shop.elsewhere.test', '--ca', tb.directoryUrl,
      '--challenge-alias', 'Shop.Elsewhere.test=shop.acme.test', '--region', 'us-east-1', '--region', 'eu-west-1',
    ]);
    expect(r, r.stderr).toMatchObject({ code: 0 });
    expect(r.stdout).toContain('_acme-challenge.shop.elsewhere.test → shop.acme.test');
    expect(r.stdout).toContain('imported into us-east-1, eu-west-1');

    const record = (await inventory.get('shop'))!;
    // Normalized as validateCertificateConfig normalizes the config file's map.
    expect(record.challengeAliases).toEqual({ 'shop.elsewhere.test': 'shop.acme.test' });
    expect(record.regions).toEqual(['us-east-1', 'eu-west-1']);

    const show = await cli(['show', 'shop']);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/challenge aliases +_acme-challenge\.shop\.elsewhere\.test → shop\.acme\.test/);
    expect(show.stdout).toMatch(/regions +us-east-1, eu-west-1/);
    const json = JSON.parse((await cli(['show', 'shop', '--json'])).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ challengeAliases: { 'shop.elsewhere.test': 'shop.acme.test' }, regions: ['us-east-1', 'eu-west-1'], acmArns: null, acmByRegion: null });
  });

  describe('refuses a bad alias or region with exit 2, naming the option and the fix, and writes nothing', () => {
    const base = ['add', 'bad', '--name', 'shop.elsewhere.test'];
    const cases: Array<[string, string[], RegExp]> = [
      ['an alias without "="', ['--challenge-alias', 'shop.elsewhere.test'], /--challenge-alias "shop\.elsewhere\.test" is not NAME=TARGET[\s\S]*fix: Write it as --challenge-alias/],
      ['an alias given twice', ['--challenge-alias', 'shop.elsewhere.test=a.acme.test', '--challenge-alias', 'shop.elsewhere.test=b.acme.test'], /--challenge-alias: shop\.elsewhere\.test is given twice/],
      ['an alias for a name not on the certificate', ['--challenge-alias', 'other.elsewhere.test=x.acme.test'], /--challenge-alias other\.elsewhere\.test \(challengeAliases\["other\.elsewhere\.test"\]\): is not one of the names; use a name from names/],
      ['an alias target that is not a DNS name', ['--challenge-alias', 'shop.elsewhere.test=acme'], /--challenge-alias shop\.elsewhere\.test \(challengeAliases\["shop\.elsewhere\.test"\]\): "acme" is not a valid DNS name/],
      ['an alias target no hosted zone covers', ['--challenge-alias', 'shop.elsewhere.test=shop.nowhere.test'], /--challenge-alias shop\.elsewhere\.test=shop\.nowhere\.test: no Route 53 hosted zone in this account covers shop\.nowhere\.test[\s\S]*fix: Point the alias/],
      ['a name without alias and without zone', [], /names: no Route 53 hosted zone in this account covers shop\.elsewhere\.test/],
      ['a region that is not one', ['--challenge-alias', 'shop.elsewhere.test=shop.acme.test', '--region', 'mars-north-1x'], /--region #1 \(regions\[0\]\): "mars-north-1x" is not an AWS region; give the ACM regions/],
      ['a region listed twice', ['--challenge-alias', 'shop.elsewhere.test=shop.acme.test', '--region', 'eu-west-1', '--region', 'eu-west-1'], /--region #2 \(regions\[1\]\): "eu-west-1" is listed twice; list each region once/],
    ];
    it.each(cases)('%s', async (_what, extra, message) => {
      const before = await ids();
      const shopBefore = await inventory.get('shop');
      const r = await cli([...base, '--ca', tb.directoryUrl, ...extra]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
      expect(await ids()).toEqual(before);
      expect(await inventory.get('shop')).toEqual(shopBefore);
    });

    it('--replace with a bad region keeps the existing configuration', async () => {
      const before = await inventory.get('shop');
      const r = await cli(['add', 'shop', '--replace', '--name', 'shop.elsewhere.test', '--ca', tb.directoryUrl, '--challenge-alias', 'shop.elsewhere.test=shop.acme.test', '--region', 'EU-WEST-1']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--region #1 \(regions\[0\]\): "EU-WEST-1" is not an AWS region/);
      expect(await inventory.get('shop')).toEqual(before);
    });
  });
});

describe('certbeat show of a certificate in several regions', () => {
  it('lists what uses it in each region, asking each region\'s ACM', async () => {
    const add = await cli(['add', 'cdn', '--name', 'cdn.example.test', '--ca', tb.directoryUrl, '--region', 'us-east-1', '--region', 'eu-west-1']);
    expect(add, add.stderr).toMatchObject({ code: 0 });
    const { io, cliIo } = capture();
    const ctx = new TwoRegionContext(cliIo);
    try {
      // Issued and imported into both emulators, as the Lambda does it.
      const summary = await (await ctx.service()).run({ ...ctx.runOptions(), ids: ['cdn'] });
      expect(summary.failed).toEqual([]);
      const record = (await inventory.get('cdn'))!;
      const usArn = record.acmArns!['us-east-1'];
      const euArn = record.acmArns!['eu-west-1'];
      expect(euArn).toMatch(/^arn:aws:acm:eu-west-1:/);
      tb.acm.setInUseBy(usArn, ['arn:aws:cloudfront::123456789012:distribution/E1CDN']);
      eu.setInUseBy(euArn, ['arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/1', 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/api/2']);

      expect(await showCommand(ctx, 'cdn', {})).toBe(0);
      expect(io.stdout).toMatch(/in use by \(us-east-1\) +arn:aws:cloudfront::123456789012:distribution\/E1CDN\n/);
      expect(io.stdout).toMatch(/in use by \(eu-west-1\) +arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer\/app\/web\/1, arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer\/app\/api\/2\n/);
      expect(io.stdout).not.toMatch(/^ +in use by {2}/m);
      expect(io.stdout).toMatch(/ARN per region +us-east-1: \S+, eu-west-1: /);

      io.stdout = '';
      expect(await showCommand(ctx, 'cdn', { json: true })).toBe(0);
      const json = JSON.parse(io.stdout) as { acm: { arn: string }; acmArns: Record<string, string>; acmByRegion: Record<string, { arn: string; inUseBy: string[] }> };
      expect(json.acm.arn).toBe(usArn);
      expect(json.acmArns).toEqual({ 'us-east-1': usArn, 'eu-west-1': euArn });
      expect(json.acmByRegion['us-east-1']).toMatchObject({ arn: usArn, inUseBy: ['arn:aws:cloudfront::123456789012:distribution/E1CDN'] });
      expect(json.acmByRegion['eu-west-1'].arn).toBe(euArn);
      expect(json.acmByRegion['eu-west-1'].inUseBy).toHaveLength(2);
    } finally {
      await ctx.close();
    }
  });

  it('shows the regions it could ask when one region\'s ACM fails', async () => {
    const { io, cliIo } = capture();
    const broken = new ACMClient({ region: 'eu-west-1', endpoint: 'http://127.0.0.1:1', credentials: TESTBED_CREDENTIALS, maxAttempts: 1 });
    class BrokenEu extends CliContext {
      override async getTarget(): Promise<Target> {
        const target = await super.getTarget();
        return { ...target, clients: { ...target.clients, acmForRegion: () => broken } };
      }
    }
    const ctx = new BrokenEu(cliIo);
    try {
      expect(await showCommand(ctx, 'cdn', {})).toBe(0);
      expect(io.stdout).toMatch(/in use by \(us-east-1\) +arn:aws:cloudfront::123456789012:distribution\/E1CDN\n/);
      expect(io.stdout).toMatch(/in use by \(eu-west-1\) +unknown: ACM could not be asked/);
    } finally {
      broken.destroy();
      await ctx.close();
    }
  });
});
