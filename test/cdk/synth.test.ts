/**
 * `npx cdk synth` as a user (and CI) runs it: offline, the config read from beside cdk.json (here the
 * example, through CERTBEAT_CONFIG), both Lambdas bundled for real by local esbuild, cdk-nag at synthesis.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleOf } from '../../cdk/bundle-report.js';
import { PROJECT_ROOT } from '../../cdk/certbeat-stack.js';

const dir = mkdtempSync(join(tmpdir(), 'certbeat-synth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cdkSynth(configFile: string, outdir: string) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CERTBEAT_CONFIG: configFile,
    CDK_DISABLE_VERSION_CHECK: '1',
    CDK_DISABLE_CLI_TELEMETRY: '1',
    // No credentials and no account: synthesis must not need AWS.
    AWS_ACCESS_KEY_ID: '',
    AWS_SECRET_ACCESS_KEY: '',
    AWS_PROFILE: '',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  delete env.CDK_DEFAULT_ACCOUNT;
  delete env.CDK_DEFAULT_REGION;
  delete env.NODE_ENV;
  return spawnSync('npx', ['cdk', 'synth', '--quiet', '-o', outdir], { cwd: PROJECT_ROOT, env, encoding: 'utf8', timeout: 110_000 });
}

describe('npx cdk synth', () => {
  it('synthesizes offline, bundling both Lambdas as ESM with esbuild', { timeout: 120_000 }, () => {
    const outdir = join(dir, 'ok');
    const result = cdkSynth(join(PROJECT_ROOT, 'certbeat.config.example.json'), outdir);
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);

    const template = JSON.parse(readFileSync(join(outdir, 'Certbeat.template.json'), 'utf8'));
    const types = Object.values(template.Resources as Record<string, { Type: string }>).map((r) => r.Type);
    expect(types).toEqual(expect.arrayContaining(['AWS::DynamoDB::Table', 'AWS::Scheduler::Schedule', 'Custom::CertbeatInventorySeed']));
    for (const description of [/renews/, /writes the configured certificates/]) {
      const bundle = bundleOf(outdir, description);
      expect(existsSync(bundle), bundle).toBe(true);
      const code = readFileSync(bundle, 'utf8');
      expect(code.startsWith("import { createRequire as __certbeatCreateRequire } from 'node:module';")).toBe(true);
      expect(code).toMatch(/export\s*\{[^}]*\bhandler\b/);
    }
  });

  it('fails before synthesis on an invalid config, naming the field and the fix', { timeout: 60_000 }, () => {
    const config = join(dir, 'bad.json');
    writeFileSync(config, JSON.stringify({ certificates: [{ id: 'x', names: ['example.com'], keyType: 'dsa' }] }));
    const result = cdkSynth(config, join(dir, 'bad'));
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('sender: is missing; give the SES identity certbeat sends from');
    expect(result.stderr).toContain('certificates[0].keyType: "dsa" is not a supported key type');
    expect(existsSync(join(dir, 'bad', 'Certbeat.template.json'))).toBe(false);
  });
});
