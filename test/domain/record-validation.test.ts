import { describe, expect, it } from 'vitest';
import { CONFIG_DEFAULTS, MAX_NAMES, validateCertificateConfig } from '../../lambda/domain/record-validation.js';

const valid = {
  id: 'www-example-com',
  names: ['example.com', '*.example.com'],
  zones: { 'example.com': 'Z0123456789ABC' },
  directoryUrl: 'https://acme-v02.api.letsencrypt.org/directory',
  keyType: 'ec256',
  owners: ['ops@example.com'],
  status: 'active',
};

function problemsOf(input: unknown): string[] {
  const result = validateCertificateConfig(input);
  if (result.ok) throw new Error(`expected problems for ${JSON.stringify(input)}`);
  return result.problems;
}

describe('validateCertificateConfig', () => {
  it('accepts a wildcard with its apex and normalizes names and zone ids', () => {
    const result = validateCertificateConfig({
      ...valid,
      names: ['Example.COM.', '*.example.com'],
      zones: { '*.example.com': '/hostedzone/Z0123456789ABC' },
      eabSecretId: 'certbeat/eab/zerossl',
      acmArn: 'ignored runtime field',
    });
    expect(result).toEqual({
      ok: true,
      value: {
        id: 'www-example-com',
        names: ['example.com', '*.example.com'],
        zones: { '*.example.com': 'Z0123456789ABC' },
        directoryUrl: valid.directoryUrl,
        eabSecretId: 'certbeat/eab/zerossl',
        keyType: 'ec256',
        owners: ['ops@example.com'],
        status: 'active',
      },
    });
  });

  it('names the index and the wildcard fix for a misused wildcard', () => {
    const problems = problemsOf({ ...valid, names: ['example.com', 'www.example.com', '*.*.example.com'] });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^names\[2\]: "\*\.\*\.example\.com" misuses the wildcard: only a whole leftmost label may be "\*"/);
    expect(problemsOf({ ...valid, names: ['www.*.example.com'] })[0]).toMatch(/^names\[0\]: .*misuses the wildcard/);
  });

  it('collapses spelling variants of one name into one, with a note naming both positions', () => {
    const result = validateCertificateConfig({ ...valid, names: ['example.com', 'www.example.com', 'WWW.example.com.'] });
    expect(result).toMatchObject({ ok: true, value: { names: ['example.com', 'www.example.com'] } });
    expect(result.ok && result.notes).toEqual(['names[2]: "WWW.example.com." is www.example.com again, as names[1] "www.example.com"; kept once']);
  });

  it(`refuses more than ${MAX_NAMES} names and an empty list`, () => {
    const many = Array.from({ length: MAX_NAMES + 1 }, (_, i) => `host${i}.example.com`);
    expect(problemsOf({ ...valid, names: many, zones: {} })).toEqual([
      `names: has ${MAX_NAMES + 1} entries, more than the ${MAX_NAMES} a certificate may carry; split them over several certificates`,
    ]);
    expect(validateCertificateConfig({ ...valid, names: many.slice(0, MAX_NAMES), zones: {} }).ok).toBe(true);
    expect(problemsOf({ ...valid, names: [], zones: {} })[0]).toMatch(/^names: is empty; give at least one DNS name/);
  });

  it('refuses single-label names, IP addresses and line breaks in names', () => {
    const problems = problemsOf({ ...valid, names: ['localhost', '192.168.0.1', 'a.example.com\r\nBcc: x@evil.test'], zones: {} });
    expect(problems[0]).toMatch(/^names\[0\]: "localhost" is not a fully qualified name/);
    expect(problems[1]).toMatch(/^names\[1\]: "192\.168\.0\.1" looks like an IP address/);
    expect(problems[2]).toMatch(/^names\[2\]: .*line break; remove it/);
    expect(problems[2]).not.toMatch(/[\r\n]/);
  });

  it('refuses owners with CR/LF (header injection) and non-addresses, without echoing the raw line break', () => {
    const problems = problemsOf({ ...valid, owners: ['ops@example.com', 'ops@example.com\r\nBcc: all@evil.test', 'Ops <ops@example.com>', 42] });
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^owners\[1\]: .*contains a line break; give a single mail address without CR or LF$/);
    expect(problems[0]).not.toMatch(/[\r\n]/);
    expect(problems[1]).toMatch(/^owners\[2\]: "Ops <ops@example\.com>" is not a mail address; write it as name@example\.com/);
    expect(problems[2]).toMatch(/^owners\[3\]: is not a string/);
  });

  it('accepts https directory URLs, and http only on loopback', () => {
    for (const url of ['https://acme.test/dir', 'http://127.0.0.1:14000/dir', 'http://localhost:4001/directory']) {
      expect(validateCertificateConfig({ ...valid, directoryUrl: url }).ok, url).toBe(true);
    }
    expect(problemsOf({ ...valid, directoryUrl: 'http://acme.example.com/dir' })[0]).toMatch(
      /^directoryUrl: "http:\/\/acme\.example\.com\/dir" must use https \(http is allowed only for 127\.0\.0\.1 or localhost\); use the CA's ACME directory URL/,
    );
    expect(problemsOf({ ...valid, directoryUrl: 'letsencrypt' })[0]).toMatch(/^directoryUrl: "letsencrypt" is not a URL; use the CA's ACME directory URL/);
    expect(problemsOf({ ...valid, directoryUrl: 'https://user:pw@acme.test/dir' })[0]).toMatch(/^directoryUrl: contains a user name or password; remove them/);
    expect(problemsOf({ ...valid, directoryUrl: undefined })[0]).toMatch(/^directoryUrl: is missing;/);
  });

  it('checks zone keys against the names and zone ids against the Route 53 form', () => {
    const problems = problemsOf({ ...valid, zones: { 'other.org': 'Z0123456789ABC', 'example.com': 'example.com.' } });
    expect(problems).toEqual([
      'zones["other.org"]: is not one of the names; use a name from names as the key, or remove the entry',
      'zones["example.com"]: "example.com." is not a hosted zone id; copy the id from Route 53, e.g. "Z0123456789ABC"',
    ]);
    expect(problemsOf({ ...valid, zones: ['Z1'] })[0]).toMatch(/^zones: is missing or not a map;/);
    // Apex and wildcard share a zone: either may key it.
    expect(validateCertificateConfig({ ...valid, names: ['example.com'], zones: { '*.example.com': 'Z0ABC' } }).ok).toBe(true);
    expect(validateCertificateConfig({ ...valid, names: ['*.example.com'], zones: { 'example.com': 'Z0ABC' } }).ok).toBe(true);
  });

  it('checks eabSecretId, keyType, status and id, each naming its field and the fix', () => {
    const problems = problemsOf({ ...valid, id: '-bad id', eabSecretId: ' ', keyType: 'rsa1024', status: 'on' });
    expect(problems).toEqual([
      'id: "-bad id" is not a valid id; use 1–128 letters, digits, ".", "_" or "-", starting with a letter or digit',
      'eabSecretId: is empty; give the name or ARN of the Secrets Manager secret holding { "keyId", "hmacKey" }, or leave the field out',
      'keyType: "rsa1024" is not a supported key type; use one of ec256, ec384, rsa2048, rsa3072, rsa4096 (ec256 is the default)',
      'status: "on" is not a status; use "active" or "paused"',
    ]);
    expect(validateCertificateConfig({ ...valid, id: 'a'.repeat(128) }).ok).toBe(true);
    expect(problemsOf({ ...valid, id: 'a'.repeat(129) })[0]).toMatch(/^id: /);
  });

  it('reports every problem of a record at once and refuses non-objects', () => {
    expect(problemsOf({}).map((p) => p.split(':')[0])).toEqual(['id', 'names', 'zones', 'directoryUrl', 'keyType', 'owners', 'status']);
    expect(problemsOf(null)[0]).toMatch(/is not an object/);
    expect(problemsOf([valid])[0]).toMatch(/is not an object/);
  });

  it('fills zones, keyType, owners and status only when asked to apply defaults', () => {
    const minimal = { id: 'api', names: ['api.example.com'], directoryUrl: 'https://acme.test/dir' };
    const result = validateCertificateConfig(minimal, { applyDefaults: true });
    expect(result).toEqual({ ok: true, value: { ...minimal, ...CONFIG_DEFAULTS } });
    expect(problemsOf(minimal).map((p) => p.split(':')[0])).toEqual(['zones', 'keyType', 'owners', 'status']);
  });
});
