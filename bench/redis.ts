/**
 * Debian's redis-server for the replicas measure: one per run, on a free loopback port, no persistence
 * (`--save '' --appendonly no`), stopped after the run (and killed with the bench on any exit).
 */
import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, stopProcess } from './processes.js';
import { spawnTracked } from './contenders/spawn.js';

export const redisServerPath = process.env.REDIS_SERVER ?? 'redis-server';

export interface Redis {
  /** redis://127.0.0.1:port */
  url: string;
  pid: number;
  stop(): Promise<void>;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let answer = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('utf8');
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
  });
}

export async function startRedis(timeoutMs = 10_000): Promise<Redis> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'];
  const tracked = spawnTracked('redis-server', redisServerPath, args, { PATH: process.env.PATH });
  let exited = false;
  void tracked.exited.then(() => (exited = true));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) {
      throw new Error(
        `redis-server could not start (${tracked.stderrTail().trim() || 'exited'}); Debian: apt-get install -y redis-server, or set REDIS_SERVER`,
      );
    }
    if (await ping(port)) break;
    if (Date.now() > deadline) {
      await stopProcess(tracked);
      throw new Error(`redis-server did not answer PING on port ${port} within ${timeoutMs} ms`);
    }
    await sleep(50);
  }
  return { url: `redis://127.0.0.1:${port}`, pid: tracked.pid, stop: () => stopProcess(tracked) };
}
