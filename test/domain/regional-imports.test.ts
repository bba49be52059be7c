/**
 * regional-imports.ts with stand-in per-region stores: each region's import is sent once, an ambiguous
 * answer is settled by asking that region's ACM for the serial, refusals come back per region.
 */
import { describe, expect, it } from 'vitest';
import { ImportFailedError, ImportOutcomeUnknownError, TransientError } from '../../lambda/domain/errors.js';
import type { CertificateRecord, IssuedCertificate, StoredCertificate } from '../../lambda/domain/model.js';
import type { CertificateStore, ImportRequest } from '../../lambda/domain/ports.js';
import {
  arnIn,
  importIntoRegions,
  isMultiRegion,
  regionalImportError,
  targetRegions,
} from '../../lambda/domain/regional-imports.js';

const silent = { info() {}, warn() {}, error() {} };

const record: CertificateRecord = {
  id: 'www',
  names: ['www.example.com'],
  zones: {},
  directoryUrl: 'https://acme.example/directory',
  keyType: 'ec256',
  owners: [],
  status: 'active',
  failureCount: 0,
  nextCheckAt: '2026-01-01T00:00:00.000Z',
  regions: ['us-east-1', 'eu-west-1', 'ap-southeast-2'],
  acmArn: 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-1111-1111-1111-111111111111',
};

const issued: IssuedCertificate = {
  certificatePem: 'CERT',
  chainPem: 'CHAIN',
  privateKeyPem: 'KEY',
  names: ['www.example.com'],
  serial: '0a:1b',
  notBefore: new Date('2026-12-01T00:00:00Z'),
  notAfter: new Date('2027-03-01T00:00:00Z'),
  issuer: 'CN=test',
};

/** A region's ACM: answers an import as told, and reports `holds` for describe / findByTag. */
function store(region: string, answer: 'ok' | Error, holds?: StoredCertificate): CertificateStore & { imports: ImportRequest[] } {
  const imports: ImportRequest[] = [];
  return {
    imports,
    async import(request) {
      imports.push(request);
      if (answer !== 'ok') throw answer;
      return request.arn ?? `arn:aws:acm:${region}:123456789012:certificate/new-${region}`;
    },
    describe: async (arn) => (holds && holds.arn === arn ? holds : undefined),
    findByTag: async () => (holds ? [holds] : []),
    certificateIdOf: async () => 'www',
  };
}

describe('regions of a certificate', () => {
  it('primary first; the deployment region alone is not multi-region; acmArn is the primary region’s', () => {
    expect(targetRegions(record, 'eu-west-1')).toEqual(['us-east-1', 'eu-west-1', 'ap-southeast-2']);
    expect(targetRegions({}, 'eu-west-1')).toEqual(['eu-west-1']);
    expect(isMultiRegion({}, 'eu-west-1')).toBe(false);
    expect(isMultiRegion({ regions: ['eu-west-1'] }, 'eu-west-1')).toBe(false);
    expect(isMultiRegion({ regions: ['us-east-1'] }, 'eu-west-1')).toBe(true);
    expect(arnIn(record, 'us-east-1', 'eu-west-1')).toBe(record.acmArn);
    expect(arnIn(record, 'eu-west-1', 'eu-west-1')).toBeUndefined();
  });
});

describe('importIntoRegions', () => {
  it('sends each import once; an unknown outcome is adopted when that region holds the serial; a refusal stays a failure', async () => {
    const adopted = 'arn:aws:acm:eu-west-1:123456789012:certificate/22222222-2222-2222-2222-222222222222';
    const stores: Record<string, ReturnType<typeof store>> = {
      'us-east-1': store('us-east-1', 'ok'),
      'eu-west-1': store('eu-west-1', new ImportOutcomeUnknownError('ACM answered 503'), { arn: adopted, serial: '0A1B', inUseBy: [] }),
      'ap-southeast-2': store('ap-southeast-2', new ImportFailedError('key type change refused')),
    };
    const result = await importIntoRegions(record, issued, targetRegions(record, 'us-east-1'), {
      storeFor: (r) => stores[r],
      homeRegion: 'us-east-1',
      log: silent,
    });
    expect(result.arns).toEqual({ 'us-east-1': record.acmArn, 'eu-west-1': adopted });
    expect([...result.failed.keys()]).toEqual(['ap-southeast-2']);
    // Re-import under the known ARN; first imports carry the certbeat:id tag; nothing sent twice.
    expect(stores['us-east-1'].imports.map((i) => i.arn)).toEqual([record.acmArn]);
    expect(stores['eu-west-1'].imports).toHaveLength(1);
    expect(stores['ap-southeast-2'].imports[0]).toMatchObject({ arn: undefined, tags: { 'certbeat:id': 'www' } });

    const error = regionalImportError(result.failed, result.arns);
    expect(error).toBeInstanceOf(ImportFailedError);
    expect(error.message).toBe('not imported into ap-southeast-2 (ap-southeast-2: key type change refused); imported into us-east-1, eu-west-1');
    expect(error.remediation).toContain('imported into the missing regions only on the next attempt, without a new order');
  });

  it('an unknown outcome the region does not confirm is a retryable failure of that region only', async () => {
    const result = await importIntoRegions(record, issued, ['eu-west-1'], {
      storeFor: () => store('eu-west-1', new ImportOutcomeUnknownError('connection reset')),
      homeRegion: 'us-east-1',
      log: silent,
    });
    expect(result.arns).toEqual({ 'us-east-1': record.acmArn });
    expect(regionalImportError(result.failed, result.arns)).toBeInstanceOf(TransientError);
  });
});
