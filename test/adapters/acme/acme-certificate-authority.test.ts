/**
 * AcmeCertificateAuthority against a real pebble, with pebble-challtestsrv as the DNS that pebble
 * queries. The tests publish the dns-01 values straight to challtestsrv, standing in for the DNS solver.
 */
import { X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcmeCertificateAuthority } from '../../../lambda/adapters/acme/acme-certificate-authority.js';
import type { AccountSecret } from '../../../lambda/adapters/acme/acme-account.js';
import { splitPemCertificates } from '../../../lambda/adapters/acme/certificate-check.js';
import { CaRejectedError, ConfigurationError, TransientError } from '../../../lambda/domain/errors.js';
import type { KeyType } from '../../../lambda/domain/model.js';
import type { OrderRequest, PendingOrder } from '../../../lambda/domain/ports.js';
import { MemorySecretStore } from '../../fakes/memory-secret-store.js';
import { startChalltestsrv, type Challtestsrv } from '../../testbed/challtestsrv.js';
import { startPebble, type Pebble } from '../../testbed/pebble.js';
import { freePort } from '../../testbed/ports.js';
import { startAriProxy, type AriProxy } from './ari-proxy.js';

const clock = { now: () => new Date() };
const ACCOUNTS = 'certbeat/acme-accounts';
const soon = () => new Date(Date.now() + 30_000);
/** A fresh domain per test: challtestsrv is shared and keeps every TXT value until cleared. */
const domain = () => `c${randomBytes(4).toString('hex')}.test`;

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

function newCa(secrets: MemorySecretStore, trustedCaPem = pebble.tlsCaPem, extra: Partial<ConstructorParameters<typeof AcmeCertificateAuthority>[0]> = {}) {
  return new AcmeCertificateAuthority({
    secrets,
    accountSecretId: ACCOUNTS,
    accountEmail: 'certs@example.com',
    clock,
    pollIntervalMs: 50,
    trustedCaPem,
    ...extra,
  });
}

function request(names: string[], over: Partial<OrderRequest> = {}): OrderRequest {
  return { certificateId: names[0], names, directoryUrl: pebble.directoryUrl, keyType: 'ec256', ...over };
}

async function publish(order: PendingOrder): Promise<void> {
  for (const c of order.challenges) await dns.setTxt(c.recordName, c.value);
}

describe('AcmeCertificateAuthority against pebble', () => {
  it('issues apex + wildcard + another name, with a chain that verifies up to the issuing root', async () => {
    const secrets = new MemorySecretStore();
    const ca = newCa(secrets);
    const d = domain();
    const names = [d, `*.${d}`, `www.other-${d}`];
    const order = await ca.placeOrder(request(names));

    expect(order.challenges.map((c) => c.identifier).sort()).toEqual([...names].sort());
    const byId = Object.fromEntries(order.challenges.map((c) => [c.identifier, c]));
    expect(byId[d].recordName).toBe(`_acme-challenge.${d}`);
    expect(byId[`*.${d}`].recordName).toBe(`_acme-challenge.${d}`); // apex and wildcard share the name...
    expect(byId[`*.${d}`].value).not.toBe(byId[d].value); // ...with different values
    expect(byId[`www.other-${d}`].recordName).toBe(`_acme-challenge.www.other-${d}`);
    for (const c of order.challenges) expect(c.value).toMatch(/^[A-Za-z0-9_-]{43}$/);

    await publish(order);
    const issued = await ca.completeOrder(order, soon());

    const leaf = new X509Certificate(issued.certificatePem);
    expect(issued.names).toEqual(names);
    for (const n of names) expect(leaf.subjectAltName).toContain(`DNS:${n}`);
    expect(issued.serial).toBe(leaf.serialNumber.toUpperCase());
    expect(issued.serial).toMatch(/^[0-9A-F]+$/);
    expect(issued.notAfter.getTime()).toBe(new Date(leaf.validTo).getTime());
    expect(issued.issuer).toMatch(/^CN=Pebble Intermediate CA/);
    expect(issued.privateKeyPem).toContain('-----BEGIN PRIVATE KEY-----'); // PKCS#8
    expect(leaf.checkPrivateKey(createPrivateKey(issued.privateKeyPem))).toBe(true);
    expect(createPrivateKey(issued.privateKeyPem).asymmetricKeyDetails?.namedCurve).toBe('prime256v1');

    // Chain: leaf ← intermediate(s) ← pebble's issuing root of this run.
    const chain = splitPemCertificates(issued.chainPem).map((p) => new X509Certificate(p));
    expect(chain.length).toBeGreaterThan(0);
    const root = new X509Certificate(await pebble.issuingRootPem());
    expect(leaf.verify(chain[0].publicKey)).toBe(true);
    const top = chain[chain.length - 1];
    expect(top.checkIssued(root) && top.verify(root.publicKey)).toBe(true);

    // RFC 9773 id: base64url(AKI) "." base64url(serial octets).
    const [aki, serial] = issued.ariCertId!.split('.');
    expect(aki.length).toBeGreaterThan(0);
    expect(BigInt(`0x${Buffer.from(serial, 'base64url').toString('hex')}`)).toBe(BigInt(`0x${leaf.serialNumber}`));
  });

  it.each<[KeyType, (k: ReturnType<typeof createPrivateKey>) => void]>([
    ['ec384', (k) => expect(k.asymmetricKeyDetails?.namedCurve).toBe('secp384r1')],
    ['rsa2048', (k) => expect(k.asymmetricKeyDetails?.modulusLength).toBe(2048)],
  ])('issues with key type %s', async (keyType, checkKey) => {
    const ca = newCa(new MemorySecretStore());
    const d = domain();
    const order = await ca.placeOrder(request([d], { keyType }));
    await publish(order);
    const issued = await ca.completeOrder(order, soon());
    const key = createPrivateKey(issued.privateKeyPem);
    checkKey(key);
    expect(new X509Certificate(issued.certificatePem).checkPrivateKey(key)).toBe(true);
  });

  it('keeps the account key in the secret store and reuses it for later orders', async () => {
    const secrets = new MemorySecretStore();
    const first = newCa(secrets);
    await first.placeOrder(request([domain()]));
    const stored = secrets.json<AccountSecret>(ACCOUNTS)!.accounts[pebble.directoryUrl];
    expect(stored.keyPem).toContain('-----BEGIN PRIVATE KEY-----');
    expect(createPrivateKey(stored.keyPem).asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(stored.accountUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/my-account\//);
    const writes = secrets.writes;

    // A new adapter instance (a new Lambda invocation) finds the same account and writes nothing.
    const second = newCa(secrets);
    const d = domain();
    const order = await second.placeOrder(request([d]));
    expect(secrets.writes).toBe(writes);
    expect(secrets.json<AccountSecret>(ACCOUNTS)!.accounts[pebble.directoryUrl]).toEqual(stored);
    await publish(order);
    await expect(second.completeOrder(order, soon())).resolves.toMatchObject({ names: [d] });
  });

  it('keeps other directories\' accounts in the same secret', async () => {
    const secrets = new MemorySecretStore({
      [ACCOUNTS]: JSON.stringify({ accounts: { 'https://other-ca.test/dir': { keyPem: 'elsewhere', accountUrl: 'https://other-ca.test/acct/1' } } }),
    });
    await newCa(secrets).placeOrder(request([domain()]));
    const accounts = secrets.json<AccountSecret>(ACCOUNTS)!.accounts;
    expect(Object.keys(accounts).sort()).toEqual(['https://other-ca.test/dir', pebble.directoryUrl].sort());
    expect(accounts['https://other-ca.test/dir'].keyPem).toBe('elsewhere');
  });

  it('reports a TXT value that never reached DNS as a CA refusal with the problem type', async () => {
    const ca = newCa(new MemorySecretStore());
    const d = domain();
    const order = await ca.placeOrder(request([d]));
    await dns.setTxt(`_acme-challenge.${d}`, 'not-the-expected-value');
    const err = await ca.completeOrder(order, soon()).catch((e) => e);
    expect(err).toBeInstanceOf(CaRejectedError);
    expect(['dns', 'unauthorized', 'incorrectResponse']).toContain(err.shortType);
    expect(err.identifier).toBe(d);
    expect(err.message).toContain(d);
    expect(err.remediation).toContain(`_acme-challenge.${d}`);
  });

  it('reports an unreachable directory as TransientError with the network cause, quickly', async () => {
    const directoryUrl = `https://127.0.0.1:${await freePort()}/dir`;
    const started = Date.now();
    const err = await newCa(new MemorySecretStore()).placeOrder(request([domain()], { directoryUrl })).catch((e) => e);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toContain(directoryUrl);
    expect((err.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it('reports an untrusted TLS certificate as TransientError naming the directory', async () => {
    const err = await newCa(new MemorySecretStore(), '').placeOrder(request([domain()])).catch((e) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toContain(pebble.directoryUrl);
    expect((err.cause as NodeJS.ErrnoException).code).toMatch(/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/);
  });

  it('refuses an account secret that is not its own', async () => {
    const secrets = new MemorySecretStore({ [ACCOUNTS]: 'BEGIN something else' });
    const err = await newCa(secrets).placeOrder(request([domain()])).catch((e) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err.message).toContain(ACCOUNTS);
    expect(err.message).not.toContain('something else');
  });
});

describe('AcmeCertificateAuthority with External Account Binding', () => {
  const hmacKey = randomBytes(32).toString('base64url');
  let eabPebble: Pebble;

  beforeAll(async () => {
    eabPebble = await startPebble({ dnsServer: dns.dnsAddress, eabKeys: { 'kid-1': hmacKey } });
  });
  afterAll(async () => {
    await eabPebble?.stop();
  });

  const eabRequest = (over: Partial<OrderRequest> = {}) =>
    request([domain()], { directoryUrl: eabPebble.directoryUrl, eabSecretId: 'certbeat/eab', ...over });

  it('registers with the right key id and HMAC key', async () => {
    const secrets = new MemorySecretStore({ 'certbeat/eab': JSON.stringify({ keyId: 'kid-1', hmacKey }) });
    const ca = newCa(secrets, eabPebble.tlsCaPem);
    const order = await ca.placeOrder(eabRequest());
    await publish(order);
    await expect(ca.completeOrder(order, soon())).resolves.toMatchObject({ names: order.request.names });
    expect(secrets.json<AccountSecret>(ACCOUNTS)!.accounts[eabPebble.directoryUrl].accountUrl).toContain('/my-account/');
  });

  it('names the EAB secret when the CA rejects the HMAC key', async () => {
    const wrong = randomBytes(32).toString('base64url');
    const secrets = new MemorySecretStore({ 'certbeat/eab': JSON.stringify({ keyId: 'kid-1', hmacKey: wrong }) });
    const err = await newCa(secrets, eabPebble.tlsCaPem).placeOrder(eabRequest()).catch((e) => e);
    expect(err).toBeInstanceOf(CaRejectedError);
    expect(err.problemType).toMatch(/^urn:ietf:params:acme:error:/);
    expect(err.remediation).toContain('External Account Binding');
    expect(err.remediation).toContain('certbeat/eab');
    expect(`${err.message} ${err.remediation}`).not.toContain(wrong);
  });

  it('says EAB is required when the certificate names no EAB secret', async () => {
    const err = await newCa(new MemorySecretStore(), eabPebble.tlsCaPem)
      .placeOrder(eabRequest({ eabSecretId: undefined }))
      .catch((e) => e);
    expect(err).toBeInstanceOf(CaRejectedError);
    expect(err.shortType).toBe('externalAccountRequired');
    expect(err.remediation).toContain('eabSecretId');
  });

  it('refuses a missing or malformed EAB secret as configuration, without quoting it', async () => {
    const missing = await newCa(new MemorySecretStore(), eabPebble.tlsCaPem).placeOrder(eabRequest()).catch((e) => e);
    expect(missing).toBeInstanceOf(ConfigurationError);
    expect(missing.field).toBe('eabSecretId');
    const secrets = new MemorySecretStore({ 'certbeat/eab': '{"keyId":"kid-1","hmac":"s3cr3t-value"}' });
    const malformed = await newCa(secrets, eabPebble.tlsCaPem).placeOrder(eabRequest()).catch((e) => e);
    expect(malformed).toBeInstanceOf(ConfigurationError);
    expect(malformed.message).not.toContain('s3cr3t-value');
  });
});

describe('AcmeCertificateAuthority behind a proxy that adds ARI', () => {
  let proxy: AriProxy;
  const trusted = () => proxy.tlsCaPem + pebble.tlsCaPem;

  beforeAll(async () => {
    proxy = await startAriProxy(new URL(pebble.directoryUrl).origin, pebble.tlsCaPem);
  });
  afterAll(async () => {
    await proxy?.stop();
  });

  it('returns the suggested window, Retry-After and explanation of renewalInfo', async () => {
    const ca = newCa(new MemorySecretStore(), trusted());
    const d = domain();
    const order = await ca.placeOrder(request([d], { directoryUrl: proxy.directoryUrl }));
    await publish(order);
    const issued = await ca.completeOrder(order, soon());

    proxy.answerRenewalInfo = (certId) =>
      certId === issued.ariCertId
        ? {
            status: 200,
            body: { suggestedWindow: { start: '2031-01-01T00:00:00Z', end: '2031-01-03T00:00:00Z' }, explanationURL: 'https://ca.test/ari' },
            headers: { 'retry-after': '21600' },
          }
        : { status: 404, body: { type: 'urn:ietf:params:acme:error:malformed', detail: 'unknown' } };
    const before = Date.now();
    const window = await ca.renewalInfo(proxy.directoryUrl, issued.ariCertId!);
    expect(window).toMatchObject({ start: '2031-01-01T00:00:00.000Z', end: '2031-01-03T00:00:00.000Z', explanationUrl: 'https://ca.test/ari' });
    const retryIn = Date.parse(window!.retryAfter!) - before;
    expect(retryIn).toBeGreaterThanOrEqual(21_600_000 - 1000);
    expect(retryIn).toBeLessThanOrEqual(21_600_000 + 5000);
    expect(proxy.renewalInfoRequests).toContain(issued.ariCertId);

    // A certificate the CA does not know: no window, not an error.
    await expect(ca.renewalInfo(proxy.directoryUrl, 'AAAA.BBBB')).resolves.toBeUndefined();
    // A CA failing: transient.
    proxy.answerRenewalInfo = () => ({ status: 503, body: { type: 'urn:ietf:params:acme:error:serverInternal', detail: 'busy' } });
    await expect(ca.renewalInfo(proxy.directoryUrl, issued.ariCertId!)).rejects.toThrow(TransientError);
  });

  it('is undefined without renewalInfo in the directory (pebble itself)', async () => {
    await expect(newCa(new MemorySecretStore()).renewalInfo(pebble.directoryUrl, 'AAAA.BBBB')).resolves.toBeUndefined();
  });

  it('sends `replaces` only when the directory offers ARI', async () => {
    const ca = newCa(new MemorySecretStore(), trusted());
    await ca.placeOrder(request([domain()], { directoryUrl: proxy.directoryUrl, replacesAriCertId: 'aGVsbG8.AQID' }));
    expect(proxy.newOrderPayloads.at(-1)).toMatchObject({ replaces: 'aGVsbG8.AQID' });
    await ca.placeOrder(request([domain()], { directoryUrl: proxy.directoryUrl }));
    expect(proxy.newOrderPayloads.at(-1)).not.toHaveProperty('replaces');
  });

  it('refuses an authorization that offers no dns-01 challenge', async () => {
    proxy.rewriteAuthorization = (authz) => ({ ...authz, challenges: authz.challenges.filter((c) => c.type !== 'dns-01') });
    try {
      const d = domain();
      const err = await newCa(new MemorySecretStore(), trusted())
        .placeOrder(request([`*.${d}`], { directoryUrl: proxy.directoryUrl }))
        .catch((e) => e);
      expect(err).toBeInstanceOf(CaRejectedError);
      expect(err.message).toContain(`the CA offers no dns-01 challenge for *.${d}`);
      expect(err.identifier).toBe(`*.${d}`);
    } finally {
      proxy.rewriteAuthorization = undefined;
    }
  });

  it('registers the stored key again when the CA restarted and forgot the account', async () => {
    const secrets = new MemorySecretStore();
    const before = newCa(secrets, trusted());
    await before.placeOrder(request([domain()], { directoryUrl: proxy.directoryUrl }));
    const old = secrets.json<AccountSecret>(ACCOUNTS)!.accounts[proxy.directoryUrl];

    // A new pebble behind the same directory URL: it knows no account.
    const fresh = await startPebble({ dnsServer: dns.dnsAddress });
    try {
      proxy.setUpstream(new URL(fresh.directoryUrl).origin, fresh.tlsCaPem);
      const after = newCa(secrets, proxy.tlsCaPem + fresh.tlsCaPem);
      const d = domain();
      const order = await after.placeOrder(request([d], { directoryUrl: proxy.directoryUrl }));
      const now = secrets.json<AccountSecret>(ACCOUNTS)!.accounts[proxy.directoryUrl];
      expect(now.keyPem).toBe(old.keyPem);
      expect(now.accountUrl).not.toBe(old.accountUrl);
      await publish(order);
      await expect(after.completeOrder(order, soon())).resolves.toMatchObject({ names: [d] });
    } finally {
      proxy.setUpstream(new URL(pebble.directoryUrl).origin, pebble.tlsCaPem);
      await fresh.stop();
    }
  });
});
