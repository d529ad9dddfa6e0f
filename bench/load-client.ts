/** The bench's side of the load-generator process: start it, hand it jobs, get results back. */
import { fileURLToPath } from 'node:url';
import type { HoldProgress, Job, JobMessage, ResultOf, WorkerMessage } from './load-types.js';
import { forkTs, stopProcess, type Tracked } from './processes.js';

interface Pending {
  resolve(data: unknown): void;
  reject(error: Error): void;
  progress?: (data: HoldProgress) => void;
}

export class LoadGenerator {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  private constructor(readonly process: Tracked) {
    process.child.on('message', (message: WorkerMessage) => this.onMessage(message));
    void process.exited.then(() => {
      for (const job of this.pending.values()) job.reject(new Error(`the load generator exited:\n${process.stderrTail()}`));
      this.pending.clear();
    });
  }

  static async start(): Promise<LoadGenerator> {
    const tracked = forkTs('load generator', fileURLToPath(new URL('./load.ts', import.meta.url)));
    await new Promise<void>((resolve, reject) => {
      tracked.child.once('message', (message: WorkerMessage) => (message.type === 'ready' ? resolve() : reject(new Error('unexpected first message'))));
      void tracked.exited.then(() => reject(new Error(`the load generator exited at start:\n${tracked.stderrTail()}`)));
    });
    return new LoadGenerator(tracked);
  }

  run<J extends Job>(job: J, progress?: (data: HoldProgress) => void): Promise<ResultOf<J>> {
    const id = this.nextId++;
    return new Promise<ResultOf<J>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (data: unknown) => void, reject, progress });
      const message: JobMessage = { id, job };
      this.process.child.send(message);
    });
  }

  private onMessage(message: WorkerMessage): void {
    if (message.type === 'ready') return;
    const job = this.pending.get(message.id);
    if (!job) return;
    if (message.type === 'progress') {
      job.progress?.(message.data);
      return;
    }
    this.pending.delete(message.id);
    if (message.type === 'result') job.resolve(message.data);
    else job.reject(new Error(`load generator: ${message.message}`));
  }

  stop(): Promise<void> {
    return stopProcess(this.process);
  }
}
