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

/** One request on a new connection each time, so that the primary may hand it to either worker. */
function send(port: number, path: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers = { 'api-key': clientKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
    const req = request({ host: '127.0.0.1', port, path, method: body === undefined ? 'GET' : 'POST', headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.once('error', reject);
    req.end(body);
  });
}

async function status(port: number): Promise<BalancerStatus> {
  return JSON.parse((await send(port, '/status')).text) as BalancerStatus;
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

  it('/metrics counts for the whole replica, whichever worker takes the scrape', async () => {
    const chats = 6;
    const body = JSON.stringify({ messages: [{ role: 'user', content: 'hello' }], max_tokens: 5 });
    for (let i = 0; i < chats; i++) {
      const answer = await send(port, '/openai/deployments/chat/chat/completions?api-version=2024-10-21', body);
      assert.equal(answer.status, 200, answer.text);
    }
    // Both workers served some: each one's own count is below the total.
    const served = new Map<string, number>();
    await waitFor('both workers to have answered /status', async () => {
      const seen = await status(port);
      const chat = seen.backends[0]!.deployments.find((d) => d.deployment === 'chat');
      served.set(seen.sharedState!.replica, chat?.requests ?? 0);
      return served.size === 2;
    });
    const own = [...served.values()];
    assert.ok(
      own.every((count) => count < chats),
      `each worker served part: ${own.join(' + ')}`,
    );

    for (let scrape = 0; scrape < 4; scrape++) {
      const metrics = await send(port, '/metrics');
      assert.equal(metrics.status, 200, metrics.text);
      assert.match(metrics.text, new RegExp(`^aoai_lb_upstream_requests_total\\{backend="1",deployment="chat",outcome="200"\\} ${chats}$`, 'm'));
      assert.match(metrics.text, new RegExp(`^aoai_lb_requests_total\\{status="200"\\} ${chats}$`, 'm'));
      assert.match(metrics.text, /^aoai_lb_shared_state_up 1$/m);
      assert.match(metrics.text, /^aoai_lb_requests_waiting 0$/m);
    }
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
