/**
 * The redis-server `dev --replicas` shares state through: Debian's (or Homebrew's) redis-server on a free
 * loopback port, no persistence, a random password, stopped with dev. Not installed: a clear error with
 * the command that installs it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { ExitCode, UserError } from '../../core/errors.js';

export interface LocalRedis {
  /** redis://:password@127.0.0.1:port */
  url: string;
  /** The same without the password, for the screen. */
  shown: string;
  stop(): Promise<void>;
}

/** REDIS_SERVER, else redis-server on PATH; undefined when there is none. */
export function findRedisServer(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.REDIS_SERVER) return env.REDIS_SERVER;
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function redisMissing(): UserError {
  return new UserError('redis-not-installed', '--replicas shares state between the replicas through Redis, and no redis-server is on PATH.', {
    suggestion:
      'install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis), point REDIS_SERVER at one, set SHARED_STATE_URL to a running store, or leave out --replicas',
    exitCode: ExitCode.usage,
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startLocalRedis(binary: string, timeoutMs = 10_000): Promise<LocalRedis> {
  const port = await freePort();
  const password = randomBytes(18).toString('base64url');
  // The password goes in on stdin (a config file read from "-"), so it is not on the command line.
  const child: ChildProcess = spawn(binary, ['-'], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin!.end(`port ${port}\nbind 127.0.0.1\nsave ""\nappendonly no\nrequirepass ${password}\n`);
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within ${timeoutMs} ms: ${output.slice(-300)}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with code ${code}: ${output.slice(-300)}`));
    });
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(force);
  };
  try {
    await ready;
  } catch (error) {
    await stop();
    throw new UserError('redis-start-failed', `redis-server (${binary}) did not start: ${(error as Error).message}`, {
      suggestion: 'check that it runs (redis-server --version), or set SHARED_STATE_URL to a running store',
      cause: error,
    });
  }
  return { url: `redis://:${password}@127.0.0.1:${port}`, shown: `redis://127.0.0.1:${port}`, stop };
}
