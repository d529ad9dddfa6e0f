// The generic long-running-operation engine. An operation is started by a PUT/PATCH/DELETE/POST
// handler, completes after the operation type's latency (or ends Failed when a `lroFailed` fault is
// armed), and is observed through a status resource that the initial response points at:
//   - Azure-AsyncOperation mode: GET …/operationResults/{id} → {id, name, status, startTime, endTime?, error?}
//   - Location mode: GET …/operationresults/{token} → 202 while running, 200 (or the error) when done.
// core-lro polls whichever header it finds (azure-provisioning.md §5); both point back at the twin.
import { randomUUID } from 'node:crypto';
import { ArmError, type ArmRequest, type ArmResponse } from './arm.js';
import type { Faults, Latencies } from './faults.js';

export interface Operation {
  id: string;
  /** The status resource's path (no query), as returned in its body's `id`. */
  path: string;
  pollApiVersion: string;
  /** The non-terminal status reported while running: CognitiveServices says Creating/Deleting, others InProgress. */
  runningStatus: string;
  status: string;
  startTime: string;
  endTime?: string;
  error?: { code: string; message: string; status: number };
  done: Promise<void>;
}

export interface StartOptions {
  operationId: string;
  path: string;
  pollApiVersion: string;
  runningStatus?: string;
  /** Applies the operation's effect. Throwing an ArmError ends the operation Failed with it. */
  complete(): void;
  /** Marks the target resource Failed (provisioningState) when the operation fails. */
  fail?(error: ArmError): void;
}

export class OperationEngine {
  private readonly operations = new Map<string, Operation>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly faults: Faults,
    private readonly latencies: Latencies,
    private readonly retryAfterSeconds: () => number,
  ) {}

  start(options: StartOptions): Operation {
    const id = options.path.split('/').pop()!;
    const injected = this.faults.take(options.operationId, ['lroFailed']);
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const op: Operation = {
      id,
      path: options.path,
      pollApiVersion: options.pollApiVersion,
      runningStatus: options.runningStatus ?? 'InProgress',
      status: options.runningStatus ?? 'InProgress',
      startTime: new Date().toISOString(),
      done,
    };
    this.operations.set(id.toLowerCase(), op);
    const finish = () => {
      if (this.closed) return;
      try {
        if (injected) {
          throw new ArmError(500, injected.code ?? 'InternalServerError', injected.message ?? 'An unexpected error occured while processing the request.');
        }
        options.complete();
        op.status = 'Succeeded';
      } catch (error) {
        const armError = error instanceof ArmError ? error : new ArmError(500, 'InternalServerError', String(error));
        op.status = 'Failed';
        op.error = { code: armError.code, message: armError.message, status: armError.status };
        options.fail?.(armError);
      }
      op.endTime = new Date().toISOString();
      resolve();
    };
    const latency = this.latencies.draw(options.operationId);
    const startedAt = Date.now();
    const schedule = (ms: number) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        finish();
      }, ms);
      this.timers.add(timer);
    };
    // A test's hold (Latencies.hold) keeps the operation running until released; its latency still counts from the start.
    const gate = this.latencies.gate(options.operationId);
    if (gate) void gate.then(() => !this.closed && schedule(Math.max(0, startedAt + latency - Date.now())));
    else schedule(latency);
    return op;
  }

  get(id: string): Operation | undefined {
    return this.operations.get(id.toLowerCase());
  }

  /** Absolute status URL for the initial response's Azure-AsyncOperation / Location header. */
  url(req: ArmRequest, op: Operation, extraQuery = ''): string {
    const path = op.path.split('/').map(encodeURIComponent).join('/');
    return `${req.baseUrl}${path}?api-version=${op.pollApiVersion}${extraQuery}`;
  }

  retryAfter(): Record<string, string> {
    return { 'Retry-After': String(this.retryAfterSeconds()) };
  }

  /** Azure-AsyncOperation status body (CognitiveServices / Container Apps shape). */
  asyncStatus(id: string): ArmResponse {
    const op = this.mustGet(id);
    const body: Record<string, unknown> = { id: op.path, name: op.id, status: op.status, startTime: op.startTime };
    if (op.endTime) body.endTime = op.endTime;
    if (op.error) body.error = { code: op.error.code, message: op.error.message };
    return { status: 200, body, headers: op.endTime ? {} : this.retryAfter() };
  }

  /** Location-mode poll: 202 while running, 200 with no body when done, the error when failed. */
  locationStatus(req: ArmRequest, id: string): ArmResponse {
    const op = this.mustGet(id);
    if (!op.endTime) return { status: 202, headers: { Location: this.url(req, op), ...this.retryAfter() } };
    if (op.error) throw new ArmError(op.error.status, op.error.code, op.error.message);
    return { status: 200 };
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private mustGet(id: string): Operation {
    const op = this.get(id);
    if (!op) throw new ArmError(404, 'NotFound', `The operation '${id}' could not be found.`);
    return op;
  }
}

export const newOperationId = (): string => randomUUID();
