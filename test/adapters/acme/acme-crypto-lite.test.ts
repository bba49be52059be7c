/**
 * The node:crypto substitute for acme-client's crypto module (the Lambda bundle's) answers as the
 * original does for what acme-client's modules call; the rest says why it is missing.
 */
import { crypto as acmeCrypto } from 'acme-client';
import { describe, expect, it } from 'vitest';
import * as lite from '../../../lambda/adapters/acme/acme-crypto-lite.js';
import { createCsr, generatePrivateKey } from '../../../lambda/adapters/acme/csr.js';
import { makeTestCa } from '../../support/test-certificates.js';

describe('acme-crypto-lite against acme-client crypto', () => {
  it.each(['ec256', 'ec384', 'rsa2048'] as const)('getJwk (%s): the same JWK, members in the same order', async (keyType) => {
    const key = await generatePrivateKey(keyType);
    const ours = lite.getJwk(key);
    const theirs = acmeCrypto.getJwk(key);
    expect(ours).toEqual(theirs);
    expect(Object.keys(ours)).toEqual(Object.keys(theirs));
    expect(lite.getJwk(Buffer.from(key))).toEqual(theirs);
  });

  it('splitPemChain and getPemBodyAsB64u: the same blocks and body for a chain, a CSR and a key', async () => {
    const key = await generatePrivateKey('ec256');
    const ca = await makeTestCa('lite');
    const issued = await ca.issue(['example.test']);
    await ca.dispose();
    const chain = `${issued.certificatePem}${issued.chainPem}`;
    for (const pem of [chain, createCsr(['example.test'], key), key, `junk before\n${chain}\njunk after`]) {
      expect(lite.splitPemChain(pem)).toEqual(acmeCrypto.splitPemChain(pem));
      expect(lite.getPemBodyAsB64u(pem)).toBe(acmeCrypto.getPemBodyAsB64u(pem));
    }
    expect(() => lite.getPemBodyAsB64u('no pem here')).toThrow('Unable to parse PEM body from string');
  });

  it('anything else throws, saying why it is not in the bundle', () => {
    expect(() => lite.readCertificateInfo()).toThrow(/crypto\.readCertificateInfo is not in the certbeat Lambda bundle/);
    expect(() => lite.createCsr()).toThrow(/csr\.ts/);
  });
});
