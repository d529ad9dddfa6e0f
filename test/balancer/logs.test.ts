import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { clientKey, hello, startTopology, type Topology } from '../helpers/topology.js';

describe('log lines', () => {
  for (const format of ['text', 'json'] as const) {
    describe(`LOG_FORMAT=${format}`, () => {
      let topology: Topology;
      before(async () => {
        topology = await startTopology([{ priority: 1 }, { priority: 2 }], { LOG_FORMAT: format });
      });
      after(() => topology.close());

      it('writes one "Proxying to <backend URL>" line per upstream attempt with its outcome', async () => {
        topology.simulators[0]!.addFault({ kind: '429', count: 1, retryAfterMs: 2_000 });
        await topology.azure().chat.completions.create({ model: 'chat', messages: hello, max_tokens: 5 });
        const attempts = topology.logs.filter((line) => line.includes('Proxying to '));
        assert.equal(attempts.length, 2);
        const [first, second] = attempts as [string, string];
        const backend1 = `${topology.simulators[0]!.url}/openai/deployments/chat/chat/completions?api-version=2024-10-21`;
        const backend2 = `${topology.simulators[1]!.url}/openai/deployments/chat/chat/completions?api-version=2024-10-21`;
        assert.ok(first.includes(`Proxying to ${backend1}`));
        assert.ok(second.includes(`Proxying to ${backend2}`));
        if (format === 'json') {
          const throttled = JSON.parse(first) as Record<string, unknown>;
          assert.equal(throttled.status, '429');
          assert.equal(throttled.cooldown_s, '2.0');
          assert.equal(throttled.backend, '1');
          assert.equal(typeof throttled.ms, 'number');
          const served = JSON.parse(second) as Record<string, unknown>;
          assert.equal(served.status, '200');
          assert.equal(served.level, 'info');
        } else {
          assert.match(first, /status=429 ms=\d+ .*cooldown_s=2\.0 cooldown_from=retry-after-ms/);
          assert.match(second, /status=200 ms=\d+/);
        }
      });

      it('never writes a key, a token or a body', async () => {
        await topology.v1().chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'secret-prompt-text' }] });
        const all = topology.logs.join('');
        for (const secret of [clientKey, 'simulator-key', 'secret-prompt-text']) assert.ok(!all.includes(secret), `logs contain ${secret}`);
      });
    });
  }
});
