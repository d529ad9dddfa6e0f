/** Progress for logs and pipes (and --json, on stderr): one line per event, no ANSI codes. */
import { errorSummary, formatElapsed, type ProgressSink } from './progress-steps.js';

export function createPlainSink(stream: NodeJS.WritableStream): ProgressSink {
  const line = (text: string): void => {
    stream.write(`${text}\n`);
  };
  return {
    start: (step) => line(`… ${step.title}`),
    update: (step) => line(`  ${step.title}: ${step.detail ?? ''}`),
    finish(step, outcome, elapsedMs) {
      const elapsed = formatElapsed(elapsedMs);
      if (outcome.kind === 'succeed') line(`✓ ${step.title}${outcome.detail ? `: ${outcome.detail}` : ''} ${elapsed}`);
      else if (outcome.kind === 'skip') line(`– ${step.title} (${outcome.detail}) ${elapsed}`);
      else line(`✗ ${step.title} failed after ${elapsed}: ${errorSummary(outcome.error)}`);
    },
    info: (text) => line(text),
    warn: (text) => line(`warning: ${text}`),
    close(unfinished) {
      for (const { step, elapsedMs } of unfinished) line(`■ ${step.title} stopped after ${formatElapsed(elapsedMs)}`);
    },
  };
}
