import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../cdk/certbeat-stack.js';
import { CertbeatConfigError, challengeScope, loadConfig, normalizedChallengeName, parseConfig } from '../../cdk/config.js';
import { LETS_ENCRYPT_STAGING } from '../../lambda/domain/model.js';

const valid = {
  sender: 'certbeat@example.com',
  certificates: [{ id: 'site', names: ['example.com', '*.example.com'], zoneId: 'Z0123456789ABC' }],
};

function problemsOf(input: unknown): string[] {
  try {
    parseConfig(input);
  } catch (e) {
    if (e instanceof CertbeatConfigError) return e.problems;
    throw e;
  }
  throw new Error('the config was accepted');
}

const withCertificate = (extra: Record<string, unknown>) => ({ ...valid, certificates: [{ ...valid.certificates[0], ...extra }] });

describe('parseConfig', () => {
  it('fills defaults and normalizes names and zone ids', () => {
    const config = parseConfig({
      ...valid,
      certificates: [
        { id: 'site', names: ['Example.COM.', '*.example.com'], zoneId: '/hostedzone/Z0123456789ABC' },
        { id: 'staging', names: ['test.example.net'], ca: 'letsencrypt-staging', keyType: 'rsa2048', owners: ['me@example.net'] },
      ],
    });
    expect(config).toMatchObject({ defaultRecipients: [], zoneRoles: {}, alarms: { emails: [] }, logRetentionDays: 90, schedule: {} });
    expect(config.certificates[0]).toEqual({
      id: 'site',
      names: ['example.com', '*.example.com'],
      zones: { 'example.com': 'Z0123456789ABC', '*.example.com': 'Z0123456789ABC' },
      directoryUrl: 'https://acme-v02.api.letsencrypt.org/directory',
      keyType: 'ec256',
      owners: [],
      status: 'active',
    });
    expect(config.certificates[1]).toMatchObject({ directoryUrl: LETS_ENCRYPT_STAGING, keyType: 'rsa2048', zones: {}, owners: ['me@example.net'] });
  });

  it('accepts the example config shipped beside cdk.json', () => {
    const config = loadConfig(join(PROJECT_ROOT, 'certbeat.config.example.json'));
    expect(config.certificates.map((c) => c.id)).toEqual(['www-example-com', 'shop-example-net', 'api-example-org']);
    expect(config.certificates[2].eabSecretId).toBe('certbeat/zerossl-eab');
    expect(config.digest).toEqual({ frequency: 'weekly', weekday: 'MON', time: { hour: 8, minute: 0 }, recipients: ['ops@example.com'] });
  });

  it('refuses an unknown key type, naming the field and the allowed values', () => {
    expect(problemsOf(withCertificate({ keyType: 'rsa1024' }))).toEqual([
      'certificates[0].keyType: "rsa1024" is not a supported key type; use one of ec256, ec384, rsa2048, rsa3072, rsa4096 (ec256 is the default)',
    ]);
  });

  it('refuses malformed names, one message per name', () => {
    const problems = problemsOf(withCertificate({ names: ['ok.example.com', 'bad name.example.com', '*.*.example.com', 'localhost'], zoneId: undefined }));
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^certificates\[0\]\.names\[1\]: "bad name\.example\.com" contains white space/);
    expect(problems[1]).toMatch(/^certificates\[0\]\.names\[2\]: .*misuses the wildcard/);
    expect(problems[2]).toMatch(/^certificates\[0\]\.names\[3\]: "localhost" is not a fully qualified name/);
  });

  it('refuses a missing sender with the fix', () => {
    const { sender: _, ...noSender } = valid;
    expect(problemsOf(noSender)).toEqual([
      'sender: is missing; give the SES identity certbeat sends from (a verified address or an address in a verified domain)',
    ]);
    expect(problemsOf({ ...valid, sender: 'Certbeat <certbeat@example.com>' })[0]).toMatch(/^sender: ".*" is not a mail address/);
  });

  it('refuses a CA directory URL without an EAB secret', () => {
    expect(problemsOf(withCertificate({ ca: { directoryUrl: 'https://acme.zerossl.com/v2/DV90' } }))).toEqual([
      'certificates[0].ca.eabSecretName: is missing: a CA given by directory URL needs External Account Binding; store {"keyId":"...","hmacKey":"..."} in a Secrets Manager secret and put its name here',
    ]);
  });

  it('refuses an unknown CA alias, a non-https directory URL and unknown keys', () => {
    expect(problemsOf(withCertificate({ ca: 'zerossl' }))[0]).toMatch(/^certificates\[0\]\.ca: "zerossl" is not a CA; use "letsencrypt"/);
    expect(problemsOf(withCertificate({ ca: { directoryUrl: 'http://acme.test/dir', eabSecretName: 'x' } }))[0]).toMatch(
      /^certificates\[0\]\.ca\.directoryUrl: "http:\/\/acme\.test\/dir" is not an https URL/,
    );
    expect(problemsOf({ ...withCertificate({ keytype: 'ec256' }), senderr: 'x' })).toEqual([
      'certificates[0]: unknown key(s) "keytype"; check the spelling against certbeat.config.example.json',
      '(top level): unknown key(s) "senderr"; check the spelling against certbeat.config.example.json',
    ]);
  });

  it('reports every problem at once, across certificates and deployment-wide rules', () => {
    const problems = problemsOf({
      sender: 'certbeat@example.com',
      zoneRoles: { ZUNUSED: 'arn:aws:iam::123456789012:role/dns' },
      schedule: { time: '24:00', timezone: 'Mars/Olympus' },
      certificates: [valid.certificates[0], { ...valid.certificates[0], owners: ['not-a-mail'] }],
    });
    expect(problems).toEqual([
      'schedule.time: "24:00" is not a time; use 24-hour "HH:MM", e.g. "04:17"',
      'schedule.timezone: "Mars/Olympus" is not an IANA time zone; use e.g. "Europe/Berlin" or leave it out for UTC',
      'certificates[1].owners[0]: "not-a-mail" is not a mail address; write it as name@example.com, without a display name',
    ]);
    const crossField = problemsOf({ ...valid, zoneRoles: { ZUNUSED: 'arn:aws:iam::123456789012:role/dns' }, certificates: [valid.certificates[0], valid.certificates[0]] });
    expect(crossField).toEqual([
      'certificates[1].id: "site" is already used by certificates[0]; give each certificate its own id',
      'zoneRoles.ZUNUSED: no certificate names this zone; set it as zoneId/zones of the certificates in that account, or remove the role',
    ]);
  });

  it('refuses zones keyed by a name the certificate does not have, and zoneId together with zones', () => {
    expect(problemsOf(withCertificate({ zoneId: undefined, zones: { 'other.example.org': 'Z1' } }))[0]).toMatch(
      /^certificates\[0\]\.zones\["other\.example\.org"\]: is not one of the names/,
    );
    expect(problemsOf(withCertificate({ zones: { 'example.com': 'Z1' } }))).toEqual([
      'certificates[0]: give either zoneId (one zone for all names) or zones (per name), not both',
    ]);
    expect(problemsOf(withCertificate({ zoneId: 'not a zone' }))[0]).toMatch(/^certificates\[0\]\.zoneId: "not a zone" is not a hosted zone id/);
    expect(problemsOf({ ...valid, zoneRoles: { 'not a zone': 'arn:aws:iam::123456789012:role/dns' } })).toEqual([
      'zoneRoles.not a zone: "not a zone" is not a hosted zone id; copy the id (e.g. Z0123456789ABCDEFGHIJ) from the Route 53 console',
    ]);
    expect(problemsOf({ ...valid, zoneRoles: { Z0123456789ABC: 'role/dns' } })[0]).toMatch(/^zoneRoles\.Z0123456789ABC: "role\/dns" is not an IAM role ARN/);
  });
});

describe('digest config', () => {
  const withDigest = (digest: unknown, extra: Record<string, unknown> = {}) => ({ ...valid, ...extra, digest });

  it('is off unless given', () => {
    expect(parseConfig(valid).digest).toBeUndefined();
  });

  it('fills defaults: the default recipients, 08:00, Monday for weekly, no weekday for daily', () => {
    expect(parseConfig(withDigest({ frequency: 'weekly' }, { defaultRecipients: ['ops@example.com'] })).digest).toEqual({
      frequency: 'weekly',
      recipients: ['ops@example.com'],
      time: { hour: 8, minute: 0 },
      weekday: 'MON',
    });
    expect(parseConfig(withDigest({ frequency: 'daily', time: '18:05', recipients: ['a@example.com', 'a@example.com'] })).digest).toEqual({
      frequency: 'daily',
      recipients: ['a@example.com'],
      time: { hour: 18, minute: 5 },
    });
    // An empty own list falls back to the default recipients.
    expect(parseConfig(withDigest({ frequency: 'daily', recipients: [] }, { defaultRecipients: ['ops@example.com'] })).digest?.recipients).toEqual([
      'ops@example.com',
    ]);
  });

  it('refuses an unknown or missing frequency', () => {
    expect(problemsOf(withDigest({ frequency: 'monthly', recipients: ['a@example.com'] }))).toEqual([
      'digest.frequency: "monthly" is not a digest frequency; use "daily" or "weekly"',
    ]);
    expect(problemsOf(withDigest({ recipients: ['a@example.com'] }))).toEqual([
      'digest.frequency: is missing; use "daily" or "weekly" (or remove "digest" to send no digest)',
    ]);
    expect(problemsOf(withDigest('weekly'))).toEqual(['digest: must be an object such as { "frequency": "weekly" }']);
  });

  it('refuses a weekday on a daily digest, and an unknown weekday', () => {
    expect(problemsOf(withDigest({ frequency: 'daily', weekday: 'MON', recipients: ['a@example.com'] }))).toEqual([
      'digest.weekday: only a weekly digest has a weekday; remove "weekday" or set "frequency": "weekly"',
    ]);
    expect(problemsOf(withDigest({ frequency: 'weekly', weekday: 'Monday', recipients: ['a@example.com'] }))).toEqual([
      'digest.weekday: "Monday" is not a weekday; use one of MON, TUE, WED, THU, FRI, SAT, SUN',
    ]);
  });

  it('refuses a bad recipient, a bad time and unknown keys, all at once', () => {
    expect(problemsOf(withDigest({ frequency: 'weekly', recipients: ['ops@example.com', 'Ops <ops@example.com>'], time: '8:00', every: 'week' }))).toEqual([
      'digest.recipients[1]: "Ops <ops@example.com>" is not a mail address; give a recipient of the digest, e.g. certs@example.com',
      'digest.time: "8:00" is not a time; use 24-hour "HH:MM", e.g. "04:17"',
      'digest: unknown key(s) "every"; check the spelling against certbeat.config.example.json',
    ]);
  });

  it('refuses a digest with no recipients anywhere', () => {
    const noRecipients = ['digest.recipients: the digest has no recipients; list them in digest.recipients, or set defaultRecipients'];
    expect(problemsOf(withDigest({ frequency: 'daily' }))).toEqual(noRecipients);
    expect(problemsOf(withDigest({ frequency: 'weekly', recipients: [] }, { defaultRecipients: [] }))).toEqual(noRecipients);
  });
});

describe('loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'certbeat-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('says how to create a missing file', () => {
    expect(() => loadConfig(join(dir, 'certbeat.config.json'))).toThrow(/does not exist; copy certbeat\.config\.example\.json to certbeat\.config\.json/);
  });

  it('names the file and the JSON syntax error', () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{ "sender": "a@example.com", }');
    expect(() => loadConfig(file)).toThrow(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is invalid:\\n  - is not valid JSON`));
  });
});

describe('challenge record names for the IAM conditions', () => {
  it('are _acme-challenge.<base name>: lower-case, no trailing dot, wildcard stripped', () => {
    expect(normalizedChallengeName('*.Example.COM.')).toBe('_acme-challenge.example.com');
    expect(normalizedChallengeName('www.example.com')).toBe('_acme-challenge.www.example.com');
  });

  it('are grouped per zone (apex and wildcard share one), names without zone id apart', () => {
    const config = parseConfig({
      ...valid,
      certificates: [
        { id: 'a', names: ['example.com', '*.example.com', 'www.example.com'], zoneId: 'ZONE1' },
        { id: 'b', names: ['*.b.example.net', 'b.example.net'], zones: { 'b.example.net': 'ZONE2' } },
        { id: 'c', names: ['c.example.org', '*.c.example.org'] },
      ],
    });
    const scope = challengeScope(config);
    expect(Object.fromEntries(scope.byZone)).toEqual({
      ZONE1: ['_acme-challenge.example.com', '_acme-challenge.www.example.com'],
      ZONE2: ['_acme-challenge.b.example.net'],
    });
    expect(scope.lookedUp).toEqual(['_acme-challenge.c.example.org']);
  });
});

describe('mail language and time zone', () => {
  const base = { sender: 'certbeat@example.com', certificates: [{ id: 'web', names: ['example.com'], zoneId: 'ZEXAMPLE' }] };
  it('defaults to English in UTC and takes Japanese in Asia/Tokyo', () => {
    expect(parseConfig(base).mail).toEqual({ language: 'en', timeZone: 'UTC' });
    expect(parseConfig({ ...base, mail: { language: 'ja', timeZone: 'Asia/Tokyo' } }).mail).toEqual({ language: 'ja', timeZone: 'Asia/Tokyo' });
  });
  it('refuses an unknown language or zone, naming the field and the fix', () => {
    expect(() => parseConfig({ ...base, mail: { language: 'fr' } })).toThrow(/mail\.language.*"fr" is not a mail language; use "en" or "ja"/s);
    expect(() => parseConfig({ ...base, mail: { timeZone: 'Mars/Olympus' } })).toThrow(/mail\.timeZone.*not an IANA time zone/s);
  });
});

describe('caLimits', () => {
  const base = { sender: 'certbeat@example.com', certificates: [{ id: 'web', names: ['example.com'], zoneId: 'ZEXAMPLE' }] };
  const CA = 'https://acme.enterprise-ca.example/v2/directory';

  it('is empty unless given, and takes either limit or both for any directory URL', () => {
    expect(parseConfig(base).caLimits).toEqual({});
    const caLimits = {
      [CA]: { ordersPer3Hours: 1000, certificatesPerDomainPerWeek: 500 },
      'https://acme-v02.api.letsencrypt.org/directory': { ordersPer3Hours: 600 },
    };
    expect(parseConfig({ ...base, caLimits }).caLimits).toEqual(caLimits);
  });

  it('refuses limits that are not positive whole numbers, naming caLimits.<url>.<key> and the fix', () => {
    expect(problemsOf({ ...base, caLimits: { [CA]: { ordersPer3Hours: 0, certificatesPerDomainPerWeek: 12.5 } } })).toEqual([
      `caLimits.${CA}.ordersPer3Hours: 0 is not a positive whole number; give how many new orders the CA allows one account in 3 hours, e.g. 300`,
      `caLimits.${CA}.certificatesPerDomainPerWeek: 12.5 is not a positive whole number; give how many new certificates the CA issues per registered domain in 7 days, e.g. 50`,
    ]);
    expect(problemsOf({ ...base, caLimits: { [CA]: { ordersPer3Hours: '300' } } })).toEqual([
      `caLimits.${CA}.ordersPer3Hours: "300" is not a positive whole number; give how many new orders the CA allows one account in 3 hours, e.g. 300`,
    ]);
  });

  it('refuses a key that is no https URL, unknown keys, an empty entry and a non-object', () => {
    expect(problemsOf({ ...base, caLimits: { 'acme.example/dir': { ordersPer3Hours: 1 }, [CA]: { perDay: 5 } } })).toEqual([
      'caLimits.acme.example/dir: "acme.example/dir" is not an https URL; key each entry by the CA\'s ACME directory URL as the certificates give it, e.g. "https://acme.example-ca.com/directory"',
      `caLimits.${CA}: unknown key(s) "perDay"; use ordersPer3Hours and/or certificatesPerDomainPerWeek`,
    ]);
    expect(problemsOf({ ...base, caLimits: { [CA]: {} } })).toEqual([
      `caLimits.${CA}: gives no limit; set ordersPer3Hours and/or certificatesPerDomainPerWeek, or remove the entry`,
    ]);
    expect(problemsOf({ ...base, caLimits: [300] })).toEqual([expect.stringMatching(/^caLimits: must be an object of CA directory URL to limits, e\.g\. /)]);
  });
});
