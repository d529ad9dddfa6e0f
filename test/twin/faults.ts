// Fault injection and per-operation latency. Both are keyed by the REST spec's operationId
// (Accounts_Create, Deployments_CreateOrUpdate, ResourceGroups_Delete, OperationStatus_Get, …).

export type FaultKind =
  /** 429 TooManyRequests with Retry-After (ARM's throttling answer). */
  | 'throttle'
  /** 500 InternalServerError. */
  | 'serverError'
  /** The request is accepted, but the long-running operation ends Failed with `error`. */
  | 'lroFailed'
  /** The request is never answered (until the client gives up or the twin closes). */
  | 'hang';

export interface FaultSpec {
  kind: FaultKind;
  /** How many matching requests fail; default 1. */
  times?: number;
  /** throttle: Retry-After seconds (default 0 so tests stay fast). */
  retryAfterSeconds?: number;
  /** Error code/message for serverError and lroFailed; defaults follow ARM. */
  code?: string;
  message?: string;
}

interface Pending extends FaultSpec {
  remaining: number;
}

export class Faults {
  private readonly pending = new Map<string, Pending[]>();
  /** operationId → how many injected faults fired (for assertions). */
  readonly fired = new Map<string, number>();

  /** Makes the next `times` requests of `operationId` fail as `spec` says. */
  inject(operationId: string, spec: FaultSpec): void {
    const list = this.pending.get(operationId) ?? [];
    list.push({ ...spec, remaining: spec.times ?? 1 });
    this.pending.set(operationId, list);
  }

  clear(operationId?: string): void {
    if (operationId) this.pending.delete(operationId);
    else this.pending.clear();
  }

  /** Faults still waiting to fire for `operationId`. */
  remaining(operationId: string): number {
    return (this.pending.get(operationId) ?? []).reduce((n, f) => n + f.remaining, 0);
  }

  /** Takes one fault of the given kinds for this request, if any is armed. */
  take(operationId: string, kinds: readonly FaultKind[]): FaultSpec | undefined {
    const list = this.pending.get(operationId);
    const fault = list?.find((f) => kinds.includes(f.kind) && f.remaining > 0);
    if (!fault || !list) return undefined;
    fault.remaining -= 1;
    if (fault.remaining === 0) list.splice(list.indexOf(fault), 1);
    this.fired.set(operationId, (this.fired.get(operationId) ?? 0) + 1);
    return fault;
  }
}

export type LatencySpec = number | { minMs: number; maxMs: number };

/**
 * A test hook (no Azure counterpart to configure, but no behaviour Azure lacks either: a real operation may run
 * for as long as it likes). While a hold on an operationId is in place, every operation of that type that starts
 * stays running (Creating / Deleting / InProgress, 202 on a Location poll) until `release()`; it then runs out
 * the rest of its latency, counted from its start as always. A test uses it to observe or interrupt an operation
 * in flight without racing a latency: hold, wait until `held` counts it, act, release.
 */
export interface OperationHold {
  readonly operationId: string;
  /** How many operations of this type started while the hold was in place. */
  readonly held: number;
  /** Lets the held operations finish (and later ones run as usual). Idempotent. */
  release(): void;
}

/** How long each long-running operation takes before it reaches a terminal state. */
export class Latencies {
  private readonly byOperation = new Map<string, LatencySpec>();
  private readonly holds = new Map<string, { hold: OperationHold; gate: Promise<void>; count(): void }>();

  constructor(private defaultLatency: LatencySpec = { minMs: 0, maxMs: 50 }) {}

  set(operationId: string, latency: LatencySpec): void {
    this.byOperation.set(operationId, latency);
  }

  setDefault(latency: LatencySpec): void {
    this.defaultLatency = latency;
  }

  /** Holds every operation of `operationId` that starts from now on until the returned hold is released
   *  (see OperationHold). One hold per operationId at a time. */
  hold(operationId: string): OperationHold {
    if (this.holds.has(operationId)) throw new Error(`${operationId} is already held`);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let held = 0;
    const hold: OperationHold = {
      operationId,
      get held() {
        return held;
      },
      release: () => {
        if (this.holds.get(operationId)?.hold === hold) this.holds.delete(operationId);
        release();
      },
    };
    this.holds.set(operationId, { hold, gate, count: () => held++ });
    return hold;
  }

  /** For the operation engine: the promise a starting operation of `operationId` waits for, if it is held. */
  gate(operationId: string): Promise<void> | undefined {
    const entry = this.holds.get(operationId);
    if (!entry) return undefined;
    entry.count();
    return entry.gate;
  }

  /** Milliseconds for one run of `operationId` (a random draw when a range is set). */
  draw(operationId: string): number {
    const spec = this.byOperation.get(operationId) ?? this.defaultLatency;
    if (typeof spec === 'number') return spec;
    return Math.round(spec.minMs + Math.random() * (spec.maxMs - spec.minMs));
  }
}
