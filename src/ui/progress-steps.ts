/** The state of a Reporter's steps, whatever the output: start times, first outcome wins, close. */
import { InternalError } from '../core/errors.js';
import type { Reporter, StepHandle } from './reporter.js';

export type Clock = () => number;

export interface StepView {
  readonly id: string;
  readonly title: string;
  readonly startedAt: number;
  /** The last update(), if any. */
  detail: string | undefined;
}

export type Outcome = { kind: 'succeed'; detail: string | undefined } | { kind: 'skip'; detail: string } | { kind: 'fail'; error: unknown };

/** What an output mode does with the events; elapsed times are computed here, from one clock. */
export interface ProgressSink {
  start(step: StepView, running: readonly StepView[]): void;
  update(step: StepView, running: readonly StepView[]): void;
  finish(step: StepView, outcome: Outcome, elapsedMs: number, running: readonly StepView[]): void;
  info(line: string): void;
  warn(line: string): void;
  close(unfinished: readonly { step: StepView; elapsedMs: number }[]): void;
}

export function trackSteps(sink: ProgressSink, now: Clock): Reporter {
  const running = new Map<string, StepView>();
  let closed = false;
  const list = (): StepView[] => [...running.values()];

  return {
    step(id, title) {
      if (closed) throw new InternalError(`progress step "${id}" started after the reporter was closed`);
      if (running.has(id)) throw new InternalError(`progress step "${id}" started twice`);
      const step: StepView = { id, title, startedAt: now(), detail: undefined };
      running.set(id, step);
      sink.start(step, list());
      // Only the first outcome counts; calls after it, or after close(), change nothing.
      const live = (): boolean => running.get(id) === step;
      const finish = (outcome: Outcome): void => {
        if (!live()) return;
        running.delete(id);
        sink.finish(step, outcome, now() - step.startedAt, list());
      };
      const handle: StepHandle = {
        update(detail) {
          if (!live() || detail === step.detail) return;
          step.detail = detail;
          sink.update(step, list());
        },
        succeed: (detail) => finish({ kind: 'succeed', detail }),
        skip: (detail) => finish({ kind: 'skip', detail }),
        fail: (error) => finish({ kind: 'fail', error }),
      };
      return handle;
    },
    info: (line) => sink.info(line),
    warn: (line) => sink.warn(line),
    close() {
      if (closed) return;
      closed = true;
      const at = now();
      const unfinished = list().map((step) => ({ step, elapsedMs: at - step.startedAt }));
      running.clear();
      sink.close(unfinished);
    },
  };
}

/** 0.4s, 12.3s, 2m 05s. */
export function formatElapsed(ms: number): string {
  const seconds = Math.max(0, ms) / 1000;
  if (seconds < 59.95) return `${seconds.toFixed(1)}s`;
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)}m ${String(whole % 60).padStart(2, '0')}s`;
}

/** The first line of an error's message: the step line names what failed; the CLI prints the rest. */
export function errorSummary(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n', 1)[0]!.trim() || (error instanceof Error ? error.name : 'failed');
}
