/**
 * certbeat's public API for other CDK apps (package.json `exports` "."): the Certbeat construct, the
 * stack that holds it alone, the zone-side role for zones in other accounts, and the config parser.
 * The package ships TypeScript sources: run the consuming app with tsx (as certbeat's own cdk.json does).
 */
export { Certbeat, OUTPUTS, PROJECT_ROOT, type CertbeatProps } from './certbeat.js';
export { CertbeatStack, type CertbeatStackProps } from './certbeat-stack.js';
export { CertbeatZoneRole, ZONE_ROLE_SESSION_NAME, type CertbeatZoneRoleProps } from './constructs/zone-role.js';
export { CertbeatConfigError, loadConfig, parseConfig, type CertbeatConfig, type CertificateConfig } from './config.js';
export { bundleOptions, buildBundle, LEFT_OUT } from './bundle/renewer-bundle.js';
