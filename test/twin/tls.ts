// A certificate authority and a server certificate made per run with openssl, so the twin can speak
// HTTPS to unmodified Azure SDK clients. The CA is trusted by a child process through
// NODE_EXTRA_CA_CERTS=<caPath>, or in-process by passing it to the client's https Agent (docs/twin.md).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const OPENSSL = process.env.OPENSSL ?? 'openssl';

export interface TwinCa {
  /** Directory holding ca.pem, server.pem and server-key.pem; removed by dispose(). */
  dir: string;
  caPath: string;
  ca: string;
  cert: string;
  key: string;
  dispose(): Promise<void>;
}

/** Makes a throw-away CA and a leaf certificate for 127.0.0.1 / localhost signed by it. */
export async function createTwinCa(hostnames: string[] = []): Promise<TwinCa> {
  const dir = await mkdtemp(join(tmpdir(), 'aoai-lb-twin-'));
  const p = (name: string) => join(dir, name);
  const sans = ['IP:127.0.0.1', 'DNS:localhost', ...hostnames.map((h) => `DNS:${h}`)].join(',');
  try {
    await run(OPENSSL, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', p('ca-key.pem'), '-out', p('ca.pem'), '-days', '2', '-subj', '/CN=aoai-lb twin test CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    await run(OPENSSL, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', p('server-key.pem'), '-out', p('server.csr'), '-subj', '/CN=127.0.0.1']);
    await writeFile(p('server.ext'), [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      `subjectAltName=${sans}`,
      '',
    ].join('\n'));
    await run(OPENSSL, ['x509', '-req', '-in', p('server.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca-key.pem'),
      '-CAcreateserial', '-out', p('server.pem'), '-days', '2', '-extfile', p('server.ext')]);
    const [ca, cert, key] = await Promise.all([readFile(p('ca.pem'), 'utf8'), readFile(p('server.pem'), 'utf8'),
      readFile(p('server-key.pem'), 'utf8')]);
    return { dir, caPath: p('ca.pem'), ca, cert, key, dispose: () => rm(dir, { recursive: true, force: true }) };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`createTwinCa: openssl failed: ${(error as Error).message}`, { cause: error });
  }
}
