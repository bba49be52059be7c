import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChalltestsrv, type Challtestsrv } from './challtestsrv.js';
import { startPebble, type Pebble } from './pebble.js';
import { httpsGet } from './tls.js';

describe('startPebble', () => {
  let dns: Challtestsrv;
  let pebble: Pebble;

  beforeAll(async () => {
    dns = await startChalltestsrv();
    pebble = await startPebble({ dnsServer: dns.dnsAddress });
  });
  afterAll(async () => {
    await pebble?.stop();
    await dns?.stop();
  });

  it('serves an ACME directory over HTTPS trusted through tlsCaPem', async () => {
    const res = await httpsGet(pebble.directoryUrl, pebble.tlsCaPem);
    expect(res.status).toBe(200);
    const dir = JSON.parse(res.body) as Record<string, unknown>;
    expect(dir.newAccount).toEqual(expect.stringMatching(/^https:\/\/127\.0\.0\.1:\d+\//));
    expect(dir.newOrder).toEqual(expect.any(String));
    expect(dir.meta).not.toMatchObject({ externalAccountRequired: true });
    expect(await readFile(pebble.tlsCaFile, 'utf8')).toBe(pebble.tlsCaPem);
  });

  it('is not trusted without its CA', async () => {
    expect(new X509Certificate(pebble.tlsCaPem).ca).toBe(true);
    // An empty CA list falls back to the public roots, which do not include the throwaway CA.
    await expect(httpsGet(pebble.directoryUrl, '')).rejects.toThrow(/self-signed|unable to (verify|get)/i);
  });

  it('exposes its issuing root and intermediate, the intermediate signed by the root', async () => {
    const root = new X509Certificate(await pebble.issuingRootPem());
    const intermediate = new X509Certificate(await pebble.issuingIntermediatePem());
    expect(root.ca).toBe(true);
    expect(intermediate.checkIssued(root)).toBe(true);
    expect(intermediate.verify(root.publicKey)).toBe(true);
  });

  it('requires External Account Binding when EAB keys are given, and removes its files on stop', async () => {
    const eab = await startPebble({ dnsServer: dns.dnsAddress, eabKeys: { 'kid-1': 'c2VjcmV0LWhtYWMta2V5LWZvci10ZXN0cw' } });
    const dir = JSON.parse((await httpsGet(eab.directoryUrl, eab.tlsCaPem)).body) as { meta?: { externalAccountRequired?: boolean } };
    expect(dir.meta?.externalAccountRequired).toBe(true);
    await eab.stop();
    expect(existsSync(eab.tlsCaFile)).toBe(false);
    await expect(httpsGet(eab.directoryUrl, eab.tlsCaPem, 1000)).rejects.toThrow();
  });
});
