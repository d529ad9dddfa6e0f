// A real redis-server (Debian's, /usr/bin/redis-server, or $REDIS_SERVER) behind one Azure Managed Redis
// database: on a free loopback port, without persistence, and with a password only the twin's front knows,
// so nothing reaches it unauthenticated.
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { freePort } from '../../helpers/free-port.js';
import { ReadyProcess } from './ready-process.js';

export const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';

export class RedisServerProcess {
  readonly password = randomBytes(24).toString('hex');
  port = 0;
  private process?: ReadyProcess;

  /** Starts it and waits for "Ready to accept connections". A port taken in between is retried. */
  async start(timeoutMs = 10_000): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      this.port = await freePort();
      try {
        await this.spawn(timeoutMs);
        return;
      } catch (error) {
        if (attempt >= 3 || !/Address already in use/i.test(this.process?.output ?? '')) throw error;
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
    const { process: server, ready } = ReadyProcess.start({
      name: 'redis-server',
      command: REDIS_SERVER,
      args,
      ready: /Ready to accept connections/,
      timeoutMs,
      cannotRun: (error) => `cannot run ${REDIS_SERVER} (install Debian's redis-server: apt-get install redis-server): ${error.message}`,
    });
    this.process = server;
    await ready;
  }

  get pid(): number | undefined {
    return this.process?.pid;
  }

  get running(): boolean {
    return this.process?.running ?? false;
  }

  /** SIGTERM (redis-server exits at once without persistence), SIGKILL after a grace period; resolves when gone. */
  async stop(graceMs = 3000): Promise<void> {
    await this.process?.stop(graceMs);
  }
}
