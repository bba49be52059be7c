import { describe, expect, it } from 'vitest';
import { ENV, loadRuntimeConfig } from '../lambda/config.js';

const base = { [ENV.tableName]: 't', [ENV.sender]: 'a@example.com', [ENV.accountSecretId]: 's' };
const CA = 'https://acme.enterprise-ca.example/v2/directory';

describe('CERTBEAT_CA_LIMITS', () => {
  it('is empty when unset, and read as a JSON object of directory URL to limits', () => {
    expect(loadRuntimeConfig(base).caLimits).toEqual({});
    expect(loadRuntimeConfig({ ...base, [ENV.caLimits]: JSON.stringify({ [CA]: { ordersPer3Hours: 20 } }) }).caLimits).toEqual({ [CA]: { ordersPer3Hours: 20 } });
  });

  it('refuses bad JSON and bad values at start, naming the variable, the entry and the fix', () => {
    expect(() => loadRuntimeConfig({ ...base, [ENV.caLimits]: '{"x":' })).toThrow(/CERTBEAT_CA_LIMITS: is not JSON; give an object of directory URL to \{ "ordersPer3Hours": n/);
    expect(() => loadRuntimeConfig({ ...base, [ENV.caLimits]: JSON.stringify({ [CA]: { ordersPer3Hours: -1 } }) })).toThrow(
      `CERTBEAT_CA_LIMITS: ${CA}.ordersPer3Hours: -1 is not a positive whole number; give how many new orders the CA allows one account in 3 hours, e.g. 300`,
    );
  });
});
