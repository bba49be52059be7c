import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawAcmeClient } from './acme-raw.js';
import { startChalltestsrv, type Challtestsrv } from './challtestsrv.js';
import { startPebble, type Pebble } from './pebble.js';

const DAY_MS = 86_400_000;

describe('pebble with caller-given environment, restart and lifetime', () => {
  let dns: Challtestsrv;
  let pebble: Pebble;

  beforeAll(async () => {
    dns = await startChalltestsrv();
    // Always-valid: issuance without publishing TXT records, so the test watches only pebble.
    pebble = await startPebble({ dnsServer: dns.dnsAddress, env: { PEBBLE_VA_ALWAYS_VALID: '1' } });
  });
  afterAll(async () => {
    await pebble?.stop();
    await dns?.stop();
  });

  it('issues certificates valid for 90 days by default, honouring PEBBLE_VA_ALWAYS_VALID', async () => {
    const acme = new RawAcmeClient(pebble.directoryUrl, pebble.tlsCaPem);
    await acme.loadDirectory();
    expect((await acme.register()).status).toBe(201);
    // No TXT record exists for this name: only the always-valid override lets the order succeed.
    const chain = await acme.issueAlwaysValid(['ninety.test']);
    const leaf = new X509Certificate(chain);
    const lifetime = Date.parse(leaf.validTo) - Date.parse(leaf.validFrom);
    expect(lifetime / DAY_MS).toBeCloseTo(90, 0);
    expect(leaf.subjectAltName).toBe('DNS:ninety.test');
  });

  it('takes a certificate lifetime in seconds', async () => {
    const short = await startPebble({ dnsServer: dns.dnsAddress, env: { PEBBLE_VA_ALWAYS_VALID: '1' }, certificateValiditySeconds: 6 * 86_400 });
    try {
      const acme = new RawAcmeClient(short.directoryUrl, short.tlsCaPem);
      await acme.loadDirectory();
      await acme.register();
      const leaf = new X509Certificate(await acme.issueAlwaysValid(['six.test']));
      expect((Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / DAY_MS).toBeCloseTo(6, 0);
    } finally {
      await short.stop();
    }
  });

  it('restarts on the same ports with the same TLS CA file, forgets accounts, and takes new env (nonce rejects)', async () => {
    const before = new RawAcmeClient(pebble.directoryUrl, pebble.tlsCaPem);
    await before.loadDirectory();
    expect((await before.register()).status).toBe(201);
    const rootBefore = await pebble.issuingRootPem();
    const { directoryUrl, managementUrl, tlsCaFile, tlsCaPem } = pebble;

    await pebble.restart({ PEBBLE_WFE_NONCEREJECT: '100' });

    expect(pebble.directoryUrl).toBe(directoryUrl);
    expect(pebble.managementUrl).toBe(managementUrl);
    expect(pebble.tlsCaFile).toBe(tlsCaFile);
    expect(await readFile(tlsCaFile, 'utf8')).toBe(tlsCaPem);
    // A new process: a new issuing root.
    expect(await pebble.issuingRootPem()).not.toBe(rootBefore);

    // Every nonce is rejected now: a fresh newNonce followed by a signed POST gets badNonce.
    const rejected = new RawAcmeClient(pebble.directoryUrl, pebble.tlsCaPem);
    await rejected.loadDirectory();
    const res = await rejected.register();
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ type: 'urn:ietf:params:acme:error:badNonce' });

    // Without env, restart keeps the current overrides; with {} it is back to the quiet defaults.
    await pebble.restart();
    expect((await rejected.register()).json).toMatchObject({ type: 'urn:ietf:params:acme:error:badNonce' });
    await pebble.restart({ PEBBLE_VA_ALWAYS_VALID: '1' });

    // The old account is gone (pebble keeps no state); a new one registers through the same URL.
    const stale = await before.post(before.kid!, undefined);
    expect(stale.json).toMatchObject({ type: 'urn:ietf:params:acme:error:accountDoesNotExist' });
    const after = new RawAcmeClient(pebble.directoryUrl, pebble.tlsCaPem);
    await after.loadDirectory();
    expect((await after.register()).status).toBe(201);
    expect(after.kid).not.toBe(before.kid);
  });
});
