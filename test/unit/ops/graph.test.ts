import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runGraph, type StepOutcome } from '../../../src/ops/graph.js';
import type { StepHandle } from '../../../src/ui/progress.js';

const silent = { step: (): StepHandle => ({ update() {}, succeed() {}, skip() {}, fail() {} }) };

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('runGraph', () => {
  it('starts every step whose dependencies are done, concurrently, and no earlier', async () => {
    const running = new Set<string>();
    const seenTogether: string[][] = [];
    const gates = new Map(['a', 'b', 'c', 'd'].map((id) => [id, gate()]));
    const steps = [
      { id: 'a', title: 'a', dependsOn: [] },
      { id: 'b', title: 'b', dependsOn: ['a'] },
      { id: 'c', title: 'c', dependsOn: ['a'] },
      { id: 'd', title: 'd', dependsOn: ['b', 'c'] },
    ];
    const done = runGraph(
      steps,
      async (id): Promise<StepOutcome> => {
        running.add(id);
        seenTogether.push([...running].sort());
        await gates.get(id)!.promise;
        running.delete(id);
        return 'created';
      },
      silent,
    );
    gates.get('a')!.open();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual([...running].sort(), ['b', 'c'], 'b and c run together once a is done');
    gates.get('b')!.open();
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(!running.has('d'), 'd waits for c');
    gates.get('c')!.open();
    gates.get('d')!.open();
    const reports = await done;
    assert.deepEqual(
      reports.map((r) => `${r.id}:${r.outcome}`),
      ['a:created', 'b:created', 'c:created', 'd:created'],
    );
    assert.ok(!seenTogether.some((group) => group.includes('a') && group.length > 1), 'nothing ran beside a');
  });

  it('after a failure starts nothing new, lets running steps finish, then throws the first error', async () => {
    const started: string[] = [];
    const slow = gate();
    const steps = [
      { id: 'fails', title: 'fails', dependsOn: [] },
      { id: 'slow', title: 'slow', dependsOn: [] },
      { id: 'after', title: 'after', dependsOn: ['slow'] },
    ];
    const done = runGraph(
      steps,
      async (id): Promise<StepOutcome> => {
        started.push(id);
        if (id === 'fails') throw new Error('boom');
        if (id === 'slow') await slow.promise;
        return 'unchanged';
      },
      silent,
    );
    await new Promise((resolve) => setImmediate(resolve));
    slow.open();
    await assert.rejects(done, /boom/);
    assert.deepEqual(started.sort(), ['fails', 'slow']);
  });

  it('names steps whose dependency is missing from the graph', async () => {
    await assert.rejects(
      runGraph([{ id: 'x', title: 'x', dependsOn: ['nowhere'] }], async () => 'created', silent),
      /never became ready.*x/,
    );
  });
});
