import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ServerResponse } from 'node:http';
import { clientKey, hello, startTopology, type Topology } from '../helpers/topology.js';
import { startRecordingBackend, type RecordingBackend } from '../helpers/recording-backend.js';
import { waitFor } from '../helpers/wait.js';

describe('streaming through simulators', () => {
  let topology: Topology;
  before(async () => {
    topology = await startTopology([
      { simulator: { latency: { firstTokenMs: 5, perTokenMs: 2 } } },
      { simulator: { latency: { firstTokenMs: 5, perTokenMs: 2 } } },
    ]);
  });
  after(() => topology.close());

  it('streams a chat completion to the AzureOpenAI client chunk by chunk', async () => {
    const stream = await topology.azure().chat.completions.create({ model: 'chat', messages: hello, max_tokens: 12, stream: true });
    const contents: string[] = [];
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      for (const choice of chunk.choices) {
        if (choice.delta?.content) contents.push(choice.delta.content);
        if (choice.finish_reason) finish = choice.finish_reason;
      }
    }
    assert.ok(contents.length >= 2, 'several content chunks');
    assert.ok(finish === 'stop' || finish === 'length', `the stream ended with a finish_reason (${finish})`);
  });

  it('streams on the v1 route with usage, and counts the tokens', async () => {
    const stream = await topology.v1().chat.completions.create({
      model: 'chat',
      messages: hello,
      max_tokens: 8,
      stream: true,
      stream_options: { include_usage: true },
    });
    let usage: { completion_tokens: number } | undefined | null;
    for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
    assert.ok(usage && usage.completion_tokens > 0);
    const status = await topology.status();
    const completionTokens = status.backends.flatMap((b) => b.deployments).reduce((sum, d) => sum + d.completionTokens, 0);
    assert.ok(completionTokens >= usage.completion_tokens);
  });

  it('ends a stream whose backend dies midway with an error event the SDK raises', async () => {
    for (const simulator of topology.simulators) simulator.addFault({ kind: 'midstream-reset', count: 1 });
    const stream = await topology.azure().chat.completions.create({ model: 'chat', messages: hello, max_tokens: 12, stream: true });
    await assert.rejects(async () => {
      for await (const _chunk of stream) {
        // consume
      }
    }, /backend stopped sending the stream/i);
    for (const simulator of topology.simulators) simulator.clearFaults();
  });
});

describe('streaming pass-through', () => {
  let backend: RecordingBackend;
  let topology: Topology;
  let release: () => void = () => undefined;
  before(async () => {
    backend = await startRecordingBackend((_request, res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"choices":[],"prompt_filter_results":[]}\n\n');
      return new Promise<void>((resolve) => {
        release = () => {
          res.end('data: [DONE]\n\n');
          resolve();
        };
        res.on('close', () => resolve());
      });
    });
    topology = await startTopology([{ url: backend.url, apiKey: 'backend-key' }]);
  });
  after(async () => {
    release();
    await topology.close();
    await backend.close();
  });

  it('delivers the first event while the backend is still streaming (no buffering)', async () => {
    const response = await fetch(`${topology.url}/openai/deployments/chat/chat/completions?api-version=2024-10-21`, {
      method: 'POST',
      headers: { 'api-key': clientKey, 'content-type': 'application/json' },
      body: JSON.stringify({ messages: hello, stream: true }),
    });
    assert.equal(response.headers.get('content-type'), 'text/event-stream');
    const reader = response.body!.getReader();
    const first = await reader.read();
    assert.match(Buffer.from(first.value!).toString(), /prompt_filter_results/);
    release();
    let rest = '';
    for (let part = await reader.read(); !part.done; part = await reader.read()) rest += Buffer.from(part.value).toString();
    assert.match(rest, /data: \[DONE\]/);
  });

  it('aborts the upstream request at once when the client disconnects', async () => {
    const controller = new AbortController();
    const response = await fetch(`${topology.url}/openai/deployments/chat/chat/completions?api-version=2024-10-21`, {
      method: 'POST',
      headers: { 'api-key': clientKey, 'content-type': 'application/json' },
      body: JSON.stringify({ messages: hello, stream: true }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    const upstream = backend.requests.at(-1)!;
    let upstreamAborted = false;
    void upstream.aborted.then(() => {
      upstreamAborted = true;
    });
    controller.abort();
    await waitFor('the upstream request to be aborted', () => upstreamAborted, 5_000);
  });
});
