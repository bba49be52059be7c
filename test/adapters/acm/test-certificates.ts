/** Throwaway certificates for the ACM adapter tests, made with openssl (a CA, another CA, EC and RSA leaves). */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Leaf {
  certificatePem: string;
  privateKeyPem: string;
}

/** A throwaway CA and leaves for example.test and *.example.test, made with openssl. */
export async function makeCertificates(dir: string) {
  const p = (f: string) => join(dir, f);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const makeCa = async (name: string) =>
    run('openssl', ['req', '-x509', ...ec, '-keyout', p(`${name}.key`), '-out', p(`${name}.pem`), '-days', '2', '-subj', `/CN=${name}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await makeCa('ca');
  await makeCa('other-ca');
  await writeFile(p('leaf.ext'), 'subjectAltName=DNS:example.test,DNS:*.example.test\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n');
  const leaf = async (name: string, keyArgs: string[]): Promise<Leaf> => {
    await run('openssl', ['req', ...keyArgs, '-keyout', p(`${name}.key`), '-out', p(`${name}.csr`), '-subj', '/CN=example.test']);
    await run('openssl', ['x509', '-req', '-in', p(`${name}.csr`), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial',
      '-out', p(`${name}.pem`), '-days', '2', '-extfile', p('leaf.ext')]);
    return { certificatePem: await readFile(p(`${name}.pem`), 'utf8'), privateKeyPem: await readFile(p(`${name}.key`), 'utf8') };
  };
  return {
    chainPem: await readFile(p('ca.pem'), 'utf8'),
    otherChainPem: await readFile(p('other-ca.pem'), 'utf8'),
    ec1: await leaf('ec1', ec),
    ec2: await leaf('ec2', ec),
    rsa: await leaf('rsa', ['-newkey', 'rsa:2048', '-nodes']),
  };
}

