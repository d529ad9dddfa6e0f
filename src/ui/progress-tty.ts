/**
 * Progress in an interactive terminal: one ora spinner listing the running steps with their elapsed
 * time, and one persisted line above it per finished step.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import ora, { type Ora } from 'ora';
import { errorSummary, formatElapsed, type Clock, type ProgressSink, type StepView } from './progress-steps.js';

/** Node's own answer (NO_COLOR, FORCE_COLOR, TERM, CI) for this stream; chalk's default looks at stdout. */
function colorsFor(stream: NodeJS.WriteStream): ChalkInstance {
  const depth = stream.isTTY && typeof stream.getColorDepth === 'function' ? stream.getColorDepth() : 1;
  const level = depth >= 24 ? 3 : depth >= 8 ? 2 : depth >= 4 ? 1 : 0;
  return new Chalk({ level });
}

const refreshMs = 100;

export function createTtySink(stream: NodeJS.WriteStream, now: Clock): ProgressSink {
  const color = colorsFor(stream);
  const spinner: Ora = ora({ stream, isEnabled: true, color: 'cyan' });
  let running: readonly StepView[] = [];
  let timer: NodeJS.Timeout | undefined;

  const describe = (step: StepView): string =>
    `${step.title}${step.detail ? color.dim(` — ${step.detail}`) : ''} ${color.dim(formatElapsed(now() - step.startedAt))}`;
  const summary = (): string => running.map((step, index) => (index === 0 ? '' : '  ') + describe(step)).join('\n');

  const refresh = (steps: readonly StepView[]): void => {
    running = steps;
    if (running.length === 0) {
      stopSpinner();
      return;
    }
    spinner.text = summary();
    if (!spinner.isSpinning) {
      spinner.start();
      // The elapsed times change between events; ora re-renders its text on its own interval.
      timer = setInterval(() => (spinner.text = summary()), refreshMs);
      timer.unref();
    } else {
      spinner.render();
    }
  };
  function stopSpinner(): void {
    clearInterval(timer);
    timer = undefined;
    if (spinner.isSpinning) spinner.stop();
  }
  /** A line above the spinner, which is redrawn below it. */
  const persist = (text: string): void => {
    if (spinner.isSpinning) spinner.clear();
    stream.write(`${text}\n`);
    if (spinner.isSpinning) spinner.render();
  };

  return {
    start: (_step, steps) => refresh(steps),
    update: (_step, steps) => refresh(steps),
    finish(step, outcome, elapsedMs, steps) {
      const elapsed = color.dim(`(${formatElapsed(elapsedMs)})`);
      if (outcome.kind === 'succeed') persist(`${color.green('✔')} ${step.title}${outcome.detail ? `: ${outcome.detail}` : ''} ${elapsed}`);
      else if (outcome.kind === 'skip') persist(`${color.dim('–')} ${step.title} ${color.dim(`(${outcome.detail})`)}`);
      else persist(`${color.red('✖')} ${step.title}: ${color.red(errorSummary(outcome.error))} ${elapsed}`);
      refresh(steps);
    },
    info: (text) => persist(text),
    warn: (text) => persist(`${color.yellow('warning:')} ${text}`),
    close(unfinished) {
      stopSpinner();
      running = [];
      for (const { step, elapsedMs } of unfinished)
        stream.write(`${color.yellow('■')} ${step.title} ${color.dim(`(stopped after ${formatElapsed(elapsedMs)})`)}\n`);
    },
  };
}
