// A certificate authority and a server certificate made per run with openssl, so the twin can speak
// HTTPS to unmodified Azure SDK clients. The CA is trusted by a child process through
// NODE_EXTRA_CA_CERTS=<caPath>, or in-process by passing it to the client's https Agent (docs/twin.md).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
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
    await run(OPENSSL, [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      p('ca-key.pem'),
      '-out',
      p('ca.pem'),
      '-days',
      '2',
      '-subj',
      '/CN=aoai-lb twin test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    await run(OPENSSL, [
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      p('server-key.pem'),
      '-out',
      p('server.csr'),
      '-subj',
      '/CN=127.0.0.1',
    ]);
    await writeFile(
      p('server.ext'),
      [
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth',
        `subjectAltName=${sans}`,
        '',
      ].join('\n'),
    );
    await run(OPENSSL, [
      'x509',
      '-req',
      '-in',
      p('server.csr'),
      '-CA',
      p('ca.pem'),
      '-CAkey',
      p('ca-key.pem'),
      '-CAcreateserial',
      '-out',
      p('server.pem'),
      '-days',
      '2',
      '-extfile',
      p('server.ext'),
    ]);
    const [ca, cert, key] = await Promise.all([readFile(p('ca.pem'), 'utf8'), readFile(p('server.pem'), 'utf8'), readFile(p('server-key.pem'), 'utf8')]);
    return { dir, caPath: p('ca.pem'), ca, cert, key, dispose: () => rm(dir, { recursive: true, force: true }) };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`createTwinCa: openssl failed: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * A server certificate for one DNS name, signed by the twin's CA (the edge mints one per SNI name, e.g.
 * `app.wittyhill-1a2b3c4d.eastus2.azurecontainerapps.io` or `eastus2.azurecontainerapps.dev`).
 * Needs the CA's key in `ca.dir` (createTwinCa keeps it there).
 */
/** X.509 caps the CN at 64 characters, which an app FQDN often exceeds; clients check the SAN anyway. */
const commonName = (hostname: string): string => (hostname.length <= 64 ? hostname : `*.${hostname.split('.').slice(-3).join('.')}`);

export async function issueServerCertificate(ca: Pick<TwinCa, 'dir'>, hostname: string): Promise<{ key: string; cert: string }> {
  if (!/^[a-z0-9.-]+$/i.test(hostname)) throw new Error(`issueServerCertificate: not a DNS name: ${hostname}`);
  const dir = await mkdtemp(join(ca.dir, 'leaf-'));
  const p = (name: string) => join(dir, name);
  try {
    await run(OPENSSL, [
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      p('key.pem'),
      '-out',
      p('leaf.csr'),
      '-subj',
      `/CN=${commonName(hostname)}`,
    ]);
    await writeFile(
      p('leaf.ext'),
      [
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth',
        `subjectAltName=DNS:${hostname}`,
        '',
      ].join('\n'),
    );
    // A random serial per leaf (not -CAcreateserial: concurrent mints would race on the serial file).
    await run(OPENSSL, [
      'x509',
      '-req',
      '-in',
      p('leaf.csr'),
      '-CA',
      join(ca.dir, 'ca.pem'),
      '-CAkey',
      join(ca.dir, 'ca-key.pem'),
      '-set_serial',
      `0x${randomBytes(16).toString('hex')}`,
      '-out',
      p('cert.pem'),
      '-days',
      '2',
      '-extfile',
      p('leaf.ext'),
    ]);
    const [key, cert] = await Promise.all([readFile(p('key.pem'), 'utf8'), readFile(p('cert.pem'), 'utf8')]);
    return { key, cert };
  } catch (error) {
    throw new Error(`issueServerCertificate(${hostname}): openssl failed: ${(error as Error).message}`, { cause: error });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
