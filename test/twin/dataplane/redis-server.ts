// A real redis-server (Debian's, /usr/bin/redis-server, or $REDIS_SERVER) behind one Azure Managed Redis
// database: on a free loopback port, without persistence, and with a password only the twin's front knows,
// so nothing reaches it unauthenticated.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';

export const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';

export class RedisServerProcess {
  readonly password = randomBytes(24).toString('hex');
  port = 0;
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private output = '';

  /** Starts it and waits for "Ready to accept connections". A port taken in between is retried. */
  async start(timeoutMs = 10_000): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      this.port = await freePort();
      try {
        await this.spawn(timeoutMs);
        return;
      } catch (error) {
        if (attempt >= 3 || !/Address already in use/i.test(this.output)) throw error;
      }
    }
  }

  private async spawn(timeoutMs: number): Promise<void> {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--requirepass',
      this.password,
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      tmpdir(),
      '--daemonize',
      'no',
      '--protected-mode',
      'yes',
    ];
    const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.output = '';
    this.exited = new Promise((resolve) => child.once('close', () => resolve()));
    const keep = (c: Buffer) => (this.output = (this.output + c.toString()).slice(-4000));
    child.stderr!.on('data', keep);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start in ${timeoutMs} ms: ${this.output}`)), timeoutMs);
      child.stdout!.on('data', (c: Buffer) => {
        keep(c);
        if (/Ready to accept connections/.test(this.output)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`cannot run ${REDIS_SERVER} (install Debian's redis-server: apt-get install redis-server): ${error.message}`));
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited (${code}) before it was ready: ${this.output}`));
      });
    });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM (redis-server exits at once without persistence), SIGKILL after a grace period; resolves when gone. */
  async stop(graceMs = 3000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
