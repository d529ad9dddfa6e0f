/**
 * Measures 1–4: what the balancer adds over calling the same fast backend directly, with the same load
 * generator — latency at a fixed rate, peak throughput, time to first streamed byte — and its memory
 * with 1,000 open streams.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadGenerator } from './load-client.js';
import type { OpenJob, OpenResult, Target } from './load-types.js';
import { cpuTimeMs, readMemory, RssSampler } from './processes.js';
import { fmt, goal, type Section } from './report.js';
import { backendKey, clientKey, type Server } from './servers.js';
import { median, round, summarize } from './stats.js';

export const chatPath = '/openai/deployments/chat/chat/completions?api-version=2024-10-21';
const holdPath = '/openai/deployments/hold/chat/completions?api-version=2024-10-21';
const messages = [
  { role: 'system', content: 'You are a helpful assistant that answers questions about the documents.' },
  { role: 'user', content: 'What does the employee handbook say about working from home?' },
];
export const chatBody = JSON.stringify({ messages, max_tokens: 100, temperature: 0.3 });
export const streamBody = JSON.stringify({ messages, max_tokens: 100, temperature: 0.3, stream: true });

export interface Peers {
  load: LoadGenerator;
  backend: Server;
  balancer: Server;
  /** bench/minimal-proxy.ts in front of the same backend: the reference of measure 2. */
  minimalProxy?: Server;
}

type Via = 'direct' | 'balancer';

function target(peers: Peers, via: Via, path: string, body: string): Target {
  return via === 'direct'
    ? { origin: peers.backend.url, path, headers: { 'api-key': backendKey }, body }
    : { origin: peers.balancer.url, path, headers: { 'api-key': clientKey }, body };
}

/** ABBA order: round 0 direct first, round 1 balancer first, … so drift and order effects hit both alike. */
function order(roundIndex: number): Via[] {
  return roundIndex % 2 === 0 ? ['direct', 'balancer'] : ['balancer', 'direct'];
}

function problems(via: Via, result: OpenResult): string[] {
  const bad = Object.entries(result.statuses).filter(([status]) => status !== '200');
  const lines: string[] = [];
  if (result.errors > 0) lines.push(`${via}: ${result.errors} request errors (${result.firstErrors.join('; ')})`);
  if (bad.length > 0) lines.push(`${via}: non-200 answers ${bad.map(([status, count]) => `${status}×${count}`).join(', ')}`);
  return lines;
}

interface OpenRoundFigures {
  p50: number;
  p99: number;
  serviceP50: number;
  serviceP99: number;
  latenessP99: number;
  completed: number;
  scheduled: number;
}

/** Interleaved open-loop rounds at `rate`; `pick` chooses which latency the figures are about. */
async function interleavedOpenRounds(
  peers: Peers,
  settings: { path: string; body: string; rate: number; rounds: number; roundMs: number; warmupMs: number },
  pick: (result: OpenResult) => { fromIntended: number[]; service: number[] },
): Promise<{ rounds: Record<Via, OpenRoundFigures>[]; pooled: Record<Via, number[]>; notes: string[] }> {
  const job = (via: Via, durationMs: number): OpenJob => ({
    kind: 'open',
    ...target(peers, via, settings.path, settings.body),
    rate: settings.rate,
    durationMs,
    arrivals: 'uniform',
    connections: 32,
  });
  for (const via of ['direct', 'balancer'] as const) await peers.load.run(job(via, settings.warmupMs));
  const rounds: Record<Via, OpenRoundFigures>[] = [];
  const pooled: Record<Via, number[]> = { direct: [], balancer: [] };
  const notes: string[] = [];
  for (let index = 0; index < settings.rounds; index++) {
    const figures = {} as Record<Via, OpenRoundFigures>;
    for (const via of order(index)) {
      const result = await peers.load.run(job(via, settings.roundMs));
      notes.push(...problems(via, result).map((line) => `round ${index + 1}, ${line}`));
      const { fromIntended, service } = pick(result);
      const latency = summarize(fromIntended);
      const serviceSummary = summarize(service);
      figures[via] = {
        p50: latency.p50,
        p99: latency.p99,
        serviceP50: serviceSummary.p50,
        serviceP99: serviceSummary.p99,
        latenessP99: summarize(result.sendLateness).p99,
        completed: result.completed,
        scheduled: result.scheduled,
      };
      pooled[via].push(...fromIntended);
    }
    rounds.push(figures);
  }
  return { rounds, pooled, notes };
}

function medianOf(rounds: Record<Via, OpenRoundFigures>[], via: Via, key: keyof OpenRoundFigures): number {
  return median(rounds.map((figures) => figures[via][key]));
}

function addedOf(rounds: Record<Via, OpenRoundFigures>[], key: keyof OpenRoundFigures): number {
  return median(rounds.map((figures) => figures.balancer[key] - figures.direct[key]));
}

function latencyRows(rounds: Record<Via, OpenRoundFigures>[], pooled: Record<Via, number[]>, label: string): string[][] {
  const row = (name: string, key: keyof OpenRoundFigures): string[] => [
    name,
    fmt(medianOf(rounds, 'direct', key), 3),
    fmt(medianOf(rounds, 'balancer', key), 3),
    fmt(addedOf(rounds, key), 3),
  ];
  const direct = summarize(pooled.direct);
  const balancer = summarize(pooled.balancer);
  const count = (via: Via): string =>
    `${rounds.reduce((sum, figures) => sum + figures[via].completed, 0)}/${rounds.reduce((sum, figures) => sum + figures[via].scheduled, 0)}`;
  return [
    row(`${label} p50, from intended send (median of rounds)`, 'p50'),
    row(`${label} p99, from intended send (median of rounds)`, 'p99'),
    row(`${label} p50, from actual send (median of rounds)`, 'serviceP50'),
    row(`${label} p99, from actual send (median of rounds)`, 'serviceP99'),
    [`${label} p50, all rounds pooled`, fmt(direct.p50, 3), fmt(balancer.p50, 3), fmt(balancer.p50 - direct.p50, 3)],
    [`${label} p99, all rounds pooled`, fmt(direct.p99, 3), fmt(balancer.p99, 3), fmt(balancer.p99 - direct.p99, 3)],
    [
      'generator send lateness p99 (median of rounds)',
      fmt(medianOf(rounds, 'direct', 'latenessP99'), 3),
      fmt(medianOf(rounds, 'balancer', 'latenessP99'), 3),
      '',
    ],
    ['answers completed / scheduled', count('direct'), count('balancer'), ''],
  ];
}

function roundsRaw(rounds: Record<Via, OpenRoundFigures>[]): unknown {
  return rounds.map((figures) => ({
    direct: Object.fromEntries(Object.entries(figures.direct).map(([key, value]) => [key, round(value, 4)])),
    balancer: Object.fromEntries(Object.entries(figures.balancer).map(([key, value]) => [key, round(value, 4)])),
  }));
}

/** 1. Added latency at a fixed open-loop rate, non-streaming. */
export async function measureLatency(peers: Peers, settings = { rate: 500, rounds: 5, roundMs: 2000, warmupMs: 2000 }): Promise<Section> {
  const { rounds, pooled, notes } = await interleavedOpenRounds(peers, { ...settings, path: chatPath, body: chatBody }, (result) => ({
    fromIntended: result.fromIntended,
    service: result.service,
  }));
  const addedP50 = addedOf(rounds, 'p50');
  const addedP99 = addedOf(rounds, 'p99');
  return {
    id: '1',
    title: '1. Added latency, non-streaming, open loop',
    settings: [
      `${settings.rate} requests/s, uniform schedule; ${settings.rounds} rounds × ${settings.roundMs / 1000} s per peer, direct and balancer interleaved (ABBA), after ${settings.warmupMs / 1000} s warm-up each`,
      `POST ${chatPath}, ${chatBody.length}-byte JSON body; the fast backend answers a ${'fixed'} chat.completion at once`,
      'latency = end of response body − intended send time (no coordinated omission); "added" = median over rounds of (balancer − direct) in the same round',
    ],
    header: ['ms', 'direct', 'balancer', 'added'],
    rows: latencyRows(rounds, pooled, 'latency'),
    goals: [goal('added latency p50', addedP50, 'ms', '<=', 0.5), goal('added latency p99', addedP99, 'ms', '<=', 3)],
    notes,
    raw: { settings, addedP50, addedP99, rounds: roundsRaw(rounds) },
  };
}

/** Closed-loop traffic through every peer, so that connections are open and the JIT has done its work. */
export async function warmUp(peers: Peers, durationMs = 5000): Promise<void> {
  const vias: ThroughputVia[] = peers.minimalProxy ? ['direct', 'minimal', 'balancer'] : ['direct', 'balancer'];
  for (const via of vias) {
    await peers.load.run({ kind: 'closed', ...throughputTarget(peers, via), connections: 64, warmupMs: 0, durationMs });
  }
}

type ThroughputVia = Via | 'minimal';

function throughputTarget(peers: Peers, via: ThroughputVia): Target {
  if (via !== 'minimal') return target(peers, via, chatPath, chatBody);
  if (!peers.minimalProxy) throw new Error('no minimal proxy');
  return { origin: peers.minimalProxy.url, path: chatPath, headers: { 'api-key': clientKey }, body: chatBody };
}

async function backendRequests(peers: Peers): Promise<number> {
  return (await getJson<{ requests: number }>(`${peers.backend.url}/__bench/held`)).requests;
}

interface ThroughputRound {
  requestsPerSecond: number;
  latencyP50: number;
  /** CPU µs per request, over the whole job (warm-up included), by process. */
  cpuPerRequest: { load: number; backend: number; proxy: number };
}

/** 2. Peak throughput, closed loop; the minimal proxy, when given, is a third peer for reference. */
export async function measureThroughput(peers: Peers, settings = { connections: 128, rounds: 2, warmupMs: 1000, durationMs: 5000 }): Promise<Section> {
  const vias: ThroughputVia[] = peers.minimalProxy ? ['direct', 'minimal', 'balancer'] : ['direct', 'balancer'];
  const rounds: Partial<Record<ThroughputVia, ThroughputRound[]>> = {};
  const notes: string[] = [];
  for (let index = 0; index < settings.rounds; index++) {
    for (const via of index % 2 === 0 ? vias : [...vias].reverse()) {
      const proxyPid = via === 'balancer' ? peers.balancer.process.pid : via === 'minimal' ? peers.minimalProxy!.process.pid : undefined;
      const pids = { load: peers.load.process.pid, backend: peers.backend.process.pid, proxy: proxyPid };
      const cpuBefore = { load: cpuTimeMs(pids.load), backend: cpuTimeMs(pids.backend), proxy: proxyPid === undefined ? 0 : cpuTimeMs(proxyPid) };
      const requestsBefore = await backendRequests(peers);
      const result = await peers.load.run({
        kind: 'closed',
        ...throughputTarget(peers, via),
        connections: settings.connections,
        warmupMs: settings.warmupMs,
        durationMs: settings.durationMs,
      });
      const served = Math.max(1, (await backendRequests(peers)) - requestsBefore - 1);
      const perRequest = (pid: number | undefined, before: number): number => (pid === undefined ? 0 : ((cpuTimeMs(pid) - before) * 1000) / served);
      const bad = Object.entries(result.statuses).filter(([status]) => status !== '200');
      if (result.errors > 0 || bad.length > 0)
        notes.push(`round ${index + 1}, ${via}: ${result.errors} errors, non-200 ${JSON.stringify(Object.fromEntries(bad))} ${result.firstErrors.join('; ')}`);
      (rounds[via] ??= []).push({
        requestsPerSecond: result.requestsPerSecond,
        latencyP50: result.latency.p50,
        cpuPerRequest: {
          load: perRequest(pids.load, cpuBefore.load),
          backend: perRequest(pids.backend, cpuBefore.backend),
          proxy: perRequest(proxyPid, cpuBefore.proxy),
        },
      });
    }
  }
  const med = (via: ThroughputVia, pick: (round: ThroughputRound) => number): number => median((rounds[via] ?? []).map(pick));
  const rps = (via: ThroughputVia): number => med(via, (round) => round.requestsPerSecond);
  const direct = rps('direct');
  const balancer = rps('balancer');
  const names: Record<ThroughputVia, string> = { direct: 'direct', minimal: 'minimal proxy', balancer: 'balancer' };
  const row = (label: string, value: (via: ThroughputVia) => string): string[] => [label, ...vias.map(value)];
  const cpu =
    (key: keyof ThroughputRound['cpuPerRequest']) =>
    (via: ThroughputVia): string =>
      key === 'proxy' && via === 'direct'
        ? '–'
        : fmt(
            med(via, (round) => round.cpuPerRequest[key]),
            0,
          );
  return {
    id: '2',
    title: '2. Peak throughput, closed loop',
    settings: [
      `${settings.connections} connections, each sending its next request when the last answer ended; ${settings.rounds} rounds × (${settings.warmupMs / 1000} s warm-up + ${settings.durationMs / 1000} s measured) per peer, interleaved`,
      "load generator, proxy and backend are separate processes sharing the machine's cores",
      peers.minimalProxy
        ? '"minimal proxy" (bench/minimal-proxy.ts) is the least a Node.js proxy does — node:http server + undici Agent, no auth, selection, metrics or logs: a reference for what Node itself costs'
        : '',
      'CPU per request = user + system CPU time of the process (/proc/<pid>/stat) over the whole job ÷ requests the backend served; it is far less sensitive to other load on the machine than requests/s',
    ].filter((line) => line !== ''),
    header: ['', ...vias.map((via) => names[via])],
    rows: [
      row('requests/s (median of rounds)', (via) => fmt(rps(via), 0)),
      row('requests/s per round', (via) => (rounds[via] ?? []).map((round) => fmt(round.requestsPerSecond, 0)).join(', ')),
      row('share of direct', (via) => `${fmt((rps(via) / direct) * 100, 1)} %`),
      row('latency p50 under this load, ms', (via) =>
        fmt(
          med(via, (round) => round.latencyP50),
          2,
        ),
      ),
      row('CPU per request, proxy process, µs', cpu('proxy')),
      row('CPU per request, backend, µs', cpu('backend')),
      row('CPU per request, load generator, µs', cpu('load')),
      row('proxy ceiling on one core (10⁶ ÷ CPU µs), requests/s', (via) =>
        via === 'direct' ? '–' : fmt(1e6 / med(via, (round) => round.cpuPerRequest.proxy), 0),
      ),
    ],
    goals: [goal('throughput through the balancer', balancer, 'requests/s', '>=', 5000)],
    notes,
    raw: { settings, rounds },
  };
}

/** 3. Added time to first streamed byte. */
export async function measureFirstByte(peers: Peers, settings = { rate: 200, rounds: 5, roundMs: 1500, warmupMs: 1000 }): Promise<Section> {
  const { rounds, pooled, notes } = await interleavedOpenRounds(peers, { ...settings, path: chatPath, body: streamBody }, (result) => ({
    fromIntended: result.firstByteFromIntended,
    service: result.firstByteService,
  }));
  const addedP50 = addedOf(rounds, 'p50');
  return {
    id: '3',
    title: '3. Added time to first streamed byte',
    settings: [
      `"stream": true requests at ${settings.rate}/s, uniform schedule; ${settings.rounds} rounds × ${settings.roundMs / 1000} s per peer, interleaved (ABBA), after ${settings.warmupMs / 1000} s warm-up each`,
      'the fast backend sends headers and the first SSE event at once, the rest of the stream 5 ms later',
      'time to first byte = first response-body byte at the client − intended send time',
    ],
    header: ['ms', 'direct', 'balancer', 'added'],
    rows: latencyRows(rounds, pooled, 'first byte'),
    goals: [goal('added time to first byte p50', addedP50, 'ms', '<=', 1)],
    notes: [...notes, `added p99 (median of rounds): ${fmt(addedOf(rounds, 'p99'), 3)} ms — informational, the goal is on the typical request`],
    raw: { settings, addedP50, addedP99: addedOf(rounds, 'p99'), rounds: roundsRaw(rounds) },
  };
}

async function getJson<T>(url: string, init?: RequestInit): Promise<T> {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

const mib = (kb: number): number => kb / 1024;

/** 4. Balancer RSS with 1,000 open streams (on a balancer process that has done nothing else). */
export async function measureStreamsMemory(peers: Peers, settings = { streams: 1000, batch: 100, holdMs: 3000 }): Promise<Section> {
  const { pid } = peers.balancer.process;
  await peers.load.run({ kind: 'open', ...target(peers, 'balancer', chatPath, streamBody), rate: 200, durationMs: 1000, arrivals: 'uniform', connections: 32 });
  await sleep(1000);
  const idle = readMemory(pid);
  let sampled: { peakKb: number; samples: number } = { peakKb: Number.NaN, samples: 0 };
  let heldAtBackend = 0;
  let openedAtClient = 0;
  const notes: string[] = [];
  const started = Date.now();
  const result = await peers.load.run(
    { kind: 'hold', ...target(peers, 'balancer', holdPath, streamBody), streams: settings.streams, batch: settings.batch },
    (progress) => {
      openedAtClient = progress.opened;
      void (async () => {
        try {
          heldAtBackend = (await getJson<{ held: number }>(`${peers.backend.url}/__bench/held`)).held;
          const sampler = new RssSampler(pid, 50);
          await sleep(settings.holdMs);
          sampled = sampler.stop();
        } finally {
          await getJson(`${peers.backend.url}/__bench/release`, { method: 'POST' });
        }
      })().catch((error: unknown) => notes.push(`sampling failed: ${String(error)}`));
    },
  );
  const rampMs = Date.now() - started;
  const after = readMemory(pid);
  if (result.errors > 0) notes.push(`${result.errors} streams failed: ${result.firstErrors.join('; ')}`);
  const allOpen = openedAtClient === settings.streams && heldAtBackend === settings.streams;
  if (!allOpen) notes.push(`only ${openedAtClient} streams opened at the client, ${heldAtBackend} held at the backend`);
  const peakMiB = allOpen ? mib(sampled.peakKb) : Number.NaN;
  return {
    id: '4',
    title: `4. Balancer memory with ${settings.streams.toLocaleString('en-US')} open streams`,
    settings: [
      `${settings.streams} "stream": true requests through one fresh balancer process, opened ${settings.batch} at a time; the backend holds each open, one SSE event a second, until released`,
      `RSS (VmRSS from /proc/<pid>/status) sampled every 50 ms for ${settings.holdMs / 1000} s while all ${settings.streams} are open; VmHWM is the process's lifetime peak`,
    ],
    header: ['', 'MiB'],
    rows: [
      ['RSS idle (after 200 warm-up requests)', fmt(mib(idle.rssKb), 1)],
      [`RSS peak while ${settings.streams} streams open (${sampled.samples} samples)`, fmt(mib(sampled.peakKb), 1)],
      ['per open stream, KiB', fmt((sampled.peakKb - idle.rssKb) / settings.streams, 1)],
      ['VmHWM after the streams ended', fmt(mib(after.hwmKb), 1)],
      ['RSS after the streams ended', fmt(mib(after.rssKb), 1)],
      [`streams opened at client / held at backend / completed`, `${openedAtClient} / ${heldAtBackend} / ${result.completed}`],
    ],
    goals: [goal(`balancer RSS, ${settings.streams} open streams`, peakMiB, 'MiB', '<=', 120)],
    notes: [...notes, `opening, holding and ending the streams took ${fmt(rampMs / 1000, 1)} s`],
    raw: {
      settings,
      idleKb: idle.rssKb,
      peakKb: sampled.peakKb,
      hwmKb: after.hwmKb,
      afterKb: after.rssKb,
      opened: openedAtClient,
      held: heldAtBackend,
      completed: result.completed,
      errors: result.errors,
    },
  };
}
