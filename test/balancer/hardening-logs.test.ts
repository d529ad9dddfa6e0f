// Defects a hostile probe found in what the balancer logs and forwards (issue 10 §2): each case failed
// before its fix. A real balancer in front of a recording backend; the client is raw fetch.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { clientKey, startTopology, type Topology } from '../helpers/topology.js';
import { startRecordingBackend, type RecordingBackend } from '../helpers/recording-backend.js';

const body = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] });
const forged = '2026-01-01T00:00:00.000Z info  Proxying to https://attacker.example/';

describe('text logs cannot be forged by a client', () => {
  let backend: RecordingBackend;
  let topology: Topology;
  before(async () => {
    backend = await startRecordingBackend();
    topology = await startTopology([{ url: backend.url, apiKey: 'backend-key' }]);
  });
  after(async () => {
    await topology.close();
    await backend.close();
  });

  const send = (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${topology.url}${path}`, {
      method: 'POST',
      headers: { 'api-key': clientKey, 'content-type': 'application/json' },
      body,
      ...init,
    });

  it('escapes CR, LF, NUL and other controls of a percent-decoded deployment name', async () => {
    const name = encodeURIComponent(`chat\r\n${forged}\u0000\u2028x`);
    const before = topology.logs.length;
    await (await send(`/openai/deployments/${name}/chat/completions?api-version=2024-10-21`)).arrayBuffer();
    const written = topology.logs.slice(before).join('');
    assert.equal(written.split('\n').length - 1, topology.logs.length - before, 'one line per log call');
    assert.doesNotMatch(written, /^2026-01-01T00:00:00\.000Z/m, 'no forged line');
    assert.match(written, /deployment="chat\\u000d\\u000a2026-01-01T00:00:00\.000Z info {2}Proxying to https:\/\/attacker\.example\/\\u0000\\u2028x"/);
  });

  it("escapes a v1 body's model, and quotes a value that would read as more fields", async () => {
    const before = topology.logs.length;
    const model = `chat status=200 backend=9\n${forged}`;
    await (await send('/openai/v1/chat/completions', { body: JSON.stringify({ model, messages: [] }) })).arrayBuffer();
    const line = topology.logs.slice(before).find((entry) => entry.includes('Proxying to'));
    assert.ok(line, topology.logs.slice(before).join(''));
    assert.equal(line.indexOf('\n'), line.length - 1, 'a single line');
    assert.match(line, / deployment="chat status=200 backend=9\\u000a2026-01-01T00:00:00\.000Z info {2}Proxying to https:\/\/attacker\.example\/" /);
    assert.match(line, / status=200 /);
  });
});

describe('query secrets', () => {
  let backend: RecordingBackend;
  let topology: Topology;
  before(async () => {
    backend = await startRecordingBackend();
    topology = await startTopology([{ url: backend.url, apiKey: 'backend-key' }]);
  });
  after(async () => {
    await topology.close();
    await backend.close();
  });

  const post = async (query: string): Promise<number> => {
    const response = await fetch(`${topology.url}/openai/deployments/chat/chat/completions${query}`, {
      method: 'POST',
      headers: { 'api-key': clientKey, 'content-type': 'application/json' },
      body,
    });
    await response.arrayBuffer();
    return response.status;
  };

  it('logs only a well-formed api-version, never what a client appended to it', async () => {
    const before = topology.logs.length;
    assert.equal(await post('?api-version=2024-06-01;token=SECRET-IN-QUERY'), 200);
    assert.equal(await post('?api-version=2024-10-21&token=SECRET-TWO'), 200);
    assert.equal(await post('?api-version=2025-04-01-preview'), 200);
    const written = topology.logs.slice(before).join('');
    assert.doesNotMatch(written, /SECRET/);
    assert.match(written, /chat\/completions\?api-version=\(invalid\) /);
    assert.match(written, /chat\/completions\?api-version=2024-10-21 /);
    assert.match(written, /chat\/completions\?api-version=2025-04-01-preview /);
  });

  it('does not forward a client key sent in the query, and keeps every other parameter as sent', async () => {
    const first = backend.requests.length;
    assert.equal(await post(`?api-version=2024-10-21&api-key=${clientKey}&x=a%20b`), 200);
    assert.equal(await post(`?API-Key=${clientKey}&api-version=2024-10-21`), 200);
    assert.equal(await post(`?api%2Dkey=${clientKey}`), 200);
    const urls = backend.requests.slice(first).map((request) => request.url);
    assert.deepEqual(urls, [
      '/openai/deployments/chat/chat/completions?api-version=2024-10-21&x=a%20b',
      '/openai/deployments/chat/chat/completions?api-version=2024-10-21',
      '/openai/deployments/chat/chat/completions',
    ]);
    for (const request of backend.requests.slice(first)) assert.equal(request.headers['api-key'], 'backend-key');
    assert.doesNotMatch(topology.logs.join(''), new RegExp(clientKey));
  });
});
