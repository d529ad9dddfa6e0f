/**
 * What the balancer knows about each backend, kept per backend AND deployment: quota is per
 * deployment, so a throttled `chat` deployment must not take `embedding` traffic off that backend.
 * Connection failures and timeouts concern the whole backend and are kept on the backend. What an
 * attempt's verdict does to both is written once, in BackendState's record*() methods.
 */
import type { BackendConfig } from './config.js';
import { defaults } from './defaults.js';
import { RequestWindow } from './request-window.js';
import { circuitCooldownMs, outcomeLabel, throttleCooldownMs, type AttemptOutcome, type CooldownPolicy, type FailureScope } from './retry-decision.js';

/** Remaining-quota headers older than this say nothing about now (Azure's token window is 60 s). */
export const headroomTtlMs = 60_000;
/** Azure's request window: RPM is enforced over a rolling 10 s (REQUEST_WINDOW_SECONDS changes it). */
export const defaultRequestWindowMs = defaults.REQUEST_WINDOW_SECONDS * 1000;
export class DeploymentState {
  /** Until when the deployment is throttled (429) and until when its circuit is open (5xx); kept apart
   * so that a success, which closes the circuit, never lifts a throttle. */
  throttledUntil = 0;
  brokenUntil = 0;
  consecutiveFailures = 0;
  remainingTokens: number | undefined;
  remainingRequests: number | undefined;
  observedAt = 0;
  requests = 0;
  throttled = 0;
  errors = 0;
  failovers = 0;
  /** Attempts by outcome: an HTTP status, 'connection_error' or 'timeout'. */
  readonly outcomes = new Map<string, number>();
  promptTokens = 0;
  completionTokens = 0;
  /** Attempts sent whose response headers (or failure) have not come back yet. */
  awaiting = 0;
  /** What other replicas have sent and not heard back from yet (shared state only). */
  elsewhere: InFlight = noneInFlight;
  /** Azure's rolling request window, as far as this process knows it. */
  readonly requestWindow: RequestWindow;

  constructor(
    readonly deployment: string,
    requestWindowMs = defaultRequestWindowMs,
  ) {
    this.requestWindow = new RequestWindow(requestWindowMs);
  }

  get cooldownUntil(): number {
    return Math.max(this.throttledUntil, this.brokenUntil);
  }

  /** Why the deployment is unavailable: the cooldown that ends last. */
  get cooldownReason(): CooldownReason {
    return this.brokenUntil > this.throttledUntil ? 'broken' : 'throttled';
  }

  isAvailable(now: number): boolean {
    return now >= this.cooldownUntil;
  }

  /**
   * Larger is better. When nothing recent is known: Infinity while no attempt is waiting, so an unknown
   * backend gets tried; -Infinity while one is, so a backend that has not answered yet (perhaps one that
   * hangs) is not sent more until it does, unless nothing else is available.
   */
  headroom(now: number): number {
    const unknown = now - this.observedAt > headroomTtlMs || (this.remainingTokens === undefined && this.remainingRequests === undefined);
    if (unknown) return this.awaiting > 0 ? -Infinity : Infinity;
    return this.remainingTokens === undefined ? Infinity : this.remainingTokens - this.elsewhere.tokens;
  }

  /** When the request window has room again (0 when it has, or nothing current is known): request-window.ts. */
  requestsFreeAt(now: number): number {
    return this.requestWindow.freeAt(now, this.elsewhere);
  }

  /** An attempt's answer (or failure) came back. */
  answered(): void {
    this.awaiting = Math.max(0, this.awaiting - 1);
  }

  /** Counts a request we are about to send against the last known remaining quota. */
  reserve(estimatedTokens: number, now: number): void {
    this.requests++;
    this.awaiting++;
    this.requestWindow.send(now);
    if (this.remainingTokens !== undefined) this.remainingTokens -= estimatedTokens;
    if (this.remainingRequests !== undefined) this.remainingRequests -= 1;
  }

  countOutcome(outcome: string): void {
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
  }

  /** A reading of the remaining quota taken at `now`; an older one (from another replica) changes nothing. */
  observeRemaining(tokens: number | undefined, requests: number | undefined, now: number): void {
    if ((tokens === undefined && requests === undefined) || now < this.observedAt) return;
    // A negative value is a sentinel (the Responses API sends -1), not a count: nothing is known.
    if (tokens !== undefined) this.remainingTokens = tokens < 0 ? undefined : tokens;
    if (requests !== undefined) this.remainingRequests = requests < 0 ? undefined : requests;
    this.observedAt = now;
  }

  coolDown(reason: CooldownReason, ms: number, now: number): void {
    this.coolDownUntil(reason, now + ms);
  }

  /** A reading another replica took: kept only when newer than what this one knows (the same one is not re-applied). */
  observeSharedReading(tokens: number | undefined, requests: number | undefined, at: number): void {
    if (at <= this.observedAt) return;
    this.observeRemaining(tokens, requests, at);
    if (requests !== undefined && requests >= 0) this.requestWindow.readElsewhere(requests, at);
  }

  /** Rests the deployment until `until` at least: a cooldown is only ever extended, never shortened. */
  coolDownUntil(reason: CooldownReason, until: number): void {
    if (reason === 'throttled') this.throttledUntil = Math.max(this.throttledUntil, until);
    else this.brokenUntil = Math.max(this.brokenUntil, until);
  }

  recordSuccess(): void {
    this.consecutiveFailures = 0;
    this.brokenUntil = 0;
  }

  /** The token usage a delivered response reported. */
  recordUsage(promptTokens: number, completionTokens: number): void {
    this.promptTokens += promptTokens;
    this.completionTokens += completionTokens;
  }

  /** Forgets every cooldown (an operator's reset). */
  clearCooldowns(): void {
    this.throttledUntil = 0;
    this.brokenUntil = 0;
  }
}

/**
 * Bounds on per-deployment state. Clients choose deployment names, so state for a name is shown and kept
 * only once a backend answered for it with anything but 404; names no backend has answered for live in
 * a small hidden pool, and the least recently used state goes first when either bound is reached.
 */
export const maxKnownDeployments = 64;
export const maxCandidateDeployments = 256;

export class BackendState {
  brokenUntil = 0;
  consecutiveFailures = 0;
  /** Told of what this backend's state learns, to share it (shared state); unset, nothing leaves the process. */
  listener: StateListener | undefined;
  private readonly deployments = new Map<string, DeploymentState>();
  private readonly candidates = new Map<string, DeploymentState>();

  constructor(
    readonly config: BackendConfig,
    private readonly requestWindowMs = defaultRequestWindowMs,
  ) {}

  get id(): string {
    return this.config.id;
  }

  /** The state of a deployment: known, or a hidden candidate until the backend answers for it. */
  deployment(name: string): DeploymentState {
    const known = this.deployments.get(name);
    if (known) return known;
    let candidate = this.candidates.get(name);
    if (!candidate) {
      candidate = new DeploymentState(name, this.requestWindowMs);
      this.candidates.set(name, candidate);
      evictOldest(this.candidates, maxCandidateDeployments, () => true);
    }
    return candidate;
  }

  /** The backend answered for this deployment (not 404): keep its state, shown in /status and /metrics. */
  confirm(name: string, now: number): void {
    const candidate = this.candidates.get(name);
    const state = this.deployments.get(name) ?? candidate;
    if (!state) return;
    this.candidates.delete(name);
    this.deployments.delete(name);
    this.deployments.set(name, state);
    evictOldest(this.deployments, maxKnownDeployments, (old) => old.isAvailable(now) && old.awaiting === 0);
  }

  knownDeployments(): DeploymentState[] {
    return [...this.deployments.values()];
  }

  /** Whether the backend has answered for this deployment (its state is kept, shown and shared). */
  isKnown(deployment: string): boolean {
    return this.deployments.has(deployment);
  }

  /** Every deployment state: known, then the hidden candidates. */
  allDeployments(): DeploymentState[] {
    return [...this.deployments.values(), ...this.candidates.values()];
  }

  /**
   * An attempt is about to be sent: its estimate counts against the known quota until its answer (or
   * failure) comes back; the returned function says it came back (once, whatever the outcome).
   */
  reserve(deployment: string, estimatedTokens: number, now: number): () => void {
    const state = this.deployment(deployment);
    state.reserve(estimatedTokens, now);
    const shared = this.listener?.reserved(this, deployment, estimatedTokens, now);
    let answered = false;
    return () => {
      if (answered) return;
      answered = true;
      state.answered();
      shared?.();
    };
  }

  /** What another replica learned: the backend's circuit is open until `until` at least. */
  breakUntil(until: number): void {
    this.brokenUntil = Math.max(this.brokenUntil, until);
  }

  /** Until when this backend rests for the deployment: its circuit or the deployment's cooldown (0 = not resting). */
  availableAt(deployment: string): number {
    const state = this.deployments.get(deployment) ?? this.candidates.get(deployment);
    return Math.max(this.brokenUntil, state?.cooldownUntil ?? 0);
  }

  /** When this backend can take a request for the deployment: not resting, and room in its request window. */
  readyAt(deployment: string, now: number): number {
    const state = this.deployments.get(deployment) ?? this.candidates.get(deployment);
    return Math.max(this.availableAt(deployment), state?.requestsFreeAt(now) ?? 0);
  }

  /**
   * What any attempt teaches, whatever its verdict: the outcome is counted; an answer other than 404
   * shows the backend serves the deployment; the answer's remaining-quota headers are noted as of when the
   * request was sent (about when Azure admitted it), and an answer other than 429 that carries a
   * remaining-requests reading shows the request window admitted it.
   */
  recordOutcome(deployment: string, outcome: AttemptOutcome, remaining: RemainingQuota | undefined, now: number, sentAt = now): void {
    const state = this.deployment(deployment);
    state.countOutcome(outcomeLabel(outcome));
    const requestsLeft = remaining?.requests !== undefined && remaining.requests >= 0 ? remaining.requests : undefined;
    if (outcome.kind === 'response' && outcome.status !== 429 && requestsLeft !== undefined) state.requestWindow.admit(sentAt);
    else state.requestWindow.forget(sentAt);
    if (outcome.kind !== 'response') return;
    if (outcome.status !== 404) this.confirm(deployment, now);
    // A 429's reading describes a request Azure refused: its retry-after already rests the deployment, and
    // other replicas must not count it as admitted.
    if (outcome.status === 429) return;
    if (requestsLeft !== undefined) state.requestWindow.read(requestsLeft, sentAt);
    if (remaining && (remaining.tokens !== undefined || remaining.requests !== undefined)) {
      state.observeRemaining(remaining.tokens, remaining.requests, sentAt);
      this.listener?.observed(this, deployment, remaining, sentAt);
    }
  }

  /** A response goes to the client: the deployment's and the backend's circuits close (a throttle stays). */
  recordSuccess(deployment: string): void {
    this.deployment(deployment).recordSuccess();
    this.consecutiveFailures = 0;
    this.brokenUntil = 0;
  }

  /** A 429: the deployment on this backend rests. Returns the cooldown. */
  recordThrottled(deployment: string, askedMs: number | undefined, now: number, policy: CooldownPolicy): number {
    const state = this.deployment(deployment);
    const cooldownMs = throttleCooldownMs(askedMs, policy);
    state.throttled++;
    state.failovers++;
    state.coolDownUntil('throttled', now + cooldownMs);
    this.listener?.cooled(this, deployment, 'throttled', now + cooldownMs);
    return cooldownMs;
  }

  /** A 5xx opens the deployment's circuit; a connection error or timeout, the whole backend's. Returns the cooldown. */
  recordFailure(deployment: string, scope: FailureScope, askedMs: number | undefined, now: number, policy: CooldownPolicy): number {
    const state = this.deployment(deployment);
    state.errors++;
    state.failovers++;
    const failures = scope === 'deployment' ? ++state.consecutiveFailures : ++this.consecutiveFailures;
    const cooldownMs = circuitCooldownMs(askedMs, failures, policy);
    if (scope === 'deployment') state.coolDownUntil('broken', now + cooldownMs);
    else this.brokenUntil = Math.max(this.brokenUntil, now + cooldownMs);
    this.listener?.cooled(this, scope === 'deployment' ? deployment : undefined, 'broken', now + cooldownMs);
    return cooldownMs;
  }
}

export type CooldownReason = 'throttled' | 'broken';

export interface InFlight {
  tokens: number;
  requests: number;
  /** When some of them were sent (the newest of each replica's); those not listed were sent earlier. */
  sentAt?: readonly number[];
}

export const noneInFlight: InFlight = Object.freeze({ tokens: 0, requests: 0 });

/** What the shared state hears from a backend's state (all calls are synchronous and must not throw). */
export interface StateListener {
  /** A deployment (or, with `deployment` undefined, the whole backend) rests until `until`. */
  cooled(backend: BackendState, deployment: string | undefined, reason: CooldownReason, until: number): void;
  observed(backend: BackendState, deployment: string, remaining: RemainingQuota, at: number): void;
  /** Returns what to call when the attempt's answer came back, when the reservation was shared. */
  reserved(backend: BackendState, deployment: string, estimatedTokens: number, sentAt: number): (() => void) | undefined;
}

/** What an answer's x-ratelimit-remaining-tokens / -requests headers said; undefined when absent. */
export interface RemainingQuota {
  tokens: number | undefined;
  requests: number | undefined;
}

/** Drops the oldest entries that may go until the map is within its bound (Map keeps insertion order). */
function evictOldest(map: Map<string, DeploymentState>, max: number, mayGo: (state: DeploymentState) => boolean): void {
  if (map.size <= max) return;
  for (const [name, state] of map) {
    if (map.size <= max) return;
    if (mayGo(state)) map.delete(name);
  }
}
