import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { chatUrl, hello, postJson } from './helpers.js';

let sim: Simulator;
before(async () => {
  sim = await startSimulator({ latency: 'none', apiKeys: ['k'] });
});
after(() => sim.close());

const control = (path: string, method: string, body?: unknown): Promise<Response> =>
  fetch(`${sim.url}/__sim/${path}`, { method, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });

interface Stats {
  deployments: { name: string; model: string; tpm: number; requests: number; admitted: number; faultsServed: number }[];
  faults: { kind: string; remaining?: number }[];
}

test('stats (no auth needed) lists deployments and counters', async () => {
  await postJson(chatUrl(sim.url), hello, { 'api-key': 'k' });
  const res = await control('stats', 'GET');
  assert.equal(res.status, 200);
  const stats = (await res.json()) as Stats;
  assert.deepEqual(
    stats.deployments.map((d) => [d.name, d.model, d.tpm]),
    [
      ['chat', 'gpt-35-turbo', 30000],
      ['embedding', 'text-embedding-ada-002', 30000],
    ],
  );
  assert.equal(stats.deployments[0]!.admitted, 1);
});

test('faults: POST adds, DELETE clears, bad specs are 400', async () => {
  const added = await control('faults', 'POST', { kind: '503', count: 1 });
  assert.equal(added.status, 201);
  assert.deepEqual(((await added.json()) as Stats).faults, [{ kind: '503', count: 1, remaining: 1 }]);
  assert.equal((await postJson(chatUrl(sim.url), hello, { 'api-key': 'k' })).status, 503);
  await control('faults', 'POST', { kind: 'hang' });
  assert.equal(((await (await control('stats', 'GET')).json()) as Stats).faults.length, 1);
  assert.equal((await control('faults', 'DELETE')).status, 200);
  assert.equal((await postJson(chatUrl(sim.url), hello, { 'api-key': 'k' })).status, 200);
  assert.equal((await control('faults', 'POST', { kind: 'explode' })).status, 400);
  assert.equal((await control('faults', 'POST', '{not json')).status, 400);
  assert.equal((await control('faults', 'POST', { kind: '429', retryAfterMs: -1 })).status, 400);
});

test('PUT deployments changes TPM at run time and adds new deployments', async () => {
  const changed = await control('deployments/chat', 'PUT', { tpm: 50000 });
  assert.equal(changed.status, 200);
  assert.equal(((await changed.json()) as { tpm: number }).tpm, 50000);
  const res = await postJson(chatUrl(sim.url), hello, { 'api-key': 'k' });
  assert.equal(res.headers.get('x-ratelimit-limit-tokens'), '50000');

  assert.equal((await control('deployments/gpt4o', 'PUT', { tpm: 1000 })).status, 400); // a new one needs a model
  assert.equal((await control('deployments/gpt4o', 'PUT', { tpm: 1000, model: 'gpt-4o' })).status, 200);
  const fresh = await postJson(chatUrl(sim.url, 'gpt4o'), hello, { 'api-key': 'k' });
  assert.equal(fresh.status, 200);
  assert.equal(((await fresh.json()) as { model: string }).model, 'gpt-4o');
  assert.equal((await control('deployments/chat', 'PUT', { tpm: -5 })).status, 400);
  sim.addDeployment({ name: 'emb3', model: 'text-embedding-3-large', tpm: 1000 });
  assert.ok(sim.stats().deployments.some((d) => d.name === 'emb3'));
});

test('reset clears windows, counters and faults', async () => {
  sim.addFault({ kind: '500' });
  const reset = await control('reset', 'POST');
  assert.equal(reset.status, 200);
  const stats = (await (await control('stats', 'GET')).json()) as Stats;
  assert.deepEqual(stats.faults, []);
  assert.ok(stats.deployments.every((d) => d.requests === 0 && d.admitted === 0));
  const res = await postJson(chatUrl(sim.url), hello, { 'api-key': 'k' });
  assert.equal(res.headers.get('x-ratelimit-remaining-requests'), String(Number(res.headers.get('x-ratelimit-limit-requests')) - 1));
});

test('unknown control routes are 404', async () => {
  assert.equal((await control('nothing', 'GET')).status, 404);
  assert.equal((await control('stats', 'DELETE')).status, 404);
});
