import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'node:http';
import { clientKey, startTopology, type Topology } from '../helpers/topology.js';
import { startRecordingBackend, type RecordingBackend } from '../helpers/recording-backend.js';
import { waitFor } from '../helpers/wait.js';

const total = 256 * 1024 * 1024;
const chunk = Buffer.alloc(64 * 1024, 'a');

describe('streaming back-pressure', () => {
  let backend: RecordingBackend;
  let topology: Topology;
  const progress = { written: 0, blocked: false, blockedSince: 0, finished: false };
  before(async () => {
    backend = await startRecordingBackend((_request, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const pump = (): void => {
        while (progress.written < total) {
          progress.written += chunk.length;
          if (!res.write(chunk)) {
            progress.blocked = true;
            progress.blockedSince = Date.now();
            res.once('drain', () => {
              progress.blocked = false;
              pump();
            });
            return;
          }
        }
        progress.finished = true;
        res.end();
      };
      pump();
    });
    topology = await startTopology([{ url: backend.url, apiKey: 'k' }]);
  });
  after(async () => {
    await topology.close();
    await backend.close();
  });

  it('stops reading from the backend while the client is not reading', async () => {
    const { port } = new URL(topology.url);
    const client = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/openai/deployments/chat/chat/completions?api-version=2024-10-21',
      headers: { 'api-key': clientKey, 'content-type': 'application/json' },
    });
    const response = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      client.on('response', resolve);
      client.on('error', reject);
      client.end('{"stream":true}');
    });
    response.pause();
    try {
      assert.equal(response.statusCode, 200);
      // Without back-pressure the balancer reads the backend dry into memory: half the stream passes in
      // well under a second. With it, the backend stays blocked once the pipes are full.
      await waitFor(
        'the backend to stay blocked for a second, or half the stream to pass',
        () => progress.written >= total / 2 || (progress.blocked && Date.now() - progress.blockedSince > 1_000),
        30_000,
      );
      assert.ok(progress.written < total / 2, `only socket buffers' worth went out (${(progress.written / 1048576).toFixed(1)} MiB of 256)`);
      assert.equal(progress.finished, false);
    } finally {
      response.destroy();
      client.destroy();
    }
  });
});
