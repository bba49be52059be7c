/**
 * Several regions in the deployment config: which stack owns the certificates (`region`), where each is
 * imported (`regions`), and the renewer's ACM permissions in each of those regions.
 */
import { describe, expect, it } from 'vitest';
import { CertbeatConfigError, parseConfig } from '../../cdk/config.js';
import { BASE_CONFIG, buildStack, policyStatements, type Statement } from './stack-fixture.js';

const RENEWER_ROLE = 'RenewalRenewerRole';

function problemsOf(input: unknown): string[] {
  try {
    parseConfig(input);
  } catch (e) {
    if (e instanceof CertbeatConfigError) return e.problems;
    throw e;
  }
  throw new Error('the config was accepted');
}

const multi = {
  ...BASE_CONFIG,
  region: 'us-east-1',
  certificates: [
    { id: 'site', names: ['example.com', '*.example.com'], zoneId: 'ZEXAMPLECOM', regions: ['us-east-1', 'eu-west-1'] },
    { id: 'api', names: ['api.example.com'], zoneId: 'ZEXAMPLECOM', regions: ['ap-southeast-2'] },
  ],
};

describe('config: regions', () => {
  it('keeps the deploy region and each certificate’s regions, primary first', () => {
    const config = parseConfig(multi);
    expect(config.region).toBe('us-east-1');
    expect(config.certificates.map((c) => c.regions)).toEqual([['us-east-1', 'eu-west-1'], ['ap-southeast-2']]);
  });

  it('requires the deploy region once a certificate lists regions, so one stack owns it', () => {
    const { region: _r, ...withoutRegion } = multi;
    expect(problemsOf(withoutRegion)).toEqual([
      'region: certificates[0] lists regions, so say which one region certbeat is deployed to (e.g. "region": "us-east-1"); one stack there imports into every listed region',
    ]);
  });

  it('refuses malformed and repeated regions, naming the field and the fix', () => {
    const problems = problemsOf({ ...multi, region: 'useast1', certificates: [{ ...multi.certificates[0], regions: ['eu-west-1', 'eu-west-1', 'Mars'] }] });
    expect(problems).toContain('region: "useast1" is not an AWS region; give the one region certbeat is deployed to, e.g. "us-east-1"');
    expect(problems).toContain('certificates[0].regions[1]: "eu-west-1" is listed twice; list each region once');
    expect(problems.some((p) => p.startsWith('certificates[0].regions[2]: "Mars" is not an AWS region; give the ACM regions'))).toBe(true);
    expect(problemsOf({ ...multi, certificates: [{ ...multi.certificates[0], regions: [] }] })[0]).toMatch(/^certificates\[0\]\.regions: is not a non-empty list/);
  });
});

describe('renewer IAM: ACM in every target region', () => {
  const statements = policyStatements(buildStack(multi, { props: { env: { account: '123456789012', region: 'us-east-1' } } }).template, RENEWER_ROLE);
  const bySid = (sid: string): Statement => statements.find((s) => s.Sid === sid)!;
  const arns = [
    'arn:aws:acm:ap-southeast-2:123456789012:certificate/*',
    'arn:aws:acm:eu-west-1:123456789012:certificate/*',
    'arn:aws:acm:us-east-1:123456789012:certificate/*',
  ];

  it('imports new and re-imports own certificates in the stack’s region and each listed one, tag conditions unchanged', () => {
    expect(bySid('ImportNewCertificates').Resource).toEqual(arns);
    expect(bySid('ManageOwnCertificates').Resource).toEqual(arns);
    expect(bySid('ManageOwnCertificates').Condition).toEqual({ StringEquals: { 'aws:ResourceTag/certbeat:stack': expect.any(String) } });
  });
});
