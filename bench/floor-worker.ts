/**
 * The floor: a bare acme-client loop, the least a script can do for the same certificates on the same CA
 * and DNS. All orders in parallel; per order: dns-01 values straight into challtestsrv, challenges
 * answered, polled every 100 ms (certbeat's testbed ACME poll interval; acme-client's default waits ≥ 5 s),
 * finalized with a fresh P-256 key, chain downloaded. No inventory, no ACM, no mail, no checks. CA trust:
 * NODE_EXTRA_CA_CERTS (set by the parent). Account registered before the timed part, as for every contender.
 *
 * Env: BENCH_DIRECTORY_URL, BENCH_CHALLTESTSRV, BENCH_COUNT, BENCH_TAG. Prints one JSON line.
 */
import * as acme from 'acme-client';

const count = Number(process.env.BENCH_COUNT);
const tag = process.env.BENCH_TAG!;
const mgmt = process.env.BENCH_CHALLTESTSRV!;

const client = new acme.Client({
  directoryUrl: process.env.BENCH_DIRECTORY_URL!,
  accountKey: await acme.crypto.createPrivateEcdsaKey(),
  backoffMin: 100,
  backoffMax: 100,
  backoffAttempts: 300,
});
await client.createAccount({ termsOfServiceAgreed: true, contact: ['mailto:floor@example.test'] });

async function post(path: string, body: unknown) {
  const res = await fetch(`${mgmt}${path}`, { method: 'POST', body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`challtestsrv ${path}: ${res.status}`);
}

async function issue(base: string): Promise<string> {
  const names = [base, `*.${base}`];
  const order = await client.createOrder({ identifiers: names.map((value) => ({ type: 'dns', value })) });
  const authzs = await client.getAuthorizations(order);
  const host = `_acme-challenge.${base}.`;
  try {
    await Promise.all(
      authzs.map(async (authz) => {
        const challenge = authz.challenges.find((c) => c.type === 'dns-01')!;
        await post('/set-txt', { host, value: await client.getChallengeKeyAuthorization(challenge) });
        await client.completeChallenge(challenge);
        await client.waitForValidStatus(challenge);
      }),
    );
  } finally {
    await post('/clear-txt', { host });
  }
  const [, csr] = await acme.crypto.createCsr({ commonName: base, altNames: names }, await acme.crypto.createPrivateEcdsaKey());
  const finalized = await client.finalizeOrder(order, csr);
  return client.getCertificate(finalized);
}

// Markers for the parent, which measures the testbed's CPU over exactly the timed part.
console.log('timed-start');
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const chains = await Promise.all(Array.from({ length: count }, (_, i) => issue(`n${i}.${tag}.bench.test`)));
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
console.log('timed-end');
if (chains.some((c) => !c.includes('BEGIN CERTIFICATE'))) throw new Error('floor: a chain is missing');
console.log(JSON.stringify({ wallMs, cpuMs: (cpu.user + cpu.system) / 1000, maxRssMiB: process.resourceUsage().maxRSS / 1024, issued: chains.length }));
