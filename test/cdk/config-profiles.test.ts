import { describe, expect, it } from 'vitest';
import { CertbeatConfigError, parseConfig } from '../../cdk/config.js';

const withCertificate = (extra: Record<string, unknown>) => ({
  sender: 'certbeat@example.com',
  certificates: [{ id: 'site', names: ['example.com'], zoneId: 'Z0123456789ABC', ...extra }],
});

describe('certificate profiles in the deployment config', () => {
  it('carries profile and profileFallback to the inventory record', () => {
    const config = parseConfig(withCertificate({ profile: 'tlsserver', profileFallback: 'classic' }));
    expect(config.certificates[0]).toMatchObject({ profile: 'tlsserver', profileFallback: 'classic' });
    expect(parseConfig(withCertificate({})).certificates[0]).not.toHaveProperty('profile');
  });

  it('refuses a malformed profile, naming the field', () => {
    let problems: string[] = [];
    try {
      parseConfig(withCertificate({ profile: 'short lived' }));
    } catch (e) {
      if (e instanceof CertbeatConfigError) problems = e.problems;
    }
    expect(problems).toEqual([expect.stringMatching(/^certificates\[0\]\.profile: "short lived" is not a profile name/)]);
  });
});
