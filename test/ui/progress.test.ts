import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createReporter, reporterMode, type Reporter } from '../../src/ui/progress.js';
import { errorSummary, formatElapsed } from '../../src/ui/progress-steps.js';
import { FakeTerminal } from '../helpers/terminal.js';

/** A pipe-like stream (no TTY) that keeps what is written. */
class Collector extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
  lines(): string[] {
    return this.text.split('\n').slice(0, -1);
  }
}

const asWriteStream = (stream: Writable): NodeJS.WriteStream => stream as unknown as NodeJS.WriteStream;

function fakeClock(): { now: () => number; advance(ms: number): void } {
  let t = 1000;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

/** Two steps running at once, as `up` runs them; each finishes one way. */
function concurrentRun(reporter: Reporter, advance: (ms: number) => void): void {
  const group = reporter.step('group', 'resource group demo-rg');
  const account = reporter.step('openai1', 'OpenAI account openai1-x (eastus)');
  advance(400);
  group.skip('already up to date');
  account.update('creating deployment chat');
  account.update('creating deployment chat');
  const registry = reporter.step('registry', 'container registry demoacr');
  advance(11_900);
  account.succeed();
  reporter.warn('quota for gpt-4o in eastus is 10K TPM below OPENAI_CAPACITY');
  advance(1_000);
  registry.fail(new Error('The registry name demoacr is already in use.\nsecond line'));
  reporter.info('1 step failed');
}

describe('progress reporter, plain mode', () => {
  it('prints one line per start, update and end, with elapsed seconds from the clock', () => {
    const out = new Collector();
    const clock = fakeClock();
    const reporter = createReporter({ mode: 'plain', stream: asWriteStream(out), now: clock.now });
    concurrentRun(reporter, clock.advance);
    reporter.close();
    assert.deepEqual(out.lines(), [
      '… resource group demo-rg',
      '… OpenAI account openai1-x (eastus)',
      '– resource group demo-rg (already up to date) 0.4s',
      '  OpenAI account openai1-x (eastus): creating deployment chat',
      '… container registry demoacr',
      '✓ OpenAI account openai1-x (eastus) 12.3s',
      'warning: quota for gpt-4o in eastus is 10K TPM below OPENAI_CAPACITY',
      '✗ container registry demoacr failed after 12.9s: The registry name demoacr is already in use.',
      '1 step failed',
    ]);
    assert.ok(!out.text.includes('\u001b'), 'no ANSI codes');
  });

  it('counts only the first outcome of a step, and reports steps still running at close as stopped', () => {
    const out = new Collector();
    const clock = fakeClock();
    const reporter = createReporter({ mode: 'plain', stream: asWriteStream(out), now: clock.now });
    const done = reporter.step('a', 'step a');
    const open = reporter.step('b', 'step b');
    done.succeed('2 deployments');
    done.fail(new Error('late'));
    done.update('late');
    clock.advance(2_500);
    reporter.close();
    reporter.close();
    open.succeed();
    assert.deepEqual(out.lines(), ['… step a', '… step b', '✓ step a: 2 deployments 0.0s', '■ step b stopped after 2.5s']);
    assert.throws(() => reporter.step('c', 'step c'), /after the reporter was closed/);
  });

  it('refuses a step id that is already running', () => {
    const reporter = createReporter({ mode: 'plain', stream: asWriteStream(new Collector()), now: fakeClock().now });
    reporter.step('a', 'step a');
    assert.throws(() => reporter.step('a', 'step a again'), /started twice/);
    reporter.close();
  });
});

describe('progress reporter, json mode', () => {
  it('writes plain lines to its stream (stderr), leaving stdout to the JSON result', () => {
    const out = new Collector();
    const clock = fakeClock();
    const reporter = createReporter({ mode: 'json', stream: asWriteStream(out), now: clock.now });
    const step = reporter.step('group', 'resource group demo-rg');
    clock.advance(400);
    step.succeed();
    reporter.close();
    assert.deepEqual(out.lines(), ['… resource group demo-rg', '✓ resource group demo-rg 0.4s']);
  });
});

describe('progress reporter, tty mode', () => {
  it('shows running steps in one spinner and persists a line per finished step', (t) => {
    const terminal = new FakeTerminal();
    const clock = fakeClock();
    const reporter = createReporter({ mode: 'tty', stream: asWriteStream(terminal), now: clock.now });
    t.after(() => reporter.close());
    const group = reporter.step('group', 'resource group demo-rg');
    const account = reporter.step('openai1', 'OpenAI account openai1-x (eastus)');
    clock.advance(400);
    account.update('creating deployment chat');
    const [spinnerLine, ...rest] = terminal.screen();
    assert.match(spinnerLine!, /^\S resource group demo-rg 0\.4s$/);
    assert.deepEqual(rest, ['  OpenAI account openai1-x (eastus) — creating deployment chat 0.4s']);
    group.succeed();
    assert.deepEqual(terminal.screen(), ['✔ resource group demo-rg (0.4s)', terminal.screen()[1]]);
    assert.match(terminal.screen()[1]!, /^\S OpenAI account openai1-x \(eastus\) — creating deployment chat 0\.4s$/);
    clock.advance(11_900);
    account.skip('already up to date');
    const registry = reporter.step('registry', 'container registry demoacr');
    reporter.warn('quota is low');
    clock.advance(1_000);
    registry.fail(new Error('The registry name demoacr is already in use.'));
    reporter.close();
    assert.deepEqual(terminal.screen(), [
      '✔ resource group demo-rg (0.4s)',
      '– OpenAI account openai1-x (eastus) (already up to date)',
      'warning: quota is low',
      '✖ container registry demoacr: The registry name demoacr is already in use. (1.0s)',
    ]);
  });

  it('reports steps still running at close below the finished ones, and stops the spinner', () => {
    const terminal = new FakeTerminal();
    const clock = fakeClock();
    const reporter = createReporter({ mode: 'tty', stream: asWriteStream(terminal), now: clock.now });
    reporter.step('app', 'container app balancer');
    clock.advance(65_000);
    reporter.close();
    assert.deepEqual(terminal.screen(), ['■ container app balancer (stopped after 1m 05s)']);
    const written = terminal.raw.length;
    clock.advance(1_000);
    return new Promise<void>((resolve) => {
      setImmediate(() => {
        assert.equal(terminal.raw.length, written, 'nothing is drawn after close');
        resolve();
      });
    });
  });
});

describe('reporterMode', () => {
  const tty = asWriteStream(new FakeTerminal());
  const pipe = asWriteStream(new Collector());
  it('is json with --json, tty only for an interactive terminal, plain otherwise', () => {
    assert.equal(reporterMode({ json: true, stream: tty, env: {} }), 'json');
    assert.equal(reporterMode({ stream: tty, env: {} }), 'tty');
    assert.equal(reporterMode({ stream: pipe, env: {} }), 'plain');
    assert.equal(reporterMode({ stream: tty, env: { CI: 'true' } }), 'plain');
    assert.equal(reporterMode({ stream: tty, env: { TERM: 'dumb' } }), 'plain');
    const sizeless = Object.assign(new FakeTerminal(), { columns: 0 });
    assert.equal(reporterMode({ stream: asWriteStream(sizeless), env: {} }), 'plain');
  });
});

describe('progress formatting', () => {
  it('formats elapsed time in tenths of seconds, then minutes', () => {
    assert.equal(formatElapsed(0), '0.0s');
    assert.equal(formatElapsed(12_340), '12.3s');
    assert.equal(formatElapsed(59_940), '59.9s');
    assert.equal(formatElapsed(59_960), '1m 00s');
    assert.equal(formatElapsed(125_000), '2m 05s');
  });
  it('summarizes an error by the first line of its message', () => {
    assert.equal(errorSummary(new Error('one\ntwo')), 'one');
    assert.equal(errorSummary('text'), 'text');
    assert.equal(errorSummary(new TypeError('')), 'TypeError');
  });
});
