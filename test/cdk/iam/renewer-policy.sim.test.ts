/**
 * The renewal Lambda's synthesized policies, evaluated by an IAM policy simulator
 * (@cloud-copilot/iam-simulate, strict mode) instead of read for their shape.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { BASE_CONFIG, buildStack } from '../stack-fixture.js';
import { ACCOUNT, REGION, evaluate, rolePolicies } from './simulator.js';

const zone = (id: string) => `arn:aws:route53:::hostedzone/${id}`;
const certificate = (id: string) => `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/${id}`;
const secret = (name: string) => `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-AbCdEf`;

function change(names: string[], types = ['TXT'], actions = ['UPSERT']) {
  return {
    'route53:ChangeResourceRecordSetsNormalizedRecordNames': names,
    'route53:ChangeResourceRecordSetsRecordTypes': types,
    'route53:ChangeResourceRecordSetsActions': actions,
  };
}

const newImportTags = (stack = 'Certbeat', extra: Record<string, string> = {}): Record<string, string | string[]> => {
  const tags: Record<string, string> = { 'certbeat:id': 'site', 'certbeat:names': 'example.com _.example.com', 'certbeat:stack': stack, ...extra };
  return {
    ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:RequestTag/${k}`, v])),
    'aws:TagKeys': Object.keys(tags),
  };
};

let policies: Awaited<ReturnType<typeof rolePolicies>>;

beforeAll(() => {
  const { template } = buildStack(
    {
      ...BASE_CONFIG,
      certificates: [
        { id: 'site', names: ['example.com', '*.example.com'], zoneId: 'ZEXAMPLECOM', ca: { directoryUrl: 'https://acme.zerossl.com/v2/DV90', eabSecretName: 'certbeat/eab/zerossl' } },
        { id: 'shop', names: ['shop.example.net'], zones: { 'shop.example.net': 'ZEXAMPLENET' } },
      ],
    },
    { props: { env: { account: ACCOUNT, region: REGION } } },
  );
  policies = rolePolicies(template, 'RenewalRenewerRole');
});

describe('Route 53', () => {
  it('allows UPSERT and DELETE of the configured _acme-challenge TXT records, each in its zone', async () => {
    for (const action of ['UPSERT', 'DELETE']) {
      const request = (zoneId: string, names: string[]) => ({ action: 'route53:ChangeResourceRecordSets', resource: zone(zoneId), context: change(names, ['TXT'], [action]) });
      expect(await evaluate(policies, request('ZEXAMPLECOM', ['_acme-challenge.example.com']))).toBe('Allowed');
      expect(await evaluate(policies, request('ZEXAMPLENET', ['_acme-challenge.shop.example.net']))).toBe('Allowed');
    }
  });

  it('denies any other record name, type, action or zone', async () => {
    const cases = [
      { zoneId: 'ZEXAMPLECOM', context: change(['www.example.com']) },
      { zoneId: 'ZEXAMPLECOM', context: change(['example.com']) },
      { zoneId: 'ZEXAMPLECOM', context: change(['_acme-challenge.other.example.com']) },
      { zoneId: 'ZEXAMPLECOM', context: change(['_acme-challenge.example.com', 'www.example.com']) },
      { zoneId: 'ZEXAMPLECOM', context: change(['_acme-challenge.example.com'], ['CNAME']) },
      { zoneId: 'ZEXAMPLECOM', context: change(['_acme-challenge.example.com'], ['TXT', 'A']) },
      { zoneId: 'ZEXAMPLECOM', context: change(['_acme-challenge.example.com'], ['TXT'], ['CREATE']) },
      // A name configured for the other zone is not writable in this one.
      { zoneId: 'ZEXAMPLECOM', context: change(['_acme-challenge.shop.example.net']) },
      { zoneId: 'ZFOREIGN', context: change(['_acme-challenge.example.com']) },
    ];
    for (const c of cases) {
      expect(await evaluate(policies, { action: 'route53:ChangeResourceRecordSets', resource: zone(c.zoneId), context: c.context }), JSON.stringify(c)).toBe(
        'ImplicitlyDenied',
      );
    }
  });
});

describe('ACM', () => {
  it('allows a first import tagged with this deployment, and its tag-on-create check', async () => {
    for (const action of ['acm:ImportCertificate', 'acm:AddTagsToCertificate']) {
      expect(await evaluate(policies, { action, resource: certificate('new-0001'), context: newImportTags() })).toBe('Allowed');
    }
  });

  it('denies a first import tagged for another deployment, without an id, or with other tags', async () => {
    expect(await evaluate(policies, { action: 'acm:ImportCertificate', resource: certificate('new-0001'), context: newImportTags('Other') })).toBe('ImplicitlyDenied');
    expect(await evaluate(policies, { action: 'acm:ImportCertificate', resource: certificate('new-0001'), context: newImportTags('Certbeat', { team: 'x' }) })).toBe(
      'ImplicitlyDenied',
    );
    const { 'aws:RequestTag/certbeat:id': _id, ...noId } = newImportTags();
    expect(await evaluate(policies, { action: 'acm:ImportCertificate', resource: certificate('new-0001'), context: { ...noId, 'aws:TagKeys': ['certbeat:names', 'certbeat:stack'] } })).toBe(
      'ImplicitlyDenied',
    );
  });

  it("allows re-import and describe only on this deployment's certificates", async () => {
    for (const action of ['acm:ImportCertificate', 'acm:DescribeCertificate']) {
      const own = { 'aws:ResourceTag/certbeat:stack': 'Certbeat', 'aws:ResourceTag/certbeat:id': 'site' };
      expect(await evaluate(policies, { action, resource: certificate('own-1'), context: own })).toBe('Allowed');
      expect(await evaluate(policies, { action, resource: certificate('foreign-1'), context: {} })).toBe('ImplicitlyDenied');
      expect(await evaluate(policies, { action, resource: certificate('foreign-2'), context: { 'aws:ResourceTag/team': 'web' } })).toBe('ImplicitlyDenied');
    }
  });

  it("denies importing over, or tagging, a certificate of another deployment with the same certificate id (explicitly)", async () => {
    const other = { 'aws:ResourceTag/certbeat:stack': 'OtherStack', 'aws:ResourceTag/certbeat:id': 'site' };
    expect(await evaluate(policies, { action: 'acm:ImportCertificate', resource: certificate('other-1'), context: other })).toBe('ExplicitlyDenied');
    expect(await evaluate(policies, { action: 'acm:AddTagsToCertificate', resource: certificate('other-1'), context: { ...other, ...newImportTags() } })).toBe(
      'ExplicitlyDenied',
    );
  });

  it('denies re-tagging a certificate that already carries a certbeat:stack tag, even its own', async () => {
    const own = { 'aws:ResourceTag/certbeat:stack': 'Certbeat', 'aws:ResourceTag/certbeat:id': 'site' };
    expect(await evaluate(policies, { action: 'acm:AddTagsToCertificate', resource: certificate('own-1'), context: { ...own, ...newImportTags() } })).toBe(
      'ImplicitlyDenied',
    );
    // A foreign certificate protected by any certbeat:stack value (e.g. "none") cannot be claimed.
    const protectedCert = { 'aws:ResourceTag/certbeat:stack': 'none' };
    expect(await evaluate(policies, { action: 'acm:AddTagsToCertificate', resource: certificate('manual-1'), context: { ...protectedCert, ...newImportTags() } })).toBe(
      'ExplicitlyDenied',
    );
  });

  it('denies tagging a foreign certificate with anything but exactly the tags of a first import', async () => {
    const foreign = { 'aws:ResourceTag/team': 'web' };
    expect(await evaluate(policies, { action: 'acm:AddTagsToCertificate', resource: certificate('foreign-1'), context: { ...foreign, 'aws:RequestTag/certbeat:id': 'site', 'aws:TagKeys': ['certbeat:id'] } })).toBe(
      'ImplicitlyDenied',
    );
    expect(await evaluate(policies, { action: 'acm:AddTagsToCertificate', resource: certificate('foreign-1'), context: { ...foreign, ...newImportTags('OtherStack') } })).toBe(
      'ImplicitlyDenied',
    );
  });

  it('RESIDUAL RISK (documented in README): a certificate without any certbeat:stack tag can be tagged like a first import', async () => {
    // IAM cannot tell ACM's tag-on-create check from tagging an existing certificate (ACM_RESIDUAL_RISK).
    const foreign = { 'aws:ResourceTag/team': 'web' };
    expect(await evaluate(policies, { action: 'acm:AddTagsToCertificate', resource: certificate('foreign-1'), context: { ...foreign, ...newImportTags() } })).toBe(
      'Allowed',
    );
  });
});

describe('Secrets Manager', () => {
  it("allows the pending-import slot under this stack's prefix, the EAB secret and the account key", async () => {
    for (const action of ['secretsmanager:CreateSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:DeleteSecret']) {
      expect(await evaluate(policies, { action, resource: secret('certbeat/Certbeat/pending/site') })).toBe('Allowed');
    }
    expect(await evaluate(policies, { action: 'secretsmanager:GetSecretValue', resource: secret('certbeat/eab/zerossl') })).toBe('Allowed');
    const accountKey = policies.flatMap((p) => (p.policy as any).Statement).find((s: any) => s.Sid === 'AccountKey').Resource as string;
    expect(await evaluate(policies, { action: 'secretsmanager:GetSecretValue', resource: accountKey })).toBe('Allowed');
  });

  it('denies secrets outside the prefix', async () => {
    for (const name of ['certbeat/OtherStack/pending/site', 'certbeat/Certbeat/other', 'prod/database', 'certbeat/eab/other']) {
      expect(await evaluate(policies, { action: 'secretsmanager:GetSecretValue', resource: secret(name) }), name).toBe('ImplicitlyDenied');
    }
    expect(await evaluate(policies, { action: 'secretsmanager:DeleteSecret', resource: secret('certbeat/eab/zerossl') })).toBe('ImplicitlyDenied');
  });
});

describe('SES', () => {
  const identity = `arn:aws:ses:${REGION}:${ACCOUNT}:identity/example.com`;
  it('allows mail from the configured sender', async () => {
    expect(await evaluate(policies, { action: 'ses:SendEmail', resource: identity, context: { 'ses:FromAddress': 'certbeat@example.com' } })).toBe('Allowed');
  });
  it('denies mail from another address', async () => {
    for (const from of ['ceo@example.com', 'certbeat@example.org']) {
      expect(await evaluate(policies, { action: 'ses:SendEmail', resource: identity, context: { 'ses:FromAddress': from } }), from).toBe('ImplicitlyDenied');
    }
  });
});
