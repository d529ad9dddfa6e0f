/**
 * The load generator, run as its own process (forked with IPC by load-client.ts) so that it never shares
 * an event loop with the process being measured. HTTP/1.1 keep-alive through undici Pools, one Pool per
 * origin and size, kept across jobs so that connections are warm.
 *
 * Open loop: requests leave at their intended send times (uniform or seeded Poisson); latency is taken
 * from the intended time, so a slow answer that delays later sends is counted against the target, not
 * hidden (coordinated omission). Closed loop: N workers, each sending as soon as its last answer ended.
 */
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { Pool } from 'undici';
import type { ClosedJob, ClosedResult, HoldJob, HoldProgress, HoldResult, Job, JobMessage, OpenJob, OpenResult, WorkerMessage } from './load-types.js';
import { percentile, seededRandom } from './stats.js';

const pools = new Map<string, Pool>();

function poolFor(origin: string, connections: number): Pool {
  const key = `${origin} ${connections}`;
  let pool = pools.get(key);
  if (!pool) {
    pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 60_000, headersTimeout: 30_000, bodyTimeout: 30_000 });
    pools.set(key, pool);
  }
  return pool;
}

/** Resolves with the time of the first body byte (or the end, for an empty body) once the body has ended. */
function consume(body: Readable): Promise<{ firstByteAt: number; endAt: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    let firstByteAt = 0;
    let bytes = 0;
    body.on('data', (chunk: Buffer) => {
      if (firstByteAt === 0) firstByteAt = performance.now();
      bytes += chunk.length;
    });
    body.once('end', () => {
      const endAt = performance.now();
      resolve({ firstByteAt: firstByteAt || endAt, endAt, bytes });
    });
    body.once('error', reject);
  });
}

function describe(error: unknown): string {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  return code ? `${code}: ${message}` : message;
}

/** Send offsets in ms from the start. */
function schedule(job: OpenJob): Float64Array {
  const count = Math.max(1, Math.round((job.rate * job.durationMs) / 1000));
  const offsets = new Float64Array(count);
  const gap = 1000 / job.rate;
  if (job.arrivals === 'uniform') {
    for (let i = 0; i < count; i++) offsets[i] = i * gap;
    return offsets;
  }
  const random = seededRandom(job.seed ?? 1);
  let at = 0;
  for (let i = 0; i < count; i++) {
    offsets[i] = at;
    at += -Math.log(1 - random()) * gap;
  }
  return offsets;
}

function openLoop(job: OpenJob): Promise<OpenResult> {
  const pool = poolFor(job.origin, job.connections);
  const offsets = schedule(job);
  const count = offsets.length;
  const result: OpenResult = {
    scheduled: count,
    completed: 0,
    errors: 0,
    firstErrors: [],
    statuses: {},
    fromIntended: [],
    service: [],
    firstByteFromIntended: [],
    firstByteService: [],
    sendLateness: [],
    elapsedMs: 0,
  };
  const headers = { ...job.headers, 'content-type': 'application/json' };
  const start = performance.now() + 2;
  let settled = 0;

  return new Promise((resolve) => {
    const settle = (): void => {
      if (++settled === count) {
        result.elapsedMs = performance.now() - start;
        resolve(result);
      }
    };
    const fire = (index: number, sentAt: number): void => {
      const intended = start + offsets[index]!;
      result.sendLateness.push(sentAt - intended);
      pool
        .request({ path: job.path, method: 'POST', headers, body: job.body })
        .then(async (response) => {
          const { firstByteAt, endAt } = await consume(response.body);
          const status = String(response.statusCode);
          result.statuses[status] = (result.statuses[status] ?? 0) + 1;
          result.completed++;
          result.fromIntended.push(endAt - intended);
          result.service.push(endAt - sentAt);
          result.firstByteFromIntended.push(firstByteAt - intended);
          result.firstByteService.push(firstByteAt - sentAt);
        })
        .catch((error: unknown) => {
          result.errors++;
          if (result.firstErrors.length < 5) result.firstErrors.push(describe(error));
        })
        .finally(settle);
    };
    let next = 0;
    const tick = (): void => {
      const now = performance.now();
      while (next < count && start + offsets[next]! <= now) fire(next++, now);
      if (next < count) setTimeout(tick, start + offsets[next]! - performance.now());
    };
    setTimeout(tick, start - performance.now());
  });
}

async function closedLoop(job: ClosedJob): Promise<ClosedResult> {
  const pool = poolFor(job.origin, job.connections);
  const headers = { ...job.headers, 'content-type': 'application/json' };
  const begin = performance.now();
  const measureFrom = begin + job.warmupMs;
  const end = measureFrom + job.durationMs;
  const latencies: number[] = [];
  const result: ClosedResult = { completed: 0, requestsPerSecond: 0, errors: 0, firstErrors: [], statuses: {}, latency: { p50: 0, p99: 0 } };

  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const sentAt = performance.now();
      try {
        const response = await pool.request({ path: job.path, method: 'POST', headers, body: job.body });
        const { endAt } = await consume(response.body);
        if (endAt >= measureFrom && endAt <= end) {
          const status = String(response.statusCode);
          result.statuses[status] = (result.statuses[status] ?? 0) + 1;
          result.completed++;
          latencies.push(endAt - sentAt);
        }
      } catch (error) {
        result.errors++;
        if (result.firstErrors.length < 5) result.firstErrors.push(describe(error));
      }
    }
  };
  await Promise.all(Array.from({ length: job.connections }, worker));
  // Only answers that ended inside [measureFrom, end] count: the window is exact.
  result.requestsPerSecond = result.completed / (job.durationMs / 1000);
  latencies.sort((a, b) => a - b);
  result.latency = { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
  return result;
}

async function hold(job: HoldJob, progress: (data: HoldProgress) => void): Promise<HoldResult> {
  const pool = new Pool(job.origin, { connections: job.streams, pipelining: 1, headersTimeout: 30_000, bodyTimeout: 120_000 });
  const headers = { ...job.headers, 'content-type': 'application/json' };
  const result: HoldResult = { opened: 0, completed: 0, errors: 0, firstErrors: [], bytes: 0 };
  const ends: Promise<void>[] = [];

  const open = (): Promise<void> =>
    new Promise<void>((firstByte) => {
      const ended = pool
        .request({ path: job.path, method: 'POST', headers, body: job.body })
        .then(
          (response) =>
            new Promise<void>((resolve, reject) => {
              let first = true;
              response.body.on('data', (chunk: Buffer) => {
                result.bytes += chunk.length;
                if (first) {
                  first = false;
                  result.opened++;
                  firstByte();
                }
              });
              response.body.once('end', () => {
                result.completed++;
                resolve();
              });
              response.body.once('error', reject);
            }),
        )
        .catch((error: unknown) => {
          result.errors++;
          if (result.firstErrors.length < 5) result.firstErrors.push(describe(error));
          firstByte();
        });
      ends.push(ended);
    });

  for (let from = 0; from < job.streams; from += job.batch) {
    const size = Math.min(job.batch, job.streams - from);
    await Promise.all(Array.from({ length: size }, open));
  }
  progress({ opened: result.opened, failed: result.errors });
  await Promise.all(ends);
  await pool.close();
  return result;
}

function run(job: Job, progress: (data: HoldProgress) => void): Promise<OpenResult | ClosedResult | HoldResult> {
  switch (job.kind) {
    case 'open':
      return openLoop(job);
    case 'closed':
      return closedLoop(job);
    case 'hold':
      return hold(job, progress);
  }
}

function send(message: WorkerMessage): void {
  process.send?.(message);
}

process.on('message', (message: JobMessage) => {
  run(message.job, (data) => send({ type: 'progress', id: message.id, data }))
    .then((data) => send({ type: 'result', id: message.id, data }))
    .catch((error: unknown) => send({ type: 'error', id: message.id, message: describe(error) }));
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
