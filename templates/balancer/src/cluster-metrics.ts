/**
 * WORKERS > 1: /metrics answers for the whole replica, not for whichever worker took the connection (a
 * counter read from another worker at each scrape would go up and down). The worker that takes the scrape
 * asks the primary, which collects every worker's registry with prom-client's AggregatorRegistry: counters
 * and histograms are summed, gauges as each one says (metrics.ts).
 */
import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

const metricsRequest = 'aoai-lb:metrics?';
const metricsAnswer = 'aoai-lb:metrics';

interface MetricsMessage {
  type?: string;
  id?: number;
  text?: string;
  error?: string;
}

/** In the primary: answers each worker's request for the replica's metrics. */
export function answerMetricsRequests(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: MetricsMessage | undefined) => {
    if (message?.type !== metricsRequest) return;
    const reply = (answer: Omit<MetricsMessage, 'type' | 'id'>): void => {
      if (worker.isConnected()) worker.send({ type: metricsAnswer, id: message.id, ...answer });
    };
    aggregator.clusterMetrics().then(
      (text) => reply({ text }),
      (error: Error) => reply({ error: error.message }),
    );
  });
}

/** In a worker: offers `registry` to the primary's collection; returns how to read the whole replica's metrics. */
export function replicaMetrics(registry: Registry): () => Promise<string> {
  AggregatorRegistry.setRegistries([registry]);
  // Constructing one in a worker is what makes prom-client answer the primary's collection.
  new AggregatorRegistry();
  const pending = new Map<number, { resolve(text: string): void; reject(error: Error): void }>();
  let nextId = 0;
  process.on('message', (message: MetricsMessage | undefined) => {
    if (message?.type !== metricsAnswer || message.id === undefined) return;
    const waiting = pending.get(message.id);
    pending.delete(message.id);
    if (message.text !== undefined) waiting?.resolve(message.text);
    else waiting?.reject(new Error(message.error ?? 'no answer from the primary'));
  });
  return () =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      if (!process.send || !process.connected) {
        reject(new Error('this worker has lost its channel to the primary'));
        return;
      }
      pending.set(id, { resolve, reject });
      // The primary's collection gives up after prom-client's timeout and answers with an error.
      process.send({ type: metricsRequest, id }, undefined, {}, (error: Error | null) => {
        if (!error) return;
        pending.delete(id);
        reject(error);
      });
    });
}
