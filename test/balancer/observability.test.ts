import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { clientKey, hello, startTopology, type Topology } from '../helpers/topology.js';

describe('/status and /metrics after a failover', () => {
  let topology: Topology;
  before(async () => {
    topology = await startTopology([{ priority: 1 }, { priority: 2 }]);
    topology.simulators[0]!.addFault({ kind: '429', count: 1, retryAfterMs: 30_000 });
    await topology.azure().chat.completions.create({ model: 'chat', messages: hello, max_tokens: 5 });
  });
  after(() => topology.close());

  it('reports each backend and deployment with its state, cooldown, remaining quota and counts', async () => {
    const status = await topology.status();
    assert.equal(status.status, 'ok');
    assert.equal(status.responses['200'], 1, 'the one completion, counted by status');
    const [first, second] = status.backends;
    assert.equal(first!.id, '1');
    assert.equal(first!.priority, 1);
    assert.equal(first!.authentication, 'api-key');
    const throttled = first!.deployments.find((d) => d.deployment === 'chat')!;
    assert.equal(throttled.state, 'cooling');
    assert.ok(throttled.cooldownRemainingMs > 25_000 && throttled.cooldownRemainingMs <= 30_000);
    assert.equal(throttled.throttled, 1);
    assert.equal(throttled.failovers, 1);
    assert.equal(throttled.requests, 1);
    const served = second!.deployments.find((d) => d.deployment === 'chat')!;
    assert.equal(served.state, 'healthy');
    assert.equal(served.requests, 1);
    assert.ok(served.remainingTokens! > 0 && served.remainingTokens! < 30_000);
    assert.ok(served.remainingRequests! >= 0);
    assert.ok(served.completionTokens > 0, 'tokens from usage');
  });

  it('exposes Prometheus counters, the cooldown gauge and the latency histogram', async () => {
    const text = await (await fetch(`${topology.url}/metrics`, { headers: { 'api-key': clientKey } })).text();
    assert.match(text, /aoai_lb_upstream_requests_total\{backend="1",deployment="chat",outcome="429"\} 1/);
    assert.match(text, /aoai_lb_upstream_requests_total\{backend="2",deployment="chat",outcome="200"\} 1/);
    assert.match(text, /aoai_lb_failovers_total\{backend="1",deployment="chat",reason="throttled"\} 1/);
    assert.match(text, /aoai_lb_requests_total\{status="200"\} \d+/);
    assert.match(text, /aoai_lb_backend_cooldown_seconds\{backend="1",deployment="chat",reason="throttled"\} (2\d|30)(\.\d+)?/);
    assert.match(text, /aoai_lb_backend_cooldown_seconds\{backend="2",deployment="chat",reason="none"\} 0/);
    assert.match(text, /aoai_lb_upstream_latency_seconds_count\{backend="2"\} 1/);
    assert.match(text, /aoai_lb_tokens_total\{backend="2",deployment="chat",kind="completion"\} [1-9]/);
  });
});
