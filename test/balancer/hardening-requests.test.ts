// Defects a hostile probe found in how the balancer reads requests and answers (issue 10 §2); each case
// failed before its fix. Real balancer, recording backends and simulators on 127.0.0.1, raw sockets.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { clientKey, startTopology, type Topology } from '../helpers/topology.js';
import { startRecordingBackend, okChat, type RecordingBackend } from '../helpers/recording-backend.js';
import { exchange, openRaw } from '../helpers/raw-http.js';

const chatPath = '/openai/deployments/chat/chat/completions?api-version=2024-10-21';
const chatBody = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] });

describe('slow and refused clients', () => {
  let backend: RecordingBackend;
  let topology: Topology;
  before(async () => {
    backend = await startRecordingBackend();
    topology = await startTopology([{ url: backend.url, apiKey: 'k' }], { CLIENT_BODY_TIMEOUT_SECONDS: '0.3', CLIENT_HEADER_TIMEOUT_SECONDS: '0.5' });
  });
  after(async () => {
    await topology.close();
    await backend.close();
  });

  it('a 401 for a request whose large body is still coming closes the connection instead of reading it', async () => {
    const connection = await openRaw(topology.url);
    connection.send(`POST ${chatPath} HTTP/1.1\r\nHost: x\r\napi-key: wrong\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n{"messages":`);
    const text = await connection.untilClosed();
    assert.match(text, /^HTTP\/1\.1 401 /);
    assert.match(text, /\r\nconnection: close\r\n/i);
    assert.match(text, /\r\nx-aoai-lb-backend: none\r\n/i);
    connection.close();
  });

  it('an authenticated upload that stalls gets 408 and the connection closes', async () => {
    const connection = await openRaw(topology.url);
    connection.send(
      `POST ${chatPath} HTTP/1.1\r\nHost: x\r\napi-key: ${clientKey}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"messages":`,
    );
    const text = await connection.untilClosed();
    assert.match(text, /^HTTP\/1\.1 408 /);
    assert.match(text, /"code":"RequestTimeout".*CLIENT_BODY_TIMEOUT_SECONDS/);
    connection.close();
  });

  it('headers that stop arriving: the connection is closed', async () => {
    const connection = await openRaw(topology.url);
    connection.send(`POST ${chatPath} HTTP/1.1\r\nHost: x\r\napi-key: ${clientKey}\r\n`);
    const text = await connection.untilClosed();
    assert.match(text, /^(HTTP\/1\.1 408 |$)/);
    connection.close();
  });

  it('none of them reached the backend', () => {
    assert.equal(backend.requests.length, 0);
  });
});

describe('a backend that trickles its error body', () => {
  let slow: RecordingBackend;
  let healthy: RecordingBackend;
  let topology: Topology;
  let trickleDone = false;
  before(async () => {
    slow = await startRecordingBackend((_request, res) => {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after-ms': '5000' });
      let sent = 0;
      const timer = setInterval(() => {
        if (res.destroyed || ++sent > 60) {
          clearInterval(timer);
          trickleDone = true;
          res.end();
          return;
        }
        res.write(' ');
      }, 500);
    });
    healthy = await startRecordingBackend(okChat);
    topology = await startTopology(
      [
        { url: slow.url, apiKey: 'k', priority: 1 },
        { url: healthy.url, apiKey: 'k', priority: 2 },
      ],
      { HTTP_TIMEOUT_SECONDS: '3' },
    );
  });
  after(async () => {
    await topology.close();
    await slow.close();
    await healthy.close();
  });

  it("fails over without waiting for the rest of it, and takes its headers' cooldown", async () => {
    const completion = await topology.azure().chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(completion.object, 'chat.completion');
    assert.equal(trickleDone, false, 'answered while the 429 body was still trickling');
    await slow.requests[0]!.aborted;
    const line = topology.logs.find((entry) => entry.includes(slow.url) && entry.includes('status=429'));
    assert.match(line!, /cooldown_s=5\.0 cooldown_from=retry-after-ms/);
  });
});

describe('media types, large v1 bodies and made-up deployment names', () => {
  let backend: RecordingBackend;
  let topology: Topology;
  before(async () => {
    backend = await startRecordingBackend(okChat);
    topology = await startTopology([{ url: backend.url, apiKey: 'k', deploymentName: 'renamed' }]);
  });
  after(async () => {
    await topology.close();
    await backend.close();
  });

  const post = async (path: string, body: string, contentType: string): Promise<number> => {
    const response = await fetch(`${topology.url}${path}`, { method: 'POST', headers: { 'api-key': clientKey, 'content-type': contentType }, body });
    await response.arrayBuffer();
    return response.status;
  };

  it('reads Content-Type without case and parameters: invalid JSON is refused, the v1 model renamed', async () => {
    assert.equal(await post(chatPath, '{"messages":', 'Application/JSON; charset=UTF-8'), 400);
    assert.equal(await post(chatPath, '{"messages":', 'application/vnd.api+json'), 400);
    const before = backend.requests.length;
    assert.equal(await post('/openai/v1/chat/completions', JSON.stringify({ model: 'chat', messages: [] }), 'APPLICATION/JSON'), 200);
    assert.equal(JSON.parse(backend.requests[before]!.body.toString()).model, 'renamed');
  });

  it('renames the model of a v1 body over 1 MiB', async () => {
    const before = backend.requests.length;
    const big = JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'x'.repeat(2 * 1024 * 1024) }] });
    assert.equal(await post('/openai/v1/chat/completions', big, 'application/json'), 200);
    const forwarded = JSON.parse(backend.requests[before]!.body.toString()) as { model: string; messages: Array<{ content: string }> };
    assert.equal(forwarded.model, 'renamed');
    assert.equal(forwarded.messages[0]!.content.length, 2 * 1024 * 1024);
  });
});

describe('deployment names no backend has', () => {
  let topology: Topology;
  before(async () => {
    topology = await startTopology([{}, {}]);
  });
  after(async () => topology.close());

  it('leave no state behind: /status and /metrics show only deployments a backend answered for', async () => {
    for (let i = 0; i < 600; i++) {
      const response = await fetch(`${topology.url}/openai/deployments/junk-${i}/chat/completions?api-version=2024-10-21`, {
        method: 'POST',
        headers: { 'api-key': clientKey, 'content-type': 'application/json' },
        body: chatBody,
      });
      assert.equal(response.status, 404);
      await response.arrayBuffer();
    }
    await topology.azure().chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] });
    const status = await topology.status();
    for (const backend of status.backends)
      assert.ok(
        backend.deployments.every((d) => d.deployment === 'chat'),
        JSON.stringify(backend.deployments.map((d) => d.deployment)),
      );
    const metrics = await (await fetch(`${topology.url}/metrics`, { headers: { 'api-key': clientKey } })).text();
    assert.doesNotMatch(metrics, /junk-/);
    assert.ok(metrics.length < 20_000, `${metrics.length} bytes of metrics`);
  });
});

describe('request targets and methods that never reach a backend', () => {
  let backend: RecordingBackend;
  let topology: Topology;
  before(async () => {
    backend = await startRecordingBackend(okChat);
    topology = await startTopology([{ url: `${backend.url}/aoai/`, apiKey: 'backend-key' }]);
  });
  after(async () => {
    await topology.close();
    await backend.close();
  });

  const raw = (line: string): Promise<string> =>
    exchange(topology.url, `${line}\r\nHost: x\r\napi-key: ${clientKey}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);

  it('refuses dot segments that climb above the root, plain or percent-encoded', async () => {
    for (const target of ['/../admin/x', '/openai/../../admin/x', '/%2e%2e/admin', '/openai/%2E%2E/%2e%2e/admin']) {
      const reply = await raw(`GET ${target} HTTP/1.1`);
      assert.match(reply, /^HTTP\/1\.1 400 /, target);
      assert.match(reply, /must not climb above the root/);
    }
    assert.equal(backend.requests.length, 0);
  });

  it("resolves the others before adding the backend's path prefix", async () => {
    const reply = await raw('GET /openai/deployments/x/../chat/%2e/models?api-version=2024-10-21 HTTP/1.1');
    assert.match(reply, /^HTTP\/1\.1 200 /);
    assert.equal(backend.requests.at(-1)!.url, '/aoai/openai/deployments/chat/models?api-version=2024-10-21');
  });

  it('refuses methods the Azure OpenAI API does not use, with 405 and the allowed list', async () => {
    const before = backend.requests.length;
    for (const method of ['TRACE', 'PROPFIND', 'MKCOL', 'LOCK', 'OPTIONS', 'PURGE', 'COPY', 'MOVE', 'SEARCH']) {
      const reply = await raw(`${method} /openai/v1/models HTTP/1.1`);
      assert.match(reply, /^HTTP\/1\.1 405 /, method);
      assert.match(reply, /\r\nallow: GET, HEAD, POST, PUT, PATCH, DELETE\r\n/i, method);
    }
    assert.equal(backend.requests.length, before);
  });
});

describe('answers in order on a connection', () => {
  let backend: RecordingBackend;
  let topology: Topology;
  let release: () => void = () => undefined;
  before(async () => {
    backend = await startRecordingBackend(async (request, res) => {
      await new Promise<void>((resolve) => (release = resolve));
      okChat(request, res);
    });
    topology = await startTopology([{ url: backend.url, apiKey: 'k' }]);
  });
  after(async () => {
    release();
    await topology.close();
    await backend.close();
  });

  it('a malformed request pipelined behind one in progress closes the connection, no 400 ahead of the answer', async () => {
    const connection = await openRaw(topology.url);
    const good = `POST ${chatPath} HTTP/1.1\r\nHost: x\r\napi-key: ${clientKey}\r\nContent-Type: application/json\r\nContent-Length: ${chatBody.length}\r\n\r\n${chatBody}`;
    connection.send(`${good}GET /x HTTP/1.1\r\nContent-Length: abc\r\n\r\n`);
    await connection.untilClosed();
    release();
    assert.doesNotMatch(connection.received(), /^HTTP\/1\.1 400/, 'no 400 written ahead of the first answer');
    connection.close();
  });
});

describe("the balancer's own answers", () => {
  let topology: Topology;
  before(async () => {
    topology = await startTopology([{}], { MAX_BODY_BYTES: '100' });
  });
  after(async () => topology.close());

  it('carry x-aoai-lb-backend: none (401, 400, 413, 405, 429)', async () => {
    const ask = async (init: RequestInit, path = chatPath): Promise<Response> => {
      const response = await fetch(`${topology.url}${path}`, init);
      await response.arrayBuffer();
      return response;
    };
    const headers = { 'api-key': clientKey, 'content-type': 'application/json' };
    const answers = [
      await ask({ method: 'POST', headers: { 'api-key': 'wrong' }, body: chatBody }),
      await ask({ method: 'POST', headers, body: '{' }),
      await ask({ method: 'POST', headers, body: 'x'.repeat(500) }),
    ];
    assert.deepEqual(
      answers.map((r) => r.status),
      [401, 400, 413],
    );
    const refusedMethod = await exchange(topology.url, `PROPFIND ${chatPath} HTTP/1.1\r\nHost: x\r\napi-key: ${clientKey}\r\nConnection: close\r\n\r\n`);
    assert.match(refusedMethod, /^HTTP\/1\.1 405 [^]*\r\nx-aoai-lb-backend: none\r\n/i);
    for (const response of answers) assert.equal(response.headers.get('x-aoai-lb-backend'), 'none', String(response.status));
    topology.simulators[0]!.addFault({ kind: '429', count: 1, retryAfterMs: 5000 });
    const throttled = await ask({ method: 'POST', headers, body: chatBody });
    assert.equal(throttled.status, 429);
    assert.equal(throttled.headers.get('x-aoai-lb-backend'), 'none');
  });
});
