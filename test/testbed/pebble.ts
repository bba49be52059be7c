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
  /** pebble's TLS listener certificate and key (PEM files): a proxy in front of pebble may present them too. */
  tlsListener: { certFile: string; keyFile: string };
  /**
   * Kills pebble and starts it again on the same ports with the same TLS listener certificate (so the
   * CA file stays valid), the same config, and `env` as the new overrides (the current ones when omitted).
   * Like any pebble start, it forgets accounts and orders and makes a new issuing root.
   */
  restart(env?: Record<string, string>): Promise<void>;
  /** Kills the process and removes its temp directory; idempotent. */
  stop(): Promise<void>;
}

export interface PebbleOptions {
  /** 'host:port' of the DNS server pebble's validation authority queries. */
  dnsServer: string;
  /** When given, External Account Binding is required and these are the accepted kid → base64url HMAC keys. */
  eabKeys?: Record<string, string>;
  /**
   * Lifetime of issued certificates in seconds. Default: 90 days, a public CA's usual lifetime, so renewal
   * windows come out as in the field (pebble's own default is five years).
   */
  certificateValiditySeconds?: number;
  /**
   * pebble environment overrides, applied over the quiet defaults ({@link PEBBLE_QUIET_ENV}), e.g.
   * `{ PEBBLE_WFE_NONCEREJECT: '50' }` or `{ PEBBLE_VA_ALWAYS_VALID: '1' }`.
   */
  env?: Record<string, string>;
}

/** Default certificate lifetime in the testbed: 90 days. */
export const DEFAULT_CERTIFICATE_VALIDITY_SECONDS = 90 * 86_400;

/** Quiet, deterministic pebble: no validation sleeps, no nonce rejects, no authorization reuse. */
export const PEBBLE_QUIET_ENV: Readonly<Record<string, string>> = { PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' };

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
        certificateValidityPeriod: opts.certificateValiditySeconds ?? DEFAULT_CERTIFICATE_VALIDITY_SECONDS,
      },
    }),
    // The file holds EAB HMAC keys when EAB is on: readable by this user only.
    { mode: 0o600 },
  );

  const directoryUrl = `https://127.0.0.1:${acmePort}/dir`;
  const managementUrl = `https://127.0.0.1:${managementPort}`;
  const launch = async (env: Record<string, string>) => {
    const started = spawnManaged('pebble', ['-config', configFile, '-dnsserver', opts.dnsServer, '-strict=false'], { ...PEBBLE_QUIET_ENV, ...env });
    try {
      await waitUntilReady('pebble', started, async () => (await httpsGet(directoryUrl, tls.caPem)).status === 200);
    } catch (err) {
      await started.stop();
      if (lostPortRace(started.output)) throw new PortRaceError((err as Error).message, { cause: err });
      throw err;
    }
    return started;
  };
  let overrides = { ...opts.env };
  let proc = await launch(overrides);

  const getPem = async (path: string): Promise<string> => {
    const res = await httpsGet(`${managementUrl}${path}`, tls.caPem);
    if (res.status !== 200) throw new Error(`pebble ${path} answered ${res.status}: ${res.body}`);
    return res.body;
  };
  let stopped: Promise<void> | undefined;
  let restarting: Promise<void> = Promise.resolve();
  return {
    directoryUrl,
    managementUrl,
    tlsCaPem: tls.caPem,
    tlsCaFile: tls.caFile,
    issuingRootPem: () => getPem('/roots/0'),
    issuingIntermediatePem: () => getPem('/intermediates/0'),
    tlsListener: { certFile: tls.certFile, keyFile: tls.keyFile },
    restart(env) {
      // Serialised: two overlapping restarts would race for the same ports.
      restarting = restarting.catch(() => undefined).then(async () => {
        if (stopped) throw new Error('pebble was stopped; restart() needs a running pebble');
        if (env) overrides = { ...env };
        await proc.stop();
        // Same ports on purpose (clients and proxies hold the URLs); a port taken meanwhile fails here, loudly.
        proc = await launch(overrides);
      });
      return restarting;
    },
    stop: () => (stopped ??= restarting.catch(() => undefined).then(() => proc.stop()).finally(() => tls.remove())),
  };
}
