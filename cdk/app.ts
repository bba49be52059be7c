/**
 * The CDK app: loads and validates certbeat.config.json (beside cdk.json), builds the stack, and runs
 * the cdk-nag AwsSolutions checks at synthesis. An invalid config stops here with its problems listed.
 *
 * Stack name: CERTBEAT_STACK_NAME or "Certbeat". Account and region: the CLI's (CDK_DEFAULT_*).
 */
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CertbeatStack, PROJECT_ROOT } from './certbeat-stack.js';
import { CertbeatConfigError, CONFIG_FILE_NAME, loadConfig } from './config.js';

const configFile = process.env.CERTBEAT_CONFIG ?? join(PROJECT_ROOT, CONFIG_FILE_NAME);

function configOrExit(file: string) {
  try {
    return loadConfig(file);
  } catch (e) {
    // A config mistake is the user's to fix: show the problems, not a stack trace.
    if (e instanceof CertbeatConfigError) {
      console.error(e.message);
      process.exit(1);
    }
    throw e;
  }
}

const config = configOrExit(configFile);
for (const note of config.notes ?? []) console.error(`${configFile}: note: ${note}`);

const app = new App();
new CertbeatStack(app, process.env.CERTBEAT_STACK_NAME ?? 'Certbeat', {
  config,
  description: 'certbeat: unattended ACME renewal of imported ACM certificates',
  // A config with `region` is always deployed there: one stack owns its certificates, whatever the CLI's region.
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: config.region ?? process.env.CDK_DEFAULT_REGION },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
