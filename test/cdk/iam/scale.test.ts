/**
 * IAM at scale: 1,000 certificates × 2 names in 5 zones synthesize into policies within IAM's quotas
 * (IAM and AWS STS quotas: all inline policies of a role together ≤ 10,240 characters, a managed policy
 * ≤ 6,144, whitespace not counted), and the compacted Route 53 conditions still confine the role.
 */
import { describe, expect, it } from 'vitest';
import { BASE_CONFIG, buildStack } from '../stack-fixture.js';
import { ACCOUNT, REGION, evaluate, resolve, rolePolicies } from './simulator.js';

export const INLINE_POLICIES_PER_ROLE = 10_240;
export const MANAGED_POLICY = 6_144;

type Resources = Record<string, { Type: string; Properties?: Record<string, any> }>;

const ZONES = 5;
const CERTIFICATES = 1_000;

function fleet() {
  return Array.from({ length: CERTIFICATES }, (_, i) => {
    const z = i % ZONES;
    return { id: `cert-${i}`, names: [`host${i}.zone${z}.example.com`, `www.host${i}.zone${z}.example.com`], zoneId: `ZZONE${z}` };
  });
}

/** IAM counts policy characters without whitespace outside strings: minified JSON. */
const size = (doc: unknown) => JSON.stringify(doc).length;

describe('1,000 certificates × 2 names in 5 zones', () => {
  const { template } = buildStack({ ...BASE_CONFIG, certificates: fleet() }, { props: { env: { account: ACCOUNT, region: REGION } } });
  const resources = template.toJSON().Resources as Resources;

  it('keeps every role within the inline and managed policy size quotas', () => {
    const inlineByRole = new Map<string, number>();
    const managed: number[] = [];
    for (const r of Object.values(resources)) {
      const roles = ((r.Properties?.Roles as Array<{ Ref: string }>) ?? []).map((x) => x.Ref);
      if (r.Type === 'AWS::IAM::Policy') for (const role of roles) inlineByRole.set(role, (inlineByRole.get(role) ?? 0) + size(resolve(r.Properties!.PolicyDocument, resources)));
      if (r.Type === 'AWS::IAM::ManagedPolicy') managed.push(size(resolve(r.Properties!.PolicyDocument, resources)));
    }
    for (const [id, r] of Object.entries(resources)) {
      if (r.Type !== 'AWS::IAM::Role') continue;
      for (const p of (r.Properties?.Policies as Array<{ PolicyDocument: unknown }>) ?? []) inlineByRole.set(id, (inlineByRole.get(id) ?? 0) + size(resolve(p.PolicyDocument, resources)));
    }
    const renewer = [...inlineByRole].find(([role]) => role.startsWith('RenewalRenewerRole'))!;
    console.log(`policy sizes at ${CERTIFICATES} certificates: ${[...inlineByRole].map(([r, n]) => `${r} ${n}`).join(', ')}; managed ${managed.join(', ') || 'none'}`);
    expect(renewer[1]).toBeGreaterThan(0);
    for (const [role, n] of inlineByRole) expect(n, role).toBeLessThanOrEqual(INLINE_POLICIES_PER_ROLE);
    for (const n of managed) expect(n).toBeLessThanOrEqual(MANAGED_POLICY);
  });

  it('still allows the configured challenge records and nothing outside them', async () => {
    const policies = rolePolicies(template, 'RenewalRenewerRole');
    const change = (zone: string, names: string[], types = ['TXT']) => ({
      action: 'route53:ChangeResourceRecordSets',
      resource: `arn:aws:route53:::hostedzone/${zone}`,
      context: {
        'route53:ChangeResourceRecordSetsNormalizedRecordNames': names,
        'route53:ChangeResourceRecordSetsRecordTypes': types,
        'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
      },
    });
    expect(await evaluate(policies, change('ZZONE2', ['_acme-challenge.host7.zone2.example.com', '_acme-challenge.www.host997.zone2.example.com']))).toBe('Allowed');
    expect(await evaluate(policies, change('ZZONE2', ['www.host7.zone2.example.com']))).toBe('ImplicitlyDenied');
    expect(await evaluate(policies, change('ZZONE2', ['_acme-challenge.host7.zone2.example.com'], ['CNAME']))).toBe('ImplicitlyDenied');
    expect(await evaluate(policies, change('ZZONE2', ['_acme-challenge.host8.zone3.example.com']))).toBe('ImplicitlyDenied');
    expect(await evaluate(policies, change('ZZONE9', ['_acme-challenge.host7.zone2.example.com']))).toBe('ImplicitlyDenied');
    // ACM is scoped by the deployment tag, not by listing 1,000 ids.
    expect(await evaluate(policies, { action: 'acm:ImportCertificate', resource: `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/x`, context: { 'aws:ResourceTag/certbeat:stack': 'Certbeat' } })).toBe(
      'Allowed',
    );
  });
});
