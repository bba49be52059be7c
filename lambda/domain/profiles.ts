/**
 * ACME profiles (draft-ietf-acme-profiles): a certificate may name the profile to order (Let's Encrypt:
 * `classic`, `tlsserver`, `shortlived`) and what to order when the CA refuses or retired it
 * (`profileFallback`: another profile, or `none` for the CA's default). The directory's `meta.profiles`
 * is canonical: pre-flight and doctor compare the configured profile with it.
 */
import { printable } from './names.js';
import type { Finding } from './notices.js';

const PROFILE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** The `profileFallback` that orders without a profile (the CA's default). */
export const NO_PROFILE = 'none';

/** Checks `profile` and `profileFallback`, pushing a problem per bad field; returns the valid values. */
export function checkProfiles(raw: Record<string, unknown>, problems: string[]): { profile?: string; profileFallback?: string } {
  const out: { profile?: string; profileFallback?: string } = {};
  for (const field of ['profile', 'profileFallback'] as const) {
    const value = raw[field];
    if (value === undefined) continue;
    if (typeof value !== 'string' || !PROFILE_PATTERN.test(value) || (field === 'profile' && value === NO_PROFILE)) {
      problems.push(
        `${field}: "${printable(String(value))}" is not a profile name; give one the CA's directory lists in meta.profiles (Let's Encrypt: classic, tlsserver, shortlived)${field === 'profileFallback' ? `, or "${NO_PROFILE}" for the CA's default` : ', or leave the field out for the CA\u2019s default'}`,
      );
      continue;
    }
    out[field] = value;
  }
  if (out.profileFallback !== undefined && raw.profile === undefined) problems.push('profileFallback: is set without a profile; set profile too, or remove profileFallback');
  return out;
}

/**
 * The pre-flight finding for a certificate's profile against the directory's `meta.profiles` (names →
 * descriptions), or `undefined` when there is nothing to say.
 */
export function profileFinding(profile: string | undefined, fallback: string | undefined, advertised: Record<string, string> | undefined, directoryUrl: string): Finding | undefined {
  if (!profile) return undefined;
  const names = Object.keys(advertised ?? {});
  const list = names.length > 0 ? names.join(', ') : 'none';
  if (names.includes(profile)) return { check: 'profile', ok: true, message: `the CA offers profile ${profile}` };
  const then = fallback === undefined ? 'orders will be refused' : fallback === NO_PROFILE ? 'certbeat orders without a profile (the CA\u2019s default)' : `certbeat orders profile ${fallback}`;
  return {
    check: 'profile',
    ok: false,
    message: `${directoryUrl} does not offer profile ${profile} (its directory lists: ${list}); ${then}`,
    fix: `Set profile to one of: ${list}${fallback === undefined ? ', or set profileFallback' : ''}.`,
  };
}
