/**
 * Certificates from a throwaway CA made with openssl: what someone imported into ACM before certbeat.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestCertificate {
  certificatePem: string;
  privateKeyPem: string;
  chainPem: string;
}

export interface TestCa {
  issue(names: string[], key?: 'ec256' | 'ec384' | 'rsa2048'): Promise<TestCertificate>;
  dispose(): Promise<void>;
}

export async function makeTestCa(label = 'legacy'): Promise<TestCa> {
  const dir = await mkdtemp(join(tmpdir(), 'certbeat-testca-'));
  const p = (n: string) => join(dir, `${label}-${n}`);
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', p('ca.key'), '-out', p('ca.pem'),
    '-days', '2', '-subj', `/O=certbeat test/CN=${label} Test CA`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const caPem = await readFile(p('ca.pem'), 'utf8');
  let n = 0;
  return {
    async issue(names, key = 'ec256') {
      const id = ++n;
      const g = (x: string) => join(dir, `${label}-leaf${id}.${x}`);
      const keyArgs = key === 'rsa2048' ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', `ec_paramgen_curve:${key === 'ec256' ? 'P-256' : 'P-384'}`];
      await run('openssl', ['req', '-new', ...keyArgs, '-nodes', '-keyout', g('key'), '-out', g('csr'), '-subj', `/CN=${names[0]}`]);
      await writeFile(g('ext'), `subjectAltName=${names.map((d) => `DNS:${d}`).join(',')}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n`);
      await run('openssl', [
        'x509', '-req', '-in', g('csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', g('ext'), '-out', g('pem'),
      ]);
      return { certificatePem: await readFile(g('pem'), 'utf8'), privateKeyPem: await readFile(g('key'), 'utf8'), chainPem: caPem };
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
