/**
 * Runs a dependency graph of steps: each starts as soon as everything it depends on has finished, so
 * independent steps run concurrently. After a failure no new step starts; the steps already running are
 * let finish (what they create is kept and found by the next run), then the first error is thrown.
 */
import type { StepHandle } from '../ui/progress.js';
import type { StepSpec } from './plan.js';

export type StepOutcome = 'created' | 'updated' | 'unchanged' | 'verified';

export interface StepReport {
  id: string;
  title: string;
  outcome: StepOutcome | 'failed' | 'not run';
  seconds: number;
}

export interface GraphReporter {
  step(id: string, title: string): StepHandle;
}

export async function runGraph(
  steps: StepSpec[],
  run: (id: string, handle: StepHandle) => Promise<StepOutcome>,
  reporter: GraphReporter,
  now: () => number = Date.now,
): Promise<StepReport[]> {
  const reports = new Map<string, StepReport>(steps.map((step) => [step.id, { id: step.id, title: step.title, outcome: 'not run', seconds: 0 }]));
  const done = new Set<string>();
  const started = new Set<string>();
  const running = new Set<Promise<void>>();
  let firstError: unknown;

  const startReady = (): void => {
    if (firstError !== undefined) return;
    for (const step of steps) {
      if (started.has(step.id) || !step.dependsOn.every((id) => done.has(id))) continue;
      started.add(step.id);
      const handle = reporter.step(step.id, step.title);
      const begin = now();
      const report = reports.get(step.id)!;
      const task = run(step.id, handle).then(
        (outcome) => {
          report.outcome = outcome;
          report.seconds = (now() - begin) / 1000;
          if (outcome === 'unchanged') handle.skip('already up to date');
          else handle.succeed(outcome);
          done.add(step.id);
        },
        (error: unknown) => {
          report.outcome = 'failed';
          report.seconds = (now() - begin) / 1000;
          handle.fail(error);
          firstError ??= error;
        },
      );
      const tracked: Promise<void> = task.finally(() => {
        running.delete(tracked);
        startReady();
      });
      running.add(tracked);
    }
  };

  startReady();
  while (running.size > 0) await Promise.race(running);
  if (firstError !== undefined) throw firstError;
  const stuck = steps.filter((step) => !done.has(step.id)).map((step) => step.id);
  if (stuck.length > 0) throw new Error(`steps never became ready (a dependency is missing from the graph): ${stuck.join(', ')}`);
  return [...reports.values()];
}
