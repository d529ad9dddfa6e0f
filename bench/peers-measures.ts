/**
 * The measures of `npm run bench:peers`, for any number of contenders (bench/contenders/): the overhead
 * measures of bench/overhead.ts (open-loop latency, closed-loop throughput, first streamed byte) with the
 * rounds rotated over every contender, peak RSS, quota use behind simulators (as bench/quota.ts) at several
 * offered loads, and resilience to faulty backends.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { startSimulator, type Simulator } from '../src/simulator/index.js';
import { requestBudget } from '../src/simulator/rate-limiter.js';
import type { Contender, Running, StartOptions } from './contenders/types.js';
import type { LoadGenerator } from './load-client.js';
import type { ClosedResult, OpenResult, Target } from './load-types.js';
import { readMemory } from './processes.js';
import { median, seededRandom, summarize } from './stats.js';

export interface Entry {
  contender: Contender;
  /** Set while the contender runs. */
  running?: Running;
  /** "could not start: …" */
  error?: string;
}

export function log(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

/** Starts one contender; one that fails is kept with its reason. */
async function startOne(contender: Contender, options: StartOptions): Promise<Entry> {
  try {
    return { contender, running: await contender.start(options) };
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error))
      .split('\n')
      .filter((line) => line.trim() !== '')
      .slice(0, 3)
      .join(' / ');
    log(`${contender.name} could not start: ${reason}`);
    return { contender, error: `could not start: ${reason}` };
  }
}

/** Starts every contender, one after the other. */
export async function startAll(contenders: Contender[], options: StartOptions): Promise<Entry[]> {
  const entries: Entry[] = [];
  for (const contender of contenders) entries.push(await startOne(contender, options));
  return entries;
}

/** A contender in front of these simulators, for one quota or resilience trial. */
function startBehind(contender: Contender, simulators: Array<{ url: string }>, settings: { upstreamTimeoutMs: number; timeScale: number }): Promise<Entry> {
  return startOne(contender, {
    backends: simulators.map((simulator) => ({ url: simulator.url, apiKey: simulatorKey })),
    deployment: quotaDeployment,
    upstreamTimeoutMs: settings.upstreamTimeoutMs,
    timeScale: settings.timeScale,
  });
}

export async function stopAllEntries(entries: Entry[]): Promise<void> {
  for (const entry of entries) {
    await entry.running?.stop();
    delete entry.running;
  }
}

/** Round `index` visits the contenders starting at a different one each time, so drift and order hit all alike. */
export function rotate<T>(items: T[], index: number): T[] {
  const start = index % Math.max(1, items.length);
  return [...items.slice(start), ...items.slice(0, start)];
}

/** Peak of the summed VmRSS of some processes, sampled every `intervalMs`. */
export class PeakRss {
  private peakKb = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pids: () => number[],
    intervalMs = 50,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  sample(): void {
    let sum = 0;
    for (const pid of this.pids()) {
      try {
        sum += readMemory(pid).rssKb;
      } catch {
        // gone
      }
    }
    this.peakKb = Math.max(this.peakKb, sum);
  }

  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peakKb;
  }
}

function statusesOk(statuses: Record<string, number>): number {
  return statuses['200'] ?? 0;
}

export interface LatencyRound {
  p50: number;
  p99: number;
  ok: number;
  scheduled: number;
  statuses: Record<string, number>;
  errors: number;
  firstErrors: string[];
}

/** Open-loop rounds at a fixed rate through each contender, rotated; first byte or whole answer. */
export async function latencyRounds(
  load: LoadGenerator,
  entries: Entry[],
  settings: { body: string; rate: number; rounds: number; roundMs: number; warmupMs: number; firstByte: boolean },
): Promise<Map<string, LatencyRound[]>> {
  const live = entries.filter((entry) => entry.running !== undefined);
  const job = (entry: Entry, durationMs: number) => ({
    kind: 'open' as const,
    ...entry.running!.targets(settings.body)[0]!,
    rate: settings.rate,
    durationMs,
    arrivals: 'uniform' as const,
    connections: 32,
  });
  for (const entry of live) await load.run(job(entry, settings.warmupMs));
  const out = new Map<string, LatencyRound[]>();
  for (let index = 0; index < settings.rounds; index++) {
    for (const entry of rotate(live, index)) {
      const result: OpenResult = await load.run(job(entry, settings.roundMs));
      const values = settings.firstByte ? result.firstByteFromIntended : result.fromIntended;
      const summary = summarize(values);
      const list = out.get(entry.contender.name) ?? [];
      list.push({
        p50: summary.p50,
        p99: summary.p99,
        ok: statusesOk(result.statuses),
        scheduled: result.scheduled,
        statuses: result.statuses,
        errors: result.errors,
        firstErrors: result.firstErrors,
      });
      out.set(entry.contender.name, list);
    }
  }
  return out;
}

/** Median over rounds of (contender − direct) in the same round. */
export function addedOver(rounds: Map<string, LatencyRound[]>, name: string, key: 'p50' | 'p99'): number {
  const base = rounds.get('direct');
  const mine = rounds.get(name);
  if (base === undefined || mine === undefined) return Number.NaN;
  return median(mine.map((round, index) => round[key] - (base[index]?.[key] ?? Number.NaN)));
}

export interface ThroughputRound {
  requestsPerSecond: number;
  okPerSecond: number;
  p50: number;
  statuses: Record<string, number>;
  errors: number;
}

/** Closed loop through each contender, rounds in alternating order. */
export async function throughputRounds(
  load: LoadGenerator,
  entries: Entry[],
  settings: { body: string; connections: number; rounds: number; warmupMs: number; durationMs: number },
): Promise<Map<string, ThroughputRound[]>> {
  const live = entries.filter((entry) => entry.running !== undefined);
  const out = new Map<string, ThroughputRound[]>();
  for (let index = 0; index < settings.rounds; index++) {
    for (const entry of index % 2 === 0 ? live : [...live].reverse()) {
      const result: ClosedResult = await load.run({
        kind: 'closed',
        ...entry.running!.targets(settings.body)[0]!,
        connections: settings.connections,
        warmupMs: settings.warmupMs,
        durationMs: settings.durationMs,
      });
      const list = out.get(entry.contender.name) ?? [];
      list.push({
        requestsPerSecond: result.requestsPerSecond,
        okPerSecond: statusesOk(result.statuses) / (settings.durationMs / 1000),
        p50: result.latency.p50,
        statuses: result.statuses,
        errors: result.errors,
      });
      out.set(entry.contender.name, list);
    }
  }
  return out;
}

/** The `data:` payloads of an SSE body, in order. */
export function ssePayloads(text: string): string[] {
  return text
    .split(/\r?\n/)
    .filter((line) => line.startsWith('data:'))
    .map((line) => line.slice(5).trim());
}

export interface IntactResult {
  tried: number;
  ok200: number;
  /** Same sequence of data: payloads as direct, ending in [DONE]. */
  intact: number;
  /** The very same bytes as direct. */
  identical: number;
  firstProblem?: string;
}

/** `count` streams one after another through a target; compared with what the backend sends directly. */
export async function streamsIntact(target: Target, reference: string, count: number): Promise<IntactResult> {
  const expected = ssePayloads(reference);
  const result: IntactResult = { tried: count, ok200: 0, intact: 0, identical: 0 };
  for (let index = 0; index < count; index++) {
    try {
      const response = await fetch(`${target.origin}${target.path}`, {
        method: 'POST',
        headers: { ...target.headers, 'content-type': 'application/json' },
        body: target.body,
        signal: AbortSignal.timeout(10_000),
      });
      const text = await response.text();
      if (response.status !== 200) {
        result.firstProblem ??= `HTTP ${response.status}: ${text.slice(0, 120)}`;
        continue;
      }
      result.ok200++;
      if (text === reference) result.identical++;
      const payloads = ssePayloads(text);
      if (payloads.length === expected.length && payloads.every((payload, at) => payload === expected[at]) && payloads.at(-1) === '[DONE]') result.intact++;
      else result.firstProblem ??= `${payloads.length} events (expected ${expected.length}); last "${(payloads.at(-1) ?? '').slice(0, 40)}"`;
    } catch (error) {
      result.firstProblem ??= error instanceof Error ? error.message : String(error);
    }
  }
  return result;
}

// ---- quota -------------------------------------------------------------------------------------------

export interface QuotaSettings {
  backends: number;
  tpm: number;
  loads: number[];
  maxTokens: number;
  timeScale: number;
  simulatedSeconds: number;
  trials: number;
  upstreamTimeoutMs: number;
  /** What `loads` are shares of: the summed TPM (default), or the summed request budget (RPM) when it binds first. */
  offeredAs?: 'tokens' | 'requests';
}

export interface QuotaRun {
  contender: string;
  load: number;
  seed: number;
  error?: string;
  scheduled: number;
  succeeded: number;
  client429: number;
  otherStatuses: Record<string, number>;
  errors: number;
  upstream429: number;
  /** Tokens the simulators had charged when the offered (simulated) minute ended: at most the summed TPM, as the windows start empty. */
  tokensCharged: number;
  /** Tokens charged by the end of the run, late admissions included. */
  tokensChargedTotal: number;
  perBackendAdmitted: number[];
  /** What the contender said about itself before it stopped (Running.inspect), if it can. */
  inspected?: unknown;
}

const simulatorKey = 'bench-simulator-key';
export const quotaDeployment = 'chat';

async function startSimulators(count: number, tpm: number, timeScale: number): Promise<Simulator[]> {
  const simulators: Simulator[] = [];
  for (let index = 0; index < count; index++) {
    simulators.push(
      await startSimulator({
        deployments: [{ name: quotaDeployment, model: 'gpt-4o-mini', tpm }],
        apiKeys: [simulatorKey],
        timeScale,
        region: `Bench Region ${index + 1}`,
      }),
    );
  }
  return simulators;
}

/** One trial: fresh simulators and a fresh contender, `load` × summed TPM offered as seeded Poisson arrivals, no client retries. */
export async function quotaRun(load: LoadGenerator, contender: Contender, settings: QuotaSettings, offered: number, seed: number): Promise<QuotaRun> {
  const simulators = await startSimulators(settings.backends, settings.tpm, settings.timeScale);
  const empty: QuotaRun = {
    contender: contender.name,
    load: offered,
    seed,
    scheduled: 0,
    succeeded: 0,
    client429: 0,
    otherStatuses: {},
    errors: 0,
    upstream429: 0,
    tokensCharged: 0,
    tokensChargedTotal: 0,
    perBackendAdmitted: [],
  };
  let running: Running | undefined;
  try {
    const entry = await startBehind(contender, simulators, settings);
    if (!entry.running) return { ...empty, error: entry.error! };
    running = entry.running;
    const body = JSON.stringify({ messages: [{ role: 'user', content: 'Summarise the benefits of the health plan.' }], max_tokens: settings.maxTokens });
    const targets = running.targets(body);
    const requestsPerSimulatedMinute =
      settings.offeredAs === 'requests'
        ? offered * settings.backends * requestBudget(settings.tpm) * 6
        : (offered * settings.backends * settings.tpm) / settings.maxTokens;
    const rate = (requestsPerSimulatedMinute / 60) * settings.timeScale;
    const durationMs = (settings.simulatedSeconds * 1000) / settings.timeScale;
    const charged = (): number =>
      simulators.reduce((sum, simulator) => sum + simulator.stats().deployments.find((deployment) => deployment.name === quotaDeployment)!.tokensCharged, 0);
    let chargedInWindow = Number.NaN;
    const snapshot = setTimeout(() => (chargedInWindow = charged()), durationMs);
    const results = await Promise.all(
      targets.map((target, index) =>
        load.run({
          kind: 'open',
          ...target,
          rate: rate / targets.length,
          durationMs,
          arrivals: 'poisson',
          seed: seed * 10 + index,
          connections: 256,
        }),
      ),
    );
    clearTimeout(snapshot);
    const statuses: Record<string, number> = {};
    for (const result of results) for (const [status, count] of Object.entries(result.statuses)) statuses[status] = (statuses[status] ?? 0) + count;
    const stats = simulators.map((simulator) => simulator.stats().deployments.find((deployment) => deployment.name === quotaDeployment)!);
    const { '200': succeeded = 0, '429': client429 = 0, ...otherStatuses } = statuses;
    const inspected = running.inspect === undefined ? undefined : await running.inspect().catch((error: unknown) => ({ error: String(error) }));
    return {
      ...empty,
      scheduled: results.reduce((sum, result) => sum + result.scheduled, 0),
      succeeded,
      client429,
      otherStatuses,
      errors: results.reduce((sum, result) => sum + result.errors, 0),
      upstream429: stats.reduce((sum, deployment) => sum + deployment.rejected429, 0),
      tokensCharged: Number.isNaN(chargedInWindow) ? charged() : chargedInWindow,
      tokensChargedTotal: stats.reduce((sum, deployment) => sum + deployment.tokensCharged, 0),
      perBackendAdmitted: stats.map((deployment) => deployment.admitted),
      ...(inspected === undefined ? {} : { inspected }),
    };
  } finally {
    await running?.stop();
    await Promise.all(simulators.map((simulator) => simulator.close()));
  }
}

export interface QuotaFigures {
  contender: string;
  load: number;
  error?: string;
  scheduled: number;
  succeeded: number;
  successRate: number;
  client429: number;
  other: string;
  upstream429: number;
  upstreamPerSuccess: number;
  tokenShare: number;
}

export function quotaFigures(runs: QuotaRun[], settings: QuotaSettings): QuotaFigures {
  const first = runs[0]!;
  const sum = (key: 'scheduled' | 'succeeded' | 'client429' | 'errors' | 'upstream429' | 'tokensCharged'): number =>
    runs.reduce((total, run) => total + run[key], 0);
  const minutes = (settings.simulatedSeconds / 60) * runs.length;
  const others = new Map<string, number>();
  for (const run of runs) for (const [status, count] of Object.entries(run.otherStatuses)) others.set(status, (others.get(status) ?? 0) + count);
  const other = [...[...others].map(([status, count]) => `${status}×${count}`), ...(sum('errors') > 0 ? [`errors×${sum('errors')}`] : [])].join(', ');
  const error = runs.find((run) => run.error !== undefined)?.error;
  return {
    contender: first.contender,
    load: first.load,
    ...(error === undefined ? {} : { error }),
    scheduled: sum('scheduled'),
    succeeded: sum('succeeded'),
    successRate: error === undefined ? (sum('succeeded') / Math.max(1, sum('scheduled'))) * 100 : Number.NaN,
    client429: sum('client429'),
    other: other === '' ? 'none' : other,
    upstream429: sum('upstream429'),
    upstreamPerSuccess: error === undefined ? sum('upstream429') / Math.max(1, sum('succeeded')) : Number.NaN,
    tokenShare: error === undefined ? (sum('tokensCharged') / minutes / (settings.backends * settings.tpm)) * 100 : Number.NaN,
  };
}

// ---- resilience --------------------------------------------------------------------------------------

export interface ResilienceSettings {
  rate: number;
  durationMs: number;
  clientTimeoutMs: number;
  upstreamTimeoutMs: number;
  timeScale: number;
  maxTokens: number;
}

export interface ResilienceResult {
  contender: string;
  error?: string;
  scheduled: number;
  succeeded: number;
  statuses: Record<string, number>;
  clientErrors: number;
  firstErrors: string[];
  p50: number;
  p99: number;
  /** Requests each simulator saw: healthy, 500, reset, hang. */
  perBackendRequests: number[];
}

/**
 * Four simulators, no quota pressure: one healthy, one answering 500, one resetting connections, one
 * hanging (never answering). Poisson arrivals sent from this process with a client timeout; latency from
 * the send. Success = 200.
 */
export async function resilienceRun(contender: Contender, settings: ResilienceSettings, seed: number): Promise<ResilienceResult> {
  const simulators = await startSimulators(4, 10_000_000, settings.timeScale);
  simulators[1]!.addFault({ kind: '500' });
  simulators[2]!.addFault({ kind: 'reset' });
  simulators[3]!.addFault({ kind: 'hang' });
  const empty: ResilienceResult = {
    contender: contender.name,
    scheduled: 0,
    succeeded: 0,
    statuses: {},
    clientErrors: 0,
    firstErrors: [],
    p50: Number.NaN,
    p99: Number.NaN,
    perBackendRequests: [],
  };
  let running: Running | undefined;
  const agent = new Agent({ connections: 256, headersTimeout: settings.clientTimeoutMs, bodyTimeout: settings.clientTimeoutMs, keepAliveTimeout: 30_000 });
  try {
    const entry = await startBehind(contender, simulators, settings);
    if (!entry.running) return { ...empty, error: entry.error! };
    running = entry.running;
    const body = JSON.stringify({ messages: [{ role: 'user', content: 'Is the office open on Friday?' }], max_tokens: settings.maxTokens });
    const targets = running.targets(body);
    const random = seededRandom(seed);
    const count = Math.round((settings.rate * settings.durationMs) / 1000);
    const latencies: number[] = [];
    const result: ResilienceResult = { ...empty, scheduled: count };
    const pending: Promise<void>[] = [];
    const start = performance.now();
    let at = 0;
    for (let index = 0; index < count; index++) {
      const wait = start + at - performance.now();
      if (wait > 1) await sleep(wait);
      at += (-Math.log(1 - random()) * 1000) / settings.rate;
      const target = targets[index % targets.length]!;
      const sentAt = performance.now();
      pending.push(
        request(`${target.origin}${target.path}`, {
          method: 'POST',
          headers: { ...target.headers, 'content-type': 'application/json' },
          body: target.body,
          dispatcher: agent,
          signal: AbortSignal.timeout(settings.clientTimeoutMs),
        })
          .then(async (response) => {
            await response.body.text();
            const status = String(response.statusCode);
            result.statuses[status] = (result.statuses[status] ?? 0) + 1;
            if (response.statusCode === 200) result.succeeded++;
            latencies.push(performance.now() - sentAt);
          })
          .catch((error: unknown) => {
            result.clientErrors++;
            latencies.push(performance.now() - sentAt);
            if (result.firstErrors.length < 3)
              result.firstErrors.push(error instanceof Error ? `${(error as { code?: string }).code ?? error.name}: ${error.message}` : String(error));
          }),
      );
    }
    await Promise.all(pending);
    const summary = summarize(latencies);
    result.p50 = summary.p50;
    result.p99 = summary.p99;
    result.perBackendRequests = simulators.map(
      (simulator) => simulator.stats().deployments.find((deployment) => deployment.name === quotaDeployment)!.requests,
    );
    return result;
  } finally {
    await running?.stop();
    await agent.close().catch(() => undefined);
    await Promise.all(simulators.map((simulator) => simulator.close()));
  }
}
