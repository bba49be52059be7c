/**
 * Launches pebble (the ACME test CA) on free loopback ports with a throwaway TLS listener
 * certificate, resolving names through the given DNS server (the testbed's challtestsrv).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, lostPortRace, spawnManaged, waitUntilReady } from './ports.js';
import { httpsGet, makeListenerTls } from './tls.js';

/** A running pebble. Nothing survives a restart: accounts, orders and the issuing CA are new each time. */
export interface Pebble {
  /** https://127.0.0.1:PORT/dir */
  directoryUrl: string;
  /** https://127.0.0.1:PORT of the management interface (same TLS certificate). */
  managementUrl: string;
  /** PEM of the CA that signed pebble's TLS listener cert: clients must trust it. */
  tlsCaPem: string;
  /** File holding `tlsCaPem` (for NODE_EXTRA_CA_CERTS / CERTBEAT_ACME_CA_FILE). Removed by stop(). */
  tlsCaFile: string;
  /** Pebble's issuing root (GET {management}/roots/0); changes at each start. */
  issuingRootPem(): Promise<string>;
  /** Pebble's issuing intermediate (GET {management}/intermediates/0). */
  issuingIntermediatePem(): Promise<string>;
  /** Kills the process and removes its temp directory; idempotent. */
  stop(): Promise<void>;
}

export interface PebbleOptions {
  /** 'host:port' of the DNS server pebble's validation authority queries. */
  dnsServer: string;
  /** When given, External Account Binding is required and these are the accepted kid → base64url HMAC keys. */
  eabKeys?: Record<string, string>;
  /** Lifetime of issued certificates in seconds (pebble's default is five years). */
  certificateValiditySeconds?: number;
  /** Extra environment for pebble, overriding the quiet defaults (e.g. `PEBBLE_WFE_NONCEREJECT: '50'`). */
  env?: Record<string, string>;
}

/** Quiet, deterministic pebble: no validation sleeps, no nonce rejects, no authorization reuse. */
const PEBBLE_ENV = { PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' };

/** Starts pebble; resolves once its directory answers over HTTPS trusted through `tlsCaPem`. */
export async function startPebble(opts: PebbleOptions): Promise<Pebble> {
  const tls = await makeListenerTls('certbeat-pebble-');
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        return await startOnce(opts, tls);
      } catch (err) {
        // A port taken between freePort() and pebble's bind: try again with fresh ports.
        if (attempt < 3 && err instanceof PortRaceError) continue;
        throw err;
      }
    }
  } catch (err) {
    await tls.remove();
    throw err;
  }
}

class PortRaceError extends Error {}

async function startOnce(opts: PebbleOptions, tls: Awaited<ReturnType<typeof makeListenerTls>>): Promise<Pebble> {
  const [acmePort, managementPort, httpPort, tlsPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const eab = opts.eabKeys && Object.keys(opts.eabKeys).length > 0 ? opts.eabKeys : undefined;
  const configFile = join(tls.dir, 'pebble-config.json');
  await writeFile(
    configFile,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${acmePort}`,
        managementListenAddress: `127.0.0.1:${managementPort}`,
        certificate: tls.certFile,
        privateKey: tls.keyFile,
        // http-01 / tls-alpn-01 are not used; unused ports keep pebble away from shared defaults.
        httpPort,
        tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: eab !== undefined,
        ...(eab ? { externalAccountMACKeys: eab } : {}),
        ...(opts.certificateValiditySeconds ? { certificateValidityPeriod: opts.certificateValiditySeconds } : {}),
      },
    }),
    // The file holds EAB HMAC keys when EAB is on: readable by this user only.
    { mode: 0o600 },
  );

  const directoryUrl = `https://127.0.0.1:${acmePort}/dir`;
  const managementUrl = `https://127.0.0.1:${managementPort}`;
  const proc = spawnManaged('pebble', ['-config', configFile, '-dnsserver', opts.dnsServer, '-strict=false'], { ...PEBBLE_ENV, ...opts.env });
  try {
    await waitUntilReady('pebble', proc, async () => (await httpsGet(directoryUrl, tls.caPem)).status === 200);
  } catch (err) {
    await proc.stop();
    if (lostPortRace(proc.output)) throw new PortRaceError((err as Error).message, { cause: err });
    throw err;
  }

  const getPem = async (path: string): Promise<string> => {
    const res = await httpsGet(`${managementUrl}${path}`, tls.caPem);
    if (res.status !== 200) throw new Error(`pebble ${path} answered ${res.status}: ${res.body}`);
    return res.body;
  };
  let stopped: Promise<void> | undefined;
  return {
    directoryUrl,
    managementUrl,
    tlsCaPem: tls.caPem,
    tlsCaFile: tls.caFile,
    issuingRootPem: () => getPem('/roots/0'),
    issuingIntermediatePem: () => getPem('/intermediates/0'),
    stop: () => (stopped ??= proc.stop().finally(() => tls.remove())),
  };
}
