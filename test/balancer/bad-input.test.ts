import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { clientKey, hello, startTopology, type Topology } from '../helpers/topology.js';
import { startRecordingBackend, type RecordingBackend } from '../helpers/recording-backend.js';

const chatPath = '/openai/deployments/chat/chat/completions?api-version=2024-10-21';

describe('bad input never reaches a backend and never crashes the balancer', () => {
  let backend: RecordingBackend;
  let topology: Topology;
  before(async () => {
    backend = await startRecordingBackend();
    topology = await startTopology([{ url: backend.url, apiKey: 'k' }], { MAX_BODY_BYTES: '1000' });
  });
  after(async () => {
    await topology.close();
    await backend.close();
  });

  async function post(body: string | Buffer, headers: Record<string, string> = {}): Promise<{ status: number; error: { code: string; message: string } }> {
    const response = await fetch(`${topology.url}${chatPath}`, {
      method: 'POST',
      headers: { 'api-key': clientKey, 'content-type': 'application/json', ...headers },
      body,
    });
    const json = (await response.json()) as { error: { code: string; message: string } };
    return { status: response.status, error: json.error };
  }

  it('answers 413 for a body over MAX_BODY_BYTES', async () => {
    const result = await post(JSON.stringify({ messages: [{ role: 'user', content: 'x'.repeat(2000) }] }));
    assert.equal(result.status, 413);
    assert.match(result.error.message, /1000 bytes \(MAX_BODY_BYTES\)/);
  });

  it('answers 413 for a chunked body that grows over the limit', async () => {
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 5; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(300)));
        controller.close();
      },
    });
    const response = await fetch(`${topology.url}${chatPath}`, {
      method: 'POST',
      headers: { 'api-key': clientKey, 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    assert.equal(response.status, 413);
  });

  it('answers 400 for a JSON body that does not parse', async () => {
    const result = await post('{"messages": [');
    assert.equal(result.status, 400);
    assert.match(result.error.message, /not valid JSON/);
  });

  it('refuses a request target that is not a path', async () => {
    const reply = await rawRequest(
      topology.url,
      `GET http://example.com/openai/v1/models HTTP/1.1\r\nHost: example.com\r\napi-key: ${clientKey}\r\nConnection: close\r\n\r\n`,
    );
    assert.match(reply, /^HTTP\/1\.1 400/);
  });

  it('survives malformed HTTP and keeps serving', async () => {
    const garbage = ['\x00\x01\x02 garbage\r\n\r\n', 'POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n', 'GET /%%% HTTP/1.1\r\nHost: x\r\n\r\n'];
    for (const text of garbage) await rawRequest(topology.url, text);
    const completion = await topology.azure().chat.completions.create({ model: 'chat', messages: hello });
    assert.equal(completion.object, 'chat.completion');
  });

  it('survives a client that disconnects while sending its body', async () => {
    const { port } = new URL(topology.url);
    await new Promise<void>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(
          `POST ${chatPath} HTTP/1.1\r\nHost: x\r\napi-key: ${clientKey}\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"messages":`,
        );
        socket.destroy();
        resolve();
      });
    });
    const health = await fetch(`${topology.url}/healthz`);
    assert.equal(health.status, 200);
  });

  it('let none of the bad requests reach the backend', () => {
    assert.equal(backend.requests.length, 1, 'only the one good completion');
  });
});

function rawRequest(base: string, text: string): Promise<string> {
  const { port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.end(text));
    let reply = '';
    socket.on('data', (chunk) => (reply += chunk.toString()));
    socket.on('close', () => resolve(reply));
    socket.on('error', reject);
  });
}
