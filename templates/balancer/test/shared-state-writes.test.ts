import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Reading } from '../src/shared-state/scripts.js';
import { DeploymentWrites } from '../src/shared-state/writes.js';
import type { InFlight } from '../src/state.js';

interface Written {
  key: string;
  inFlight: InFlight | undefined;
  reading: Reading | undefined;
}

/** A store stand-in that records what would be written; `up` says whether it is usable. */
function recorder(): { writes: DeploymentWrites; written: Written[]; store: { up: boolean } } {
  const written: Written[] = [];
  const store = { up: true };
  const writes = new DeploymentWrites(
    {
      usable: () => store.up,
      write: async (key, inFlight, reading) => void written.push({ key, inFlight, reading }),
      failed: (error) => assert.fail(String(error)),
    },
    60_000,
  );
  return { writes, written, store };
}

const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('a request that comes and goes between two writes costs no write', () => {
  const { writes, written } = recorder();
  writes.reserve('k', 100)();
  writes.flush();
  assert.deepEqual(written, []);
  writes.close();
});

test('in-flight totals are written as totals, up and back down to zero', async () => {
  const { writes, written } = recorder();
  const first = writes.reserve('k', 100);
  const second = writes.reserve('k', 50);
  writes.flush();
  first();
  writes.flush();
  second();
  writes.flush();
  await settled();
  assert.deepEqual(
    written.map((w) => w.inFlight),
    [
      { tokens: 150, requests: 2 },
      { tokens: 50, requests: 1 },
      { tokens: 0, requests: 0 },
    ],
  );
  writes.reserve('k', 10)();
  writes.flush();
  assert.equal(written.length, 3, 'once zero was written, a request that came and went writes nothing');
  writes.close();
});

test('only the newest reading since the last write goes, with the in-flight total untouched', () => {
  const { writes, written } = recorder();
  writes.observe('k', { tokens: 900, requests: 8, at: 2000 });
  writes.observe('k', { tokens: 950, requests: 9, at: 1000 });
  writes.flush();
  assert.deepEqual(written, [{ key: 'k', inFlight: undefined, reading: { tokens: 900, requests: 8, at: 2000 } }]);
  writes.close();
});

test('while the store is away nothing is written; when it is back, every total it may have wrong is written again', async () => {
  const { writes, written, store } = recorder();
  const done = writes.reserve('a', 100);
  writes.reserve('b', 20);
  writes.flush();
  await settled();
  store.up = false;
  done();
  writes.flush();
  assert.equal(written.length, 2, 'nothing written while away');
  store.up = true;
  writes.rejoined();
  writes.flush();
  assert.deepEqual(
    written.slice(2).map((w) => [w.key, w.inFlight]),
    [
      ['a', { tokens: 0, requests: 0 }],
      ['b', { tokens: 20, requests: 1 }],
    ],
  );
  writes.close();
});
