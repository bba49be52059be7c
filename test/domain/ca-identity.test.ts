import { describe, expect, it } from 'vitest';
import { caaIdentitiesFor, identifyCa } from '../../lambda/domain/ca-identity.js';
import { LETS_ENCRYPT_PRODUCTION, LETS_ENCRYPT_STAGING } from '../../lambda/domain/model.js';

describe('identifyCa / caaIdentitiesFor', () => {
  it.each([
    [LETS_ENCRYPT_PRODUCTION, "Let's Encrypt", 'letsencrypt.org'],
    [LETS_ENCRYPT_STAGING, "Let's Encrypt", 'letsencrypt.org'],
    ['https://acme.zerossl.com/v2/DV90', 'ZeroSSL', 'sectigo.com'],
    ['https://dv.acme-v02.api.pki.goog/directory', 'Google Trust Services', 'pki.goog'],
    ['https://dv.acme-v02.test-api.pki.goog/directory', 'Google Trust Services', 'pki.goog'],
    ['https://one.digicert.com/mpki/api/v1/acme/v2/directory', 'DigiCert', 'digicert.com'],
    ['https://acme.sectigo.com/v2/DV', 'Sectigo', 'sectigo.com'],
    ['https://api.buypass.com/acme/directory', 'Buypass', 'buypass.com'],
    ['https://acme.ssl.com/sslcom-dv-ecc', 'SSL.com', 'ssl.com'],
    ['https://acme-api.actalis.com/acme/directory', 'Actalis', 'actalis.it'],
  ])('%s → %s (%s first)', (url, name, primary) => {
    expect(identifyCa(url)?.name).toBe(name);
    expect(caaIdentitiesFor(url)[0]).toBe(primary);
  });

  it('does not match look-alike hosts', () => {
    expect(identifyCa('https://letsencrypt.org.evil.test/directory')).toBeUndefined();
    expect(identifyCa('https://notletsencrypt.org/directory')).toBeUndefined();
  });

  it('knows nothing of pebble or a malformed URL', () => {
    expect(identifyCa('https://127.0.0.1:14000/dir')).toBeUndefined();
    expect(caaIdentitiesFor('https://127.0.0.1:14000/dir')).toEqual([]);
    expect(caaIdentitiesFor('not a url')).toEqual([]);
  });

  it('lets a per-certificate override replace the table, normalised', () => {
    expect(caaIdentitiesFor('https://127.0.0.1:14000/dir', [' Pebble.Test. ', 'pebble.test', ''])).toEqual(['pebble.test']);
    expect(caaIdentitiesFor(LETS_ENCRYPT_PRODUCTION, ['internal-ca.example'])).toEqual(['internal-ca.example']);
    expect(caaIdentitiesFor(LETS_ENCRYPT_PRODUCTION, [])).toEqual(['letsencrypt.org']);
  });
});
