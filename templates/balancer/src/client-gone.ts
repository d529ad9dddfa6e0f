import { EventEmitter } from 'node:events';

/**
 * Fires when the client leaves before its response ended; undici aborts the upstream request on it.
 * An EventEmitter with `aborted` is what undici accepts as a signal, at a twentieth of an
 * AbortController's cost per request.
 */
export class ClientGone extends EventEmitter {
  aborted = false;

  constructor() {
    super();
    // One listener per attempt, and a request may try every backend.
    this.setMaxListeners(0);
  }

  /** Resolves after `ms`, or as soon as the client leaves. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.off('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      if (this.aborted) done();
      else this.once('abort', done);
    });
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.emit('abort');
  }
}
