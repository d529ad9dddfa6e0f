/** Prometheus metrics, one registry per balancer so that several can run in one process. */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BackendState } from './state.js';

export class Metrics {
  readonly registry = new Registry();
  readonly requests: Counter<'status'>;
  readonly upstreamRequests: Counter<'backend' | 'deployment' | 'outcome'>;
  readonly failovers: Counter<'backend' | 'deployment' | 'reason'>;
  readonly upstreamLatency: Histogram<'backend'>;
  readonly tokens: Counter<'backend' | 'deployment' | 'kind'>;

  constructor(backends: () => readonly BackendState[], now: () => number = Date.now) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'aoai_lb_requests_total',
      help: 'Client requests answered (proxied requests and refused keys; not /healthz, /status, /metrics), by HTTP status.',
      labelNames: ['status'],
      registers,
    });
    this.upstreamRequests = new Counter({
      name: 'aoai_lb_upstream_requests_total',
      help: 'Attempts sent to backends, by outcome (HTTP status, connection_error or timeout).',
      labelNames: ['backend', 'deployment', 'outcome'],
      registers,
    });
    this.failovers = new Counter({
      name: 'aoai_lb_failovers_total',
      help: 'Requests moved away from a backend, by reason (throttled or broken).',
      labelNames: ['backend', 'deployment', 'reason'],
      registers,
    });
    this.upstreamLatency = new Histogram({
      name: 'aoai_lb_upstream_latency_seconds',
      help: 'Time from sending an attempt to its response headers.',
      labelNames: ['backend'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.tokens = new Counter({
      name: 'aoai_lb_tokens_total',
      help: 'Tokens reported in responses\' usage, by kind (prompt or completion).',
      labelNames: ['backend', 'deployment', 'kind'],
      registers,
    });
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
