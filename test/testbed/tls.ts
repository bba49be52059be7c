/**
 * A throwaway TLS authority for the testbed's HTTPS listeners (pebble): a CA and a leaf for
 * localhost / 127.0.0.1 / ::1, made with openssl in a temp directory. Clients trust the CA's PEM.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { removeOnExit } from './ports.js';

const run = promisify(execFile);

/** Files of a generated listener certificate; `dir` holds them all and is removed by `remove()`. */
export interface ListenerTls {
  dir: string;
  caPem: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  /** Deletes the directory (and the private keys in it). */
  remove(): Promise<void>;
}

/**
 * Generates an ECDSA P-256 CA and a leaf for localhost, 127.0.0.1 and ::1 valid for a week, under a
 * fresh directory in os.tmpdir() whose name starts with `prefix`.
 */
export async function makeListenerTls(prefix = 'certbeat-tls-'): Promise<ListenerTls> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const cleanup = removeOnExit(dir);
  const remove = async () => {
    await rm(dir, { recursive: true, force: true });
    cleanup.forget();
  };
  const p = (name: string) => join(dir, name);
  try {
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
    await run('openssl', [
      'req', '-x509', ...ec, '-keyout', p('ca.key'), '-out', p('ca.pem'), '-days', '7',
      '-subj', '/CN=certbeat testbed TLS CA',
      '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    await run('openssl', ['req', ...ec, '-keyout', p('key.pem'), '-out', p('leaf.csr'), '-subj', '/CN=localhost']);
    await writeFile(
      p('leaf.ext'),
      [
        'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature',
        'extendedKeyUsage=serverAuth',
        '',
      ].join('\n'),
    );
    await run('openssl', [
      'x509', '-req', '-in', p('leaf.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial',
      '-out', p('cert.pem'), '-days', '7', '-extfile', p('leaf.ext'),
    ]);
    // The CA key is no longer needed; nothing else should be able to sign with it.
    await rm(p('ca.key'), { force: true });
    return {
      dir,
      caPem: await readFile(p('ca.pem'), 'utf8'),
      caFile: p('ca.pem'),
      certFile: p('cert.pem'),
      keyFile: p('key.pem'),
      remove,
    };
  } catch (err) {
    await remove();
    throw new Error(`could not generate the testbed TLS certificate with openssl: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** GETs an https URL trusting only `caPem`; resolves with status and body text. */
export function httpsGet(url: string, caPem: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', ca: caPem, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
