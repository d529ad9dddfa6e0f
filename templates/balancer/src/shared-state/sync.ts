/**
 * The shared picture: what this replica learns goes to the store without waiting (cooldowns at once, and
 * published on the events channel; readings and in-flight totals gathered per short interval, writes.ts),
 * and what the others learned comes
 * back by the channel at once and by a refresh every SHARED_STATE_REFRESH_MS. Selection reads only the local
 * state, so the store is never on a request's path; while it is away, nothing is sent or read.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../logger.js';
import { noneInFlight, type BackendState, type CooldownReason, type RemainingQuota, type StateListener } from '../state.js';
import type { SharedStateConfig } from './config.js';
import { parseCooldownEvent, StoreKeys, type CooldownEvent } from './keys.js';
import { SharedStore, type StoreHealth } from './store.js';
import { DeploymentWrites, maxListedSends } from './writes.js';

/** Deployments read per backend and refresh at most: known ones first, then those in use. */
const maxDeploymentsPerRefresh = 64;
/** Deployment keys kept computed (a digest each); past this the cache starts over. */
const maxCachedKeys = 4096;
/** Readings and in-flight totals are written at most this often (and at least 5 times per refresh). */
const maxWriteIntervalMs = 20;

export interface SharedStateStatus extends StoreHealth {
  replica: string;
  /** Other replicas seen alive at the last refresh. */
  peers: number;
  /** When the last refresh completed (ms since epoch); 0 before the first. */
  refreshedAt: number;
}

export class SharedState implements StateListener {
  readonly replica: string;
  readonly store: SharedStore;
  private readonly keys: StoreKeys;
  private readonly byTag = new Map<string, BackendState>();
  private readonly tags = new Map<BackendState, string>();
  /** Keys expire this long after their last write, so a store outlives nothing stale for long. */
  private readonly ttlMs: number;
  /** Until when this replica counts as alive for the others. */
  private readonly aliveMs: number;
  /** A refresh slower than this marks the store degraded. */
  private readonly slowMs: number;
  private timer: NodeJS.Timeout | undefined;
  private refreshing = false;
  private peers = 0;
  private refreshedAt = 0;
  private readonly deploymentKeys = new Map<string, string>();
  private readonly writes: DeploymentWrites;

  constructor(
    private readonly config: SharedStateConfig,
    private readonly backends: readonly BackendState[],
    private readonly logger: Logger,
    private readonly now: () => number,
    options: { azureClientId: string | undefined; maxCooldownMs: number; replica?: string },
  ) {
    this.replica = options.replica ?? replicaName();
    this.keys = new StoreKeys(config.prefix);
    for (const backend of backends) {
      const tag = this.keys.backendTag(backend.config.url);
      this.byTag.set(tag, backend);
      this.tags.set(backend, tag);
      backend.listener = this;
    }
    this.ttlMs = Math.max(120_000, 2 * options.maxCooldownMs);
    this.aliveMs = Math.max(2000, 5 * config.refreshMs);
    this.slowMs = Math.max(1000, 10 * config.refreshMs);
    this.store = new SharedStore(config, this.replica, logger, now, options.azureClientId);
    this.store.onJoined = () => this.rejoin();
    this.writes = new DeploymentWrites(
      {
        usable: () => this.store.usable,
        write: (key, inFlight, reading) => this.store.client.writeDeployment(key, this.replica, inFlight, reading, this.ttlMs),
        failed: (error) => this.store.problem(error),
      },
      Math.max(1, Math.min(maxWriteIntervalMs, Math.round(config.refreshMs / 5))),
    );
  }

  start(): void {
    this.store.start((subscriber) => subscriber.subscribe(this.keys.channel, (message) => this.heard(message)));
    this.timer = setInterval(() => void this.refresh(), this.config.refreshMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.writes.close();
    if (this.store.usable) await this.store.client.hDel(this.keys.replicas, this.replica).catch(() => undefined);
    await this.store.close();
  }

  status(): SharedStateStatus {
    return { ...this.store.health, replica: this.replica, peers: this.peers, refreshedAt: this.refreshedAt };
  }

  cooled(backend: BackendState, deployment: string | undefined, reason: CooldownReason, until: number): void {
    const tag = this.tags.get(backend);
    if (!tag || !this.store.usable) return;
    const event: CooldownEvent =
      deployment === undefined ? { r: this.replica, b: tag, k: reason, u: until } : { r: this.replica, b: tag, d: deployment, k: reason, u: until };
    const key = deployment === undefined ? this.keys.backend(tag) : this.deploymentKey(tag, deployment);
    const field = reason === 'throttled' ? 'tu' : 'bu';
    this.send(this.store.client.extendUntil(key, field, until, this.ttlMs, this.keys.channel, JSON.stringify(event)));
  }

  observed(backend: BackendState, deployment: string, remaining: RemainingQuota, at: number): void {
    const tag = this.tags.get(backend);
    if (!tag || !backend.isKnown(deployment)) return;
    this.writes.observe(this.deploymentKey(tag, deployment), { tokens: remaining.tokens, requests: remaining.requests, at });
  }

  reserved(backend: BackendState, deployment: string, estimatedTokens: number, sentAt: number): (() => void) | undefined {
    const tag = this.tags.get(backend);
    // Names no backend has answered for stay local: a client must not be able to fill the store with keys.
    if (!tag || !backend.isKnown(deployment)) return undefined;
    return this.writes.reserve(this.deploymentKey(tag, deployment), estimatedTokens, sentAt);
  }

  private deploymentKey(tag: string, deployment: string): string {
    const id = `${tag}/${deployment}`;
    let key = this.deploymentKeys.get(id);
    if (key === undefined) {
      if (this.deploymentKeys.size >= maxCachedKeys) this.deploymentKeys.clear();
      key = this.keys.deployment(tag, deployment);
      this.deploymentKeys.set(id, key);
    }
    return key;
  }

  /** One refresh: say this replica is alive, then read every backend's and deployment's shared state. */
  async refresh(): Promise<void> {
    if (this.refreshing) return;
    if (!this.store.client.isReady) {
      // Away: what the others had in flight when it went is no longer known, and must not hold requests back.
      this.forgetElsewhere();
      return;
    }
    this.refreshing = true;
    const started = performance.now();
    const slow = setTimeout(() => this.store.slow(`a refresh took over ${this.slowMs} ms`), this.slowMs);
    try {
      const now = this.now();
      const { client } = this.store;
      const plan = this.backends.map((backend) => ({ backend, tag: this.tags.get(backend)!, deployments: deploymentsToRead(backend, now) }));
      const [, replicas, ...results] = await Promise.all([
        client.hSet(this.keys.replicas, this.replica, String(now + this.aliveMs)),
        client.hGetAll(this.keys.replicas),
        ...plan.flatMap(({ tag, deployments }) => [
          client.hGetAll(this.keys.backend(tag)),
          ...deployments.map((name) => client.hGetAll(this.deploymentKey(tag, name))),
        ]),
      ]);
      const alive = this.aliveReplicas(replicas, now);
      let index = 0;
      for (const { backend, deployments } of plan) {
        applyBackend(backend, results[index++]!);
        const read = new Set(deployments);
        for (const name of deployments) applyDeployment(backend, name, results[index++]!, alive, this.replica, now);
        for (const state of backend.allDeployments()) if (!read.has(state.deployment)) state.elsewhere = noneInFlight;
      }
      this.refreshedAt = this.now();
      if (performance.now() - started < this.slowMs) this.store.answered();
    } catch (error) {
      this.store.problem(error);
    } finally {
      clearTimeout(slow);
      this.refreshing = false;
    }
  }

  /** A cooldown another replica just learned. */
  private heard(message: string): void {
    const event = parseCooldownEvent(message);
    if (!event || event.r === this.replica) return;
    const backend = this.byTag.get(event.b);
    if (!backend) return;
    if (event.d === undefined) backend.breakUntil(event.u);
    else backend.deployment(event.d).coolDownUntil(event.k, event.u);
  }

  /** Back after an outage (or first connected): what this replica learned meanwhile goes to the others. */
  private rejoin(): void {
    const now = this.now();
    for (const backend of this.backends) {
      if (backend.brokenUntil > now) this.cooled(backend, undefined, 'broken', backend.brokenUntil);
      for (const state of backend.allDeployments()) {
        if (state.throttledUntil > now) this.cooled(backend, state.deployment, 'throttled', state.throttledUntil);
        if (state.brokenUntil > now) this.cooled(backend, state.deployment, 'broken', state.brokenUntil);
      }
    }
    this.writes.rejoined();
    void this.refresh();
  }

  private forgetElsewhere(): void {
    for (const backend of this.backends) for (const state of backend.allDeployments()) state.elsewhere = noneInFlight;
  }

  private aliveReplicas(replicas: Record<string, string>, now: number): Set<string> {
    const alive = new Set<string>();
    const gone: string[] = [];
    for (const [replica, until] of Object.entries(replicas)) {
      if (Number(until) > now) alive.add(replica);
      else gone.push(replica);
    }
    if (gone.length > 0) this.send(this.store.client.hDel(this.keys.replicas, gone));
    this.peers = alive.size - (alive.has(this.replica) ? 1 : 0);
    return alive;
  }

  /** A write nobody waits for: a failure marks the store degraded and is otherwise dropped. */
  private send(command: Promise<unknown>): void {
    command.catch((error: unknown) => this.store.problem(error));
  }
}

function deploymentsToRead(backend: BackendState, now: number): string[] {
  const names: string[] = [];
  for (const state of backend.allDeployments()) {
    if (names.length >= maxDeploymentsPerRefresh) break;
    if (backend.isKnown(state.deployment) || state.awaiting > 0 || state.cooldownUntil > now) names.push(state.deployment);
  }
  return names;
}

function applyBackend(backend: BackendState, fields: Record<string, string>): void {
  const brokenUntil = Number(fields.bu);
  if (brokenUntil > 0) backend.breakUntil(brokenUntil);
}

function applyDeployment(backend: BackendState, name: string, fields: Record<string, string>, alive: Set<string>, self: string, now: number): void {
  const state = backend.deployment(name);
  const throttledUntil = Number(fields.tu);
  const brokenUntil = Number(fields.bu);
  if (throttledUntil > 0) state.coolDownUntil('throttled', throttledUntil);
  if (brokenUntil > 0) state.coolDownUntil('broken', brokenUntil);
  // Another machine's clock may run ahead: a time in the future is taken as now.
  const observedAt = Math.min(Number(fields.ro), now);
  if (observedAt > 0) state.observeSharedReading(optionalNumber(fields.rt), optionalNumber(fields.rr), observedAt);
  let tokens = 0;
  let requests = 0;
  const sentAt: number[] = [];
  for (const [field, value] of Object.entries(fields)) {
    const replica = field.slice(2);
    if (replica === self || !alive.has(replica)) continue;
    if (field.startsWith('t:')) tokens += Math.max(0, Number(value) || 0);
    else if (field.startsWith('q:')) requests += Math.max(0, Number(value) || 0);
    else if (field.startsWith('s:')) for (const at of value.split(',', maxListedSends)) if (at !== '') sentAt.push(Math.min(Number(at) || 0, now));
  }
  state.elsewhere = { tokens, requests, sentAt };
}

const optionalNumber = (text: string | undefined): number | undefined => (text === undefined || text === '' ? undefined : Number(text));

/** The replica's name as Container Apps gives it (else the host's), with the process id: each worker is its own replica. */
function replicaName(env = process.env): string {
  const base = env.CONTAINER_APP_REPLICA_NAME || hostname() || 'replica';
  return `${base.slice(0, 64)}:${process.pid}:${randomBytes(3).toString('hex')}`;
}
