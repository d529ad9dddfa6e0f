// A child process the twin (or a test helper) starts and waits for: spawned with its output piped, ready once
// its stdout shows a line the caller names (the simulator's "listening on …", redis-server's "Ready to accept
// connections"), a clear error if it exits, cannot be run, or stays silent too long, and stopped with SIGTERM
// then SIGKILL after a grace period, the stop resolving once the process is gone.
import { spawn, type ChildProcess } from 'node:child_process';

export interface ReadyProcessOptions {
  /** How errors name it ("redis-server", "simulator"). */
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Ready once stdout (everything so far) matches this. */
  ready: RegExp;
  timeoutMs: number;
  /** What to say when the command cannot be run at all (e.g. how to install it). */
  cannotRun?: (error: Error) => string;
}

export class ReadyProcess {
  /** The last 4000 characters of stdout and stderr together. */
  output = '';
  /** Resolves once the process has exited and its output is closed. */
  readonly exited: Promise<void>;

  private constructor(readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('close', () => resolve()));
    const keep = (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-4000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
  }

  /** Spawns the process and waits until it is ready; resolves with the match of `ready` in its stdout. */
  static start(options: ReadyProcessOptions): { process: ReadyProcess; ready: Promise<RegExpMatchArray> } {
    const child = spawn(options.command, options.args, { stdio: ['ignore', 'pipe', 'pipe'], ...(options.env ? { env: options.env } : {}) });
    const proc = new ReadyProcess(child);
    let stdout = '';
    const ready = new Promise<RegExpMatchArray>((resolve, reject) => {
      const done = (settle: () => void) => {
        clearTimeout(timer);
        child.stdout!.off('data', look);
        settle();
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`${options.name} did not start in ${options.timeoutMs} ms: ${proc.output}`))),
        options.timeoutMs,
      );
      const look = (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = options.ready.exec(stdout);
        if (match) done(() => resolve(match));
      };
      child.stdout!.on('data', look);
      child.once('error', (error) =>
        done(() => reject(new Error(options.cannotRun ? options.cannotRun(error) : `cannot run ${options.command}: ${error.message}`))),
      );
      child.once('exit', (code) => done(() => reject(new Error(`${options.name} exited (${code}) before it was ready: ${proc.output}`))));
    });
    return { process: proc, ready };
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends a signal if the process still runs (SIGSTOP/SIGCONT to freeze and thaw it). */
  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** `signal` (SIGTERM), then SIGKILL after `graceMs`; resolves when the process is gone. */
  async stop(graceMs = 3000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.running) return;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
