import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { clientKey, hello, startTopology, type Topology } from '../helpers/topology.js';
import { startRecordingBackend, type RecordingBackend } from '../helpers/recording-backend.js';

describe('route styles against simulators', () => {
  let topology: Topology;
  before(async () => {
    topology = await startTopology([{}, {}]);
  });
  after(() => topology.close());

  it('serves the 2024-generation AzureOpenAI client on dated routes', async () => {
    const completion = await topology.azure().chat.completions.create({ model: 'chat', messages: hello, max_tokens: 5 });
    assert.equal(completion.object, 'chat.completion');
    const embedding = await topology.azure().embeddings.create({ model: 'embedding', input: ['a', 'b'] });
    assert.equal(embedding.data.length, 2);
  });

  it('serves the 2025+ OpenAI client on /openai/v1', async () => {
    const completion = await topology.v1().chat.completions.create({ model: 'chat', messages: hello, max_tokens: 5 });
    assert.equal(completion.object, 'chat.completion');
    const embedding = await topology.v1().embeddings.create({ model: 'embedding', input: 'a' });
    assert.equal(embedding.data.length, 1);
  });

  it("passes a backend's own 4xx answer through unchanged", async () => {
    await assert.rejects(
      topology.azure().chat.completions.create({ model: 'no-such-deployment', messages: hello }),
      (error: { status?: number; code?: string }) => {
        assert.equal(error.status, 404);
        assert.equal(error.code, 'DeploymentNotFound');
        return true;
      },
    );
  });
});

describe('paths sent to each backend', () => {
  let prefixed: RecordingBackend;
  let renamed: RecordingBackend;
  let topology: Topology;
  before(async () => {
    prefixed = await startRecordingBackend();
    renamed = await startRecordingBackend();
    topology = await startTopology([
      { url: `${prefixed.url}/gateway/aoai/`, apiKey: 'k1', priority: 1 },
      { url: renamed.url, apiKey: 'k2', priority: 2, deploymentName: 'gpt4o-eu' },
    ]);
  });
  after(async () => {
    await topology.close();
    await prefixed.close();
    await renamed.close();
  });

  const send = (path: string, body: unknown): Promise<Response> =>
    fetch(`${topology.url}${path}`, {
      method: 'POST',
      headers: { 'api-key': clientKey, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it("puts a backend URL's path prefix in front of the client's path and keeps the query", async () => {
    const response = await send('/openai/deployments/chat/chat/completions?api-version=2024-10-21', { messages: hello });
    await response.arrayBuffer();
    assert.equal(prefixed.requests[0]!.url, '/gateway/aoai/openai/deployments/chat/chat/completions?api-version=2024-10-21');
  });

  it('passes any other path through unchanged', async () => {
    const response = await send('/openai/responses?api-version=2025-04-01-preview', { model: 'chat', input: 'hi' });
    await response.arrayBuffer();
    assert.equal(prefixed.requests.at(-1)!.url, '/gateway/aoai/openai/responses?api-version=2025-04-01-preview');
  });

  it('renames the deployment for a backend with BACKEND_<n>_DEPLOYMENT_NAME, in the path and in a v1 body', async () => {
    topology.balancer.balancer.backends[0]!.brokenUntil = Date.now() + 60_000;
    const dated = await send('/openai/deployments/chat/chat/completions?api-version=2024-10-21', { messages: hello });
    await dated.arrayBuffer();
    assert.equal(renamed.requests[0]!.url, '/openai/deployments/gpt4o-eu/chat/completions?api-version=2024-10-21');
    const v1 = await send('/openai/v1/chat/completions', { model: 'chat', messages: hello });
    await v1.arrayBuffer();
    assert.equal(renamed.requests[1]!.url, '/openai/v1/chat/completions');
    assert.equal(JSON.parse(renamed.requests[1]!.body.toString()).model, 'gpt4o-eu');
  });
});
