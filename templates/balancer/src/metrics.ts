/** Prometheus metrics, one registry per balancer so that several can run in one process. */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BackendState } from './state.js';

/**
 * A counter updated by label values in the metric's label order. prom-client hashes a label object on
 * every update; on the request path its labelled children are looked up by a joined key instead.
 */
export class LabelledCounter {
  private readonly children = new Map<string, Counter.Internal>();

  constructor(readonly metric: Counter<string>) {}

  inc(labelValues: readonly string[], value = 1): void {
    const key = labelValues.join('\u0000');
    let child = this.children.get(key);
    if (!child) {
      child = this.metric.labels(...labelValues);
      this.children.set(key, child);
    }
    child.inc(value);
  }
}

export class Metrics {
  readonly registry = new Registry();
  readonly requests: LabelledCounter;
  readonly upstreamRequests: LabelledCounter;
  readonly failovers: LabelledCounter;
  private readonly upstreamLatency: Histogram<'backend'>;
  private readonly latencyByBackend = new Map<string, Histogram.Internal<'backend'>>();
  readonly tokens: LabelledCounter;

  observeUpstreamLatency(backend: string, seconds: number): void {
    let child = this.latencyByBackend.get(backend);
    if (!child) {
      child = this.upstreamLatency.labels(backend);
      this.latencyByBackend.set(backend, child);
    }
    child.observe(seconds);
  }

  constructor(backends: () => readonly BackendState[], now: () => number = Date.now) {
    const registers = [this.registry];
    this.requests = new LabelledCounter(new Counter({
      name: 'aoai_lb_requests_total',
      help: 'Client requests answered (proxied requests and refused keys; not /healthz, /status, /metrics), by HTTP status.',
      labelNames: ['status'],
      registers,
    }));
    this.upstreamRequests = new LabelledCounter(new Counter({
      name: 'aoai_lb_upstream_requests_total',
      help: 'Attempts sent to backends, by outcome (HTTP status, connection_error or timeout).',
      labelNames: ['backend', 'deployment', 'outcome'],
      registers,
    }));
    this.failovers = new LabelledCounter(new Counter({
      name: 'aoai_lb_failovers_total',
      help: 'Requests moved away from a backend, by reason (throttled or broken).',
      labelNames: ['backend', 'deployment', 'reason'],
      registers,
    }));
    this.upstreamLatency = new Histogram({
      name: 'aoai_lb_upstream_latency_seconds',
      help: 'Time from sending an attempt to its response headers.',
      labelNames: ['backend'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.tokens = new LabelledCounter(new Counter({
      name: 'aoai_lb_tokens_total',
      help: 'Tokens reported in responses\' usage, by kind (prompt or completion).',
      labelNames: ['backend', 'deployment', 'kind'],
      registers,
    }));
    new Gauge({
      name: 'aoai_lb_backend_cooldown_seconds',
      help: 'Seconds until the backend takes the deployment again (0 = available).',
      labelNames: ['backend', 'deployment', 'reason'],
      registers,
      collect() {
        this.reset();
        const at = now();
        for (const backend of backends()) {
          for (const state of backend.knownDeployments()) {
            const until = backend.availableAt(state.deployment);
            const reason = backend.brokenUntil > at ? 'broken' : state.cooldownUntil > at ? state.cooldownReason : 'none';
            this.set({ backend: backend.id, deployment: state.deployment, reason }, Math.max(0, until - at) / 1000);
          }
        }
      },
    });
  }
}
