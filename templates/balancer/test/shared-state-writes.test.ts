import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Reading } from '../src/shared-state/scripts.js';
import { DeploymentWrites, maxListedSends } from '../src/shared-state/writes.js';
import type { InFlight } from '../src/state.js';

interface Written {
  key: string;
  inFlight: InFlight | undefined;
  reading: Reading | undefined;
}

/** A store stand-in that records what would be written; `up` says whether it is usable; `answers` holds writes until released. */
function recorder(options: { held?: Array<() => void> } = {}): { writes: DeploymentWrites; written: Written[]; store: { up: boolean } } {
  const written: Written[] = [];
  const store = { up: true };
  const writes = new DeploymentWrites(
    {
      usable: () => store.up,
      write: (key, inFlight, reading) => {
        written.push({ key, inFlight, reading });
        const held = options.held;
        return held ? new Promise<void>((resolve) => held.push(resolve)) : Promise.resolve();
      },
      failed: (error) => assert.fail(String(error)),
    },
    60_000,
  );
  return { writes, written, store };
}

const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('a request that comes and goes between two writes costs no write', () => {
  const { writes, written } = recorder();
  writes.reserve('k', 100, 1)();
  writes.flush();
  assert.deepEqual(written, []);
  writes.close();
});

test('in-flight totals are written as totals, up and back down to zero', async () => {
  const { writes, written } = recorder();
  const first = writes.reserve('k', 100, 1);
  const second = writes.reserve('k', 50, 2);
  writes.flush();
  first();
  writes.flush();
  second();
  writes.flush();
  await settled();
  assert.deepEqual(
    written.map((w) => w.inFlight),
    [
      { tokens: 150, requests: 2, sentAt: [1, 2] },
      { tokens: 50, requests: 1, sentAt: [2] },
      { tokens: 0, requests: 0, sentAt: [] },
    ],
  );
  writes.reserve('k', 10, 3)();
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
  const done = writes.reserve('a', 100, 1);
  writes.reserve('b', 20, 2);
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
      ['a', { tokens: 0, requests: 0, sentAt: [] }],
      ['b', { tokens: 20, requests: 1, sentAt: [2] }],
    ],
  );
  writes.close();
});

test('only the newest send times are listed, and an older write answered late does not undo a newer one', async () => {
  const held: Array<() => void> = [];
  const { writes, written } = recorder({ held });
  const releases = Array.from({ length: maxListedSends + 3 }, (_, i) => writes.reserve('k', 1, 1000 + i));
  writes.flush();
  assert.deepEqual(
    written[0]!.inFlight!.sentAt,
    Array.from({ length: maxListedSends }, (_, i) => 1003 + i),
    'the newest 32',
  );
  for (const release of releases) release();
  writes.flush(); // write 2: zero
  const late = writes.reserve('k', 1, 2000);
  writes.flush(); // write 3: one in flight
  late();
  held[1]!(); // write 2's answer comes after write 3 was sent
  held[0]!();
  held[2]!();
  await settled();
  writes.reserve('k', 1, 3000)();
  writes.flush();
  assert.deepEqual(
    written.slice(1).map((w) => w.inFlight?.requests),
    [0, 1, 0],
    'write 3 said 1 was in flight, so the store may hold it: the next zero is written',
  );
  writes.close();
});
