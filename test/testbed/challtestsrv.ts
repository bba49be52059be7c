/**
 * Launches pebble-challtestsrv as the testbed's authoritative DNS: only its DNS server and its
 * management API run (the http-01, https-01 and tls-alpn-01 servers are disabled).
 */
import { freePort, lostPortRace, spawnManaged, waitUntilReady } from './ports.js';

/** A running pebble-challtestsrv. Host names may be given with or without the trailing dot. */
export interface Challtestsrv {
  /** '127.0.0.1:PORT', for pebble's -dnsserver and node:dns setServers(). */
  dnsAddress: string;
  dnsPort: number;
  /** http://127.0.0.1:PORT of the management API. */
  managementUrl: string;
  /** Appends a TXT value to `host` (challtestsrv keeps every value set until cleared). */
  setTxt(host: string, value: string): Promise<void>;
  /** Removes every TXT value of `host`. */
  clearTxt(host: string): Promise<void>;
  addCaa(host: string, policies: Array<{ tag: string; value: string }>): Promise<void>;
  setCname(host: string, target: string): Promise<void>;
  /** Kills the process; idempotent. */
  stop(): Promise<void>;
}

/** challtestsrv keys its records by exact FQDN, so `x.test` and `x.test.` would be different names. */
export function fqdn(host: string): string {
  return host.endsWith('.') ? host : `${host}.`;
}

/** Starts pebble-challtestsrv on free loopback ports; resolves once its management API answers. */
export async function startChalltestsrv(): Promise<Challtestsrv> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce();
    } catch (err) {
      // Another process may take a port between freePort() and the bind; a fresh pair fixes that.
      if (attempt < 3 && err instanceof PortRaceError) continue;
      throw err;
    }
  }
}

class PortRaceError extends Error {}

async function startOnce(): Promise<Challtestsrv> {
  const [dnsPort, managementPort] = await Promise.all([freePort(), freePort()]);
  const dnsAddress = `127.0.0.1:${dnsPort}`;
  const managementUrl = `http://127.0.0.1:${managementPort}`;
  const proc = spawnManaged('pebble-challtestsrv', [
    '-dns01', dnsAddress,
    '-management', `127.0.0.1:${managementPort}`,
    '-http01', '',
    '-https01', '',
    '-tlsalpn01', '',
  ]);
  try {
    // Any HTTP answer (a 404 for "/") means the management server is up; it starts after the DNS server.
    await waitUntilReady('pebble-challtestsrv', proc, async () => {
      const res = await fetch(`${managementUrl}/`);
      await res.arrayBuffer();
      return true;
    });
  } catch (err) {
    await proc.stop();
    if (lostPortRace(proc.output)) throw new PortRaceError((err as Error).message, { cause: err });
    throw err;
  }

  const post = async (path: string, body: unknown): Promise<void> => {
    const res = await fetch(`${managementUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`challtestsrv ${path} answered ${res.status}: ${text}`);
  };

  return {
    dnsAddress,
    dnsPort,
    managementUrl,
    setTxt: (host, value) => post('/set-txt', { host: fqdn(host), value }),
    clearTxt: (host) => post('/clear-txt', { host: fqdn(host) }),
    addCaa: (host, policies) => post('/add-caa', { host: fqdn(host), policies }),
    setCname: (host, target) => post('/set-cname', { host: fqdn(host), target: fqdn(target) }),
    stop: () => proc.stop(),
  };
}
