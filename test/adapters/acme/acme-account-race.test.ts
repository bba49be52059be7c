/**
 * Item 8 of "no silent loss": runs that start at the same time with no ACME account yet must end up
 * with one stored key and one account, both using it. Real Secrets Manager wire protocol (the emulator),
 * real pebble, a recording proxy to see which key each request was signed with.
 */
import { createPublicKey, randomBytes } from 'node:crypto';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcmeCertificateAuthority } from '../../../lambda/adapters/acme/acme-certificate-authority.js';
import type { AccountSecret } from '../../../lambda/adapters/acme/acme-account.js';
import { SecretsManagerSecretStore } from '../../../lambda/adapters/secretsmanager/secretsmanager-secret-store.js';
import { startChalltestsrv, type Challtestsrv } from '../../testbed/challtestsrv.js';
import { startPebble, type Pebble } from '../../testbed/pebble.js';
import { startSecretsManagerEmulator } from '../../testbed/secretsmanager-emulator.js';
import { startAriProxy, type AriProxy } from './ari-proxy.js';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const ACCOUNTS = 'certbeat/acme-accounts';
let dns: Challtestsrv;
let pebble: Pebble;
let proxy: AriProxy;
let emu: Awaited<ReturnType<typeof startSecretsManagerEmulator>>;
const sdkClients: SecretsManagerClient[] = [];

beforeAll(async () => {
  dns = await startChalltestsrv();
  pebble = await startPebble({ dnsServer: dns.dnsAddress });
  proxy = await startAriProxy(new URL(pebble.directoryUrl).origin, pebble.tlsCaPem);
  emu = await startSecretsManagerEmulator();
});

afterAll(async () => {
  for (const c of sdkClients) c.destroy();
  await emu?.stop();
  await proxy?.stop();
  await pebble?.stop();
  await dns?.stop();
});

/** One Lambda invocation: its own SDK client and adapter. */
function run(): AcmeCertificateAuthority {
  const sdk = new SecretsManagerClient({ endpoint: emu.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  sdkClients.push(sdk);
  return new AcmeCertificateAuthority({
    secrets: new SecretsManagerSecretStore(sdk),
    accountSecretId: ACCOUNTS,
    clock: { now: () => new Date() },
    pollIntervalMs: 20,
    trustedCaPem: proxy.tlsCaPem + pebble.tlsCaPem,
  });
}

describe('concurrent first runs', () => {
  it('store one account key, and every run registers and orders with it', async () => {
    const runs = Array.from({ length: 4 }, run);
    const domains = runs.map(() => `r${randomBytes(4).toString('hex')}.test`);
    const orders = await Promise.all(
      runs.map((ca, i) => ca.placeOrder({ certificateId: domains[i], names: [domains[i]], directoryUrl: proxy.directoryUrl, keyType: 'ec256' })),
    );

    const stored = JSON.parse((await new SecretsManagerSecretStore(sdkClients[0]).get(ACCOUNTS))!) as AccountSecret;
    const account = stored.accounts[proxy.directoryUrl];
    expect(account.accountUrl).toMatch(/\/my-account\//);
    const storedJwk = createPublicKey(account.keyPem).export({ format: 'jwk' });

    // Every newAccount was signed with the stored key (the losers registered the winner's key)...
    const registrations = proxy.exchanges.filter((e) => e.path.startsWith('/sign-me-up') && e.status < 300);
    expect(registrations.length).toBeGreaterThanOrEqual(runs.length);
    for (const r of registrations) expect(r.jws!.protected.jwk).toMatchObject({ x: storedJwk.x, y: storedJwk.y });
    // ...and every order was placed under that one account.
    const newOrders = proxy.exchanges.filter((e) => e.path.startsWith('/order-plz') && e.status === 201);
    expect(newOrders).toHaveLength(runs.length);
    for (const o of newOrders) expect(o.jws!.protected.kid).toBe(account.accountUrl);

    for (const [i, order] of orders.entries()) {
      for (const c of order.challenges) await dns.setTxt(c.recordName, c.value);
      await expect(runs[i].completeOrder(order, new Date(Date.now() + 30_000))).resolves.toMatchObject({ names: [domains[i]] });
    }
  }, 60_000);
});
