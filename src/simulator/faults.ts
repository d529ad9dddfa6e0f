/** The fault queue: each fault applies to the next N matching requests, or until cleared. */
import type { FaultKind, FaultSpec, PendingFault } from './types.js';

export const FAULT_KINDS: readonly FaultKind[] = ['429', '500', '503', 'reset', 'hang', 'midstream-reset'];

export const DEFAULT_FAULT_RETRY_AFTER_MS = 1000;

/** Checks a fault that came from outside (the control endpoint); returns an error message or undefined. */
export function validateFault(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'a fault is a JSON object such as {"kind":"500","count":1}';
  const fault = value as Record<string, unknown>;
  if (!FAULT_KINDS.includes(fault.kind as FaultKind)) return `"kind" must be one of ${FAULT_KINDS.join(', ')}`;
  if (fault.count !== undefined && !(Number.isInteger(fault.count) && (fault.count as number) > 0)) return '"count" must be a positive integer';
  if (fault.deployment !== undefined && typeof fault.deployment !== 'string') return '"deployment" must be a string';
  if (fault.retryAfterMs !== undefined && !(typeof fault.retryAfterMs === 'number' && Number.isFinite(fault.retryAfterMs) && fault.retryAfterMs >= 0)) {
    return '"retryAfterMs" must be a number ≥ 0';
  }
  return undefined;
}

export class FaultQueue {
  private pending: PendingFault[] = [];

  add(fault: FaultSpec): void {
    const problem = validateFault(fault);
    if (problem !== undefined) throw new TypeError(`invalid fault: ${problem}`);
    this.pending.push({ ...fault, remaining: fault.count });
  }

  clear(): void {
    this.pending = [];
  }

  list(): PendingFault[] {
    return this.pending.map((fault) => ({ ...fault }));
  }

  /** Takes the first fault that applies to a request for `deployment`, using up one of its count. */
  take(deployment: string): FaultSpec | undefined {
    const index = this.pending.findIndex((fault) => fault.deployment === undefined || fault.deployment === deployment);
    if (index < 0) return undefined;
    const fault = this.pending[index]!;
    if (fault.remaining !== undefined) {
      fault.remaining -= 1;
      if (fault.remaining <= 0) this.pending.splice(index, 1);
    }
    const { remaining: _remaining, ...spec } = fault;
    return spec;
  }
}
