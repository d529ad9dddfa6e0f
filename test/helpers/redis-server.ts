/**
 * Debian's redis-server on a free loopback port, for the shared-state tests: no persistence, optionally a
 * password, and the means to take it away (stop), freeze it (pause: it accepts nothing and answers nothing)
 * and bring it back on the same port.
 */
import { ReadyProcess } from '../twin/dataplane/ready-process.js';
import { freePort } from './free-port.js';

export interface RedisServer {
  port: number;
  /** redis://[:password@]127.0.0.1:port */
  url: string;
  readonly running: boolean;
  stop(): Promise<void>;
  start(): Promise<void>;
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

export const redisServerPath = process.env.REDIS_SERVER ?? 'redis-server';

export async function startRedis(options: { password?: string } = {}): Promise<RedisServer> {
  const port = await freePort();
  let server: ReadyProcess | undefined;
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'];
  if (options.password) args.push('--requirepass', options.password);

  const start = async (): Promise<void> => {
    const { process: proc, ready } = ReadyProcess.start({
      name: 'redis-server',
      command: redisServerPath,
      args,
      ready: /Ready to accept connections/,
      timeoutMs: 10_000,
    });
    server = proc;
    await ready;
  };
  const stop = async (): Promise<void> => {
    const proc = server;
    server = undefined;
    if (!proc) return;
    proc.signal('SIGCONT');
    await proc.stop(0, 'SIGKILL');
  };

  await start();
  const auth = options.password ? `:${encodeURIComponent(options.password)}@` : '';
  return {
    port,
    url: `redis://${auth}127.0.0.1:${port}`,
    get running() {
      return server !== undefined;
    },
    stop,
    start,
    pause: () => server?.signal('SIGSTOP'),
    resume: () => server?.signal('SIGCONT'),
    close: stop,
  };
}
