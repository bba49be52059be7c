import { describe, expect, it } from 'vitest';
import { checkProfiles, profileFinding } from '../../lambda/domain/profiles.js';
import { validateCertificateConfig } from '../../lambda/domain/record-validation.js';

const base = { id: 'web', names: ['example.com'], directoryUrl: 'https://acme-v02.api.letsencrypt.org/directory' };

describe('profile configuration', () => {
  it('keeps a valid profile and fallback, and refuses malformed ones naming the field', () => {
    const ok = validateCertificateConfig({ ...base, profile: 'tlsserver', profileFallback: 'none' }, { applyDefaults: true });
    expect(ok.ok && ok.value).toMatchObject({ profile: 'tlsserver', profileFallback: 'none' });
    const bad = validateCertificateConfig({ ...base, profile: 'tls server', profileFallback: 7 }, { applyDefaults: true });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.problems).toEqual([
        expect.stringMatching(/^profile: "tls server" is not a profile name; .*classic, tlsserver, shortlived/),
        expect.stringMatching(/^profileFallback: "7" is not a profile name; .*or "none"/),
      ]);
    }
    const problems: string[] = [];
    checkProfiles({ profileFallback: 'classic' }, problems);
    expect(problems).toEqual(['profileFallback: is set without a profile; set profile too, or remove profileFallback']);
    expect(validateCertificateConfig({ ...base, profile: 'none' }).ok).toBe(false);
  });
});

describe('profileFinding (pre-flight and doctor)', () => {
  const advertised = { classic: '90 days', tlsserver: '45 days', shortlived: '160 hours' };
  it('is fine when the directory lists the profile, and names the advertised profiles when it does not', () => {
    expect(profileFinding('tlsserver', undefined, advertised, 'https://ca.test/dir')).toMatchObject({ check: 'profile', ok: true });
    const missing = profileFinding('mediumlived', 'classic', advertised, 'https://ca.test/dir')!;
    expect(missing.ok).toBe(false);
    expect(missing.message).toBe('https://ca.test/dir does not offer profile mediumlived (its directory lists: classic, tlsserver, shortlived); certbeat orders profile classic');
    expect(profileFinding('mediumlived', undefined, {}, 'https://ca.test/dir')!.message).toMatch(/lists: none\); orders will be refused/);
    expect(profileFinding(undefined, undefined, advertised, 'https://ca.test/dir')).toBeUndefined();
  });
});
