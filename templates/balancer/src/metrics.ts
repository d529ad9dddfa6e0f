/**
 * Prometheus metrics, one registry per balancer so that several can run in one process. Counters are
 * read at scrape time from the counts the balancer keeps anyway (per backend and deployment, and per
 * client status), so the request path does no label hashing; only the latency histogram is observed.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BackendState, DeploymentState } from './state.js';

export interface MetricSources {
  backends(): readonly BackendState[];
  responses(): ReadonlyMap<number, number>;
  now(): number;
  /** Client requests held for a request slot that comes back soon. */
  waiting(): number;
  /** The shared store's health; undefined without SHARED_STATE_URL. */
  shared?(): { mode: string; peers: number } | undefined;
}

/** Calls `visit` for every deployment the balancer has state for, with its backend's id. */
function eachDeployment(sources: MetricSources, visit: (backend: BackendState, state: DeploymentState) => void): void {
  for (const backend of sources.backends()) for (const state of backend.knownDeployments()) visit(backend, state);
}

export class Metrics {
  readonly registry = new Registry();
  private readonly upstreamLatency: Histogram<'backend'>;
  private readonly latencyByBackend = new Map<string, Histogram.Internal<'backend'>>();
  private read: () => Promise<string> = () => this.registry.metrics();

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    new Counter({
      name: 'aoai_lb_requests_total',
      help: 'Client requests answered (proxied requests and refused keys; not /healthz, /status, /metrics), by HTTP status.',
      labelNames: ['status'],
      registers,
      collect() {
        this.reset();
        for (const [status, count] of sources.responses()) this.inc({ status: String(status) }, count);
      },
    });
    new Counter({
      name: 'aoai_lb_upstream_requests_total',
      help: 'Attempts sent to backends, by outcome (HTTP status, connection_error or timeout).',
      labelNames: ['backend', 'deployment', 'outcome'],
      registers,
      collect() {
        this.reset();
        eachDeployment(sources, (backend, state) => {
          for (const [outcome, count] of state.outcomes) this.inc({ backend: backend.id, deployment: state.deployment, outcome }, count);
        });
      },
    });
    new Counter({
      name: 'aoai_lb_failovers_total',
      help: 'Requests moved away from a backend, by reason (throttled or broken).',
      labelNames: ['backend', 'deployment', 'reason'],
      registers,
      collect() {
        this.reset();
        eachDeployment(sources, (backend, state) => {
          if (state.throttled > 0) this.inc({ backend: backend.id, deployment: state.deployment, reason: 'throttled' }, state.throttled);
          if (state.errors > 0) this.inc({ backend: backend.id, deployment: state.deployment, reason: 'broken' }, state.errors);
        });
      },
    });
    new Counter({
      name: 'aoai_lb_tokens_total',
      help: "Tokens reported in responses' usage, by kind (prompt or completion).",
      labelNames: ['backend', 'deployment', 'kind'],
      registers,
      collect() {
        this.reset();
        eachDeployment(sources, (backend, state) => {
          if (state.promptTokens > 0) this.inc({ backend: backend.id, deployment: state.deployment, kind: 'prompt' }, state.promptTokens);
          if (state.completionTokens > 0) this.inc({ backend: backend.id, deployment: state.deployment, kind: 'completion' }, state.completionTokens);
        });
      },
    });
    new Gauge({
      name: 'aoai_lb_backend_cooldown_seconds',
      help: 'Seconds until the backend takes the deployment again (0 = available).',
      labelNames: ['backend', 'deployment', 'reason'],
      aggregator: 'max',
      registers,
      collect() {
        this.reset();
        const at = sources.now();
        eachDeployment(sources, (backend, state) => {
          const until = backend.availableAt(state.deployment);
          const reason = backend.brokenUntil > at ? 'broken' : state.cooldownUntil > at ? state.cooldownReason : 'none';
          this.set({ backend: backend.id, deployment: state.deployment, reason }, Math.max(0, until - at) / 1000);
        });
      },
    });
    new Gauge({
      name: 'aoai_lb_requests_waiting',
      help: 'Client requests held for a request slot that comes back within a tenth of the request window, instead of a 429.',
      registers,
      collect() {
        this.set(sources.waiting());
      },
    });
    if (sources.shared?.()) {
      new Gauge({
        name: 'aoai_lb_shared_state_up',
        help: '1 while the shared store is in use, 0 while this replica serves on its own state (unreachable or slow store).',
        aggregator: 'min',
        registers,
        collect() {
          this.set(sources.shared?.()?.mode === 'shared' ? 1 : 0);
        },
      });
      new Gauge({
        name: 'aoai_lb_shared_state_peers',
        help: 'Other replicas (and workers) seen alive in the shared store at the last refresh.',
        aggregator: 'max',
        registers,
        collect() {
          this.set(sources.shared?.()?.peers ?? 0);
        },
      });
    }
    this.upstreamLatency = new Histogram({
      name: 'aoai_lb_upstream_latency_seconds',
      help: 'Time from sending an attempt to its response headers.',
      labelNames: ['backend'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
  }

  /** The Prometheus text: this process's registry, or with workers the whole replica's (cluster-metrics.ts). */
  text(): Promise<string> {
    return this.read();
  }

  readWith(read: () => Promise<string>): void {
    this.read = read;
  }

  observeUpstreamLatency(backend: string, seconds: number): void {
    let child = this.latencyByBackend.get(backend);
    if (!child) {
      child = this.upstreamLatency.labels(backend);
      this.latencyByBackend.set(backend, child);
    }
    child.observe(seconds);
  }
}
