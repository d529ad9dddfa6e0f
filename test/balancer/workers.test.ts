// WORKERS: the image's entry point (dist/main.js) as the container runs it, with two workers sharing the
// port and the state (SHARED_STATE_URL): both serve, each sees the other in the store, a worker that dies is
// replaced, and SIGTERM stops them all.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import type { BalancerStatus } from '../../templates/balancer/src/status.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { freePort } from '../helpers/free-port.js';
import { waitFor } from '../helpers/wait.js';

const main = fileURLToPath(new URL('../../templates/balancer/dist/main.js', import.meta.url));
const clientKey = 'workers-client-key';

/** GET /status on a new connection each time, so that the primary may hand it to either worker. */
function status(port: number): Promise<BalancerStatus> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/status', headers: { 'api-key': clientKey }, agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(JSON.parse(body) as BalancerStatus));
    });
    req.once('error', reject);
    req.end();
  });
}

describe('WORKERS=2 with shared state', () => {
  let redis: RedisServer;
  let simulator: Simulator;
  let port: number;
  let child: ReturnType<typeof spawn>;
  let output = '';
  let exited: Promise<number | null>;

  before(async () => {
    redis = await startRedis();
    simulator = await startSimulator({ apiKeys: ['sim-key'], latency: 'none' });
    port = await freePort();
    child = spawn(process.execPath, [main], {
      env: {
        PATH: process.env.PATH,
        HOST: '127.0.0.1',
        PORT: String(port),
        CLIENT_API_KEYS: clientKey,
        BACKEND_1_URL: simulator.url,
        BACKEND_1_APIKEY: 'sim-key',
        SHARED_STATE_URL: redis.url,
        SHARED_STATE_REFRESH_MS: '50',
        WORKERS: '2',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  });
  after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    await simulator.close();
    await redis.close();
  });

  it('both workers serve the one port and see each other in the store', async () => {
    await waitFor(`two workers listening (output: ${output.slice(-400)})`, () => (output.match(/aoai-lb balancer listening on/g)?.length ?? 0) >= 2, 20_000);
    assert.match(output, /starting 2 workers on port \d+, sharing state through redis:\/\/127\.0\.0\.1:\d+/);
    const replicas = new Set<string>();
    await waitFor('both workers answering, each seeing the other', async () => {
      const seen = await status(port);
      if (seen.sharedState?.mode === 'shared' && seen.sharedState.peers >= 1) replicas.add(seen.sharedState.replica);
      return replicas.size === 2;
    });
  });

  it('a worker that dies is replaced', async () => {
    const before = (output.match(/aoai-lb balancer listening on/g) ?? []).length;
    const pid = Number(/:(\d+):/.exec((await status(port)).sharedState!.replica)![1]);
    assert.notEqual(pid, child.pid, 'a worker answered, not the primary');
    process.kill(pid, 'SIGKILL');
    await waitFor('a new worker listening', () => (output.match(/aoai-lb balancer listening on/g)?.length ?? 0) > before, 20_000);
    assert.match(output, new RegExp(`worker ${pid} ended \\(SIGKILL\\); starting another`));
  });

  it('SIGTERM stops every worker, then the primary, with exit code 0', async () => {
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    await waitFor('the port to be free', async () => {
      try {
        await status(port);
        return false;
      } catch {
        return true;
      }
    });
  });
});
