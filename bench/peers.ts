/**
 * `npm run bench:peers`: aoai-lb side by side with what a user would run instead — no proxy (direct),
 * nginx from Debian's package, the Portkey gateway from npm — in one run, on loopback, contenders
 * interleaved. Not a test.
 *
 *   npm run bench:peers                 the full run (~15 minutes on 2 cores); writes docs/peers-results.json,
 *                                       docs/peers-quota.svg and the generated part of docs/benchmarks.md
 *   npm run bench:peers -- --quick      a smoke run (< 2 minutes); writes bench/results/peers-quick.*
 *   npm run bench:peers -- --only replicas [--quick]   only the replicas measure (bench/replicas.ts)
 *
 * Measures: 1 overhead (added latency at a fixed rate, peak throughput), 2 streaming (added time to first
 * byte, streams intact), 3 quota use at 60/80/100/120 % of 3 × 30K TPM, 4 resilience to faulty backends,
 * 5 peak RSS under the overhead test, R replicas with and without shared state (bench/replicas.ts, its own
 * block in docs/benchmarks.md). A contender that cannot start is reported as such.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { aoaiLb } from './contenders/aoai-lb.js';
import { direct } from './contenders/direct.js';
import { ensureNginx, nginx } from './contenders/nginx.js';
import { portkey } from './contenders/portkey.js';
import type { Contender } from './contenders/types.js';
import { LoadGenerator } from './load-client.js';
import { chatBody, streamBody } from './overhead.js';
import { quotaChart } from './peers-chart.js';
import {
  addedOver,
  latencyRounds,
  log,
  PeakRss,
  quotaFigures,
  quotaRun,
  resilienceRun,
  rotate,
  startAll,
  stopAllEntries,
  streamsIntact,
  throughputRounds,
  type Entry,
  type IntactResult,
  type LatencyRound,
  type QuotaFigures,
  type QuotaRun,
  type QuotaSettings,
  type ResilienceResult,
  type ResilienceSettings,
  type ThroughputRound,
} from './peers-measures.js';
import { installCleanup, machineInfo, stopAll } from './processes.js';
import { redisVersion, writeReplicas } from './peers-replicas-output.js';
import { replicasMeasure, replicasReport, replicasSettings, type ReplicasResults } from './replicas.js';
import { fmt, goal, markdownTable, renderMachine, type Goal } from './report.js';
import { backendKey, repoRoot, startFastBackend } from './servers.js';
import { gitCommit, versionOf } from './provenance.js';
import { median, round } from './stats.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } } });
const quick = values.quick;
if (values.only !== undefined && values.only !== 'replicas') {
  process.stderr.write(`bench: --only takes one value, replicas (got "${values.only}")\n`);
  process.exit(2);
}
const onlyReplicas = values.only === 'replicas';
const replicaSettings = replicasSettings(quick);

const fullSettings = {
  warmupMs: 3000,
  latency: { rate: 100, rounds: 6, roundMs: 2000, warmupMs: 1000 },
  throughput: { connections: 128, rounds: 2, warmupMs: 1000, durationMs: 4000 },
  firstByte: { rate: 50, rounds: 4, roundMs: 1500, warmupMs: 500 },
  intactStreams: 30,
  quota: {
    backends: 3,
    tpm: 30_000,
    loads: [0.6, 0.8, 1.0, 1.2],
    maxTokens: 500,
    timeScale: 60,
    simulatedSeconds: 180,
    trials: 2,
    upstreamTimeoutMs: 2000,
  } satisfies QuotaSettings,
  resilience: { rate: 25, durationMs: 8000, clientTimeoutMs: 6000, upstreamTimeoutMs: 2000, timeScale: 20, maxTokens: 50 } satisfies ResilienceSettings,
};

/**
 * A --quick run (a smoke run: under 2 minutes with the build and the replicas part) is the full run with one
 * short round per overhead measure, the quota measure at 80 and 120 % only (the loads its goals read), one
 * trial of one simulated minute, and a shorter resilience run whose client timeout is still twice the
 * upstream timeout. Its figures need not meet the goals.
 */
const settings: typeof fullSettings = quick
  ? {
      ...fullSettings,
      warmupMs: 300,
      latency: { ...fullSettings.latency, rounds: 1, roundMs: 1000, warmupMs: 200 },
      throughput: { ...fullSettings.throughput, rounds: 1, warmupMs: 250, durationMs: 750 },
      firstByte: { ...fullSettings.firstByte, rounds: 1, roundMs: 600, warmupMs: 200 },
      intactStreams: 10,
      quota: { ...fullSettings.quota, loads: [0.8, 1.2], simulatedSeconds: 60, trials: 1 },
      resilience: { ...fullSettings.resilience, rate: 20, durationMs: 1000, clientTimeoutMs: 4000 },
    }
  : fullSettings;

const contenders: Contender[] = [direct, aoaiLb, nginx, portkey];
const proxies = contenders.filter((contender) => contender !== direct).map((contender) => contender.name);

interface Results {
  startErrors: Record<string, string>;
  latency: Map<string, LatencyRound[]>;
  throughput: Map<string, ThroughputRound[]>;
  firstByte: Map<string, LatencyRound[]>;
  intact: Map<string, IntactResult>;
  rssKb: Map<string, number>;
  quota: QuotaFigures[];
  quotaRuns: QuotaRun[];
  resilience: ResilienceResult[];
  replicas?: ReplicasResults;
}

async function overheadMeasures(load: LoadGenerator, results: Results): Promise<void> {
  const backend = await startFastBackend();
  const entries: Entry[] = await startAll(contenders, {
    backends: [{ url: backend.url, apiKey: backendKey }],
    deployment: 'chat',
    upstreamTimeoutMs: 30_000,
    timeScale: 1,
  });
  try {
    for (const entry of entries) if (entry.error !== undefined) results.startErrors[entry.contender.name] = entry.error;
    const live = entries.filter((entry) => entry.running !== undefined);
    const samplers = new Map(
      live.filter((entry) => entry.running!.pids().length > 0).map((entry) => [entry.contender.name, new PeakRss(() => entry.running!.pids())]),
    );
    log(`warming up: ${settings.warmupMs / 1000} s closed loop through each contender`);
    for (const entry of live)
      await load.run({ kind: 'closed', ...entry.running!.targets(chatBody)[0]!, connections: 64, warmupMs: 0, durationMs: settings.warmupMs });
    log(`1a added latency at ${settings.latency.rate} requests/s, ${settings.latency.rounds} rotated rounds`);
    results.latency = await latencyRounds(load, entries, { ...settings.latency, body: chatBody, firstByte: false });
    log(`1b peak throughput, closed loop, ${settings.throughput.rounds} round(s)`);
    results.throughput = await throughputRounds(load, entries, { ...settings.throughput, body: chatBody });
    for (const [name, sampler] of samplers) results.rssKb.set(name, sampler.stop());
    log(`2 streaming: first byte at ${settings.firstByte.rate}/s, then ${settings.intactStreams} streams checked byte by byte`);
    results.firstByte = await latencyRounds(load, entries, { ...settings.firstByte, body: streamBody, firstByte: true });
    const directTarget = live.find((entry) => entry.contender === direct)!.running!.targets(streamBody)[0]!;
    const reference = await (
      await fetch(`${directTarget.origin}${directTarget.path}`, {
        method: 'POST',
        headers: { ...directTarget.headers, 'content-type': 'application/json' },
        body: streamBody,
      })
    ).text();
    for (const entry of live)
      results.intact.set(entry.contender.name, await streamsIntact(entry.running!.targets(streamBody)[0]!, reference, settings.intactStreams));
  } finally {
    await stopAllEntries(entries);
    await backend.stop();
  }
}

async function quotaMeasure(load: LoadGenerator, results: Results): Promise<void> {
  const q = settings.quota;
  for (const offered of q.loads) {
    log(
      `3 quota at ${offered * 100} % of ${(q.backends * q.tpm).toLocaleString('en-US')} TPM (${q.trials} trial(s) × ${contenders.length} contenders, ${(q.simulatedSeconds / q.timeScale).toFixed(1)} s each)`,
    );
    const runs: QuotaRun[] = [];
    for (let trial = 0; trial < q.trials; trial++) {
      const order = rotate(contenders, trial + q.loads.indexOf(offered));
      for (const contender of order) runs.push(await quotaRun(load, contender, q, offered, 1000 + trial));
    }
    results.quotaRuns.push(...runs);
    for (const contender of contenders)
      results.quota.push(
        quotaFigures(
          runs.filter((run) => run.contender === contender.name),
          q,
        ),
      );
  }
}

async function resilienceMeasure(results: Results): Promise<void> {
  log(`4 resilience: 1 healthy + 3 faulty backends, ${settings.resilience.rate}/s for ${settings.resilience.durationMs / 1000} s per contender`);
  for (const contender of rotate(contenders, 1)) results.resilience.push(await resilienceRun(contender, settings.resilience, 7));
  results.resilience.sort((a, b) => contenders.findIndex((c) => c.name === a.contender) - contenders.findIndex((c) => c.name === b.contender));
}

// ---- report ------------------------------------------------------------------------------------------

function cell(results: Results, name: string, value: () => string): string {
  const error = results.startErrors[name];
  return error === undefined ? value() : error;
}

function statusText(statuses: Record<string, number>, errors: number): string {
  const bad = Object.entries(statuses)
    .filter(([status]) => status !== '200')
    .map(([status, count]) => `${status}×${count}`);
  if (errors > 0) bad.push(`errors×${errors}`);
  return bad.length === 0 ? 'all 200' : bad.join(', ');
}

interface Report {
  markdown: string;
  goals: Goal[];
  json: unknown;
}

function buildReport(results: Results, meta: { machineTable: string; versions: Record<string, string>; seconds: number; finishedAt: string }): Report {
  const names = contenders.map((contender) => contender.name);
  const parts: string[] = [];
  const goals: Goal[] = [];
  const medianRound = (rounds: LatencyRound[] | undefined, key: 'p50' | 'p99'): number => median((rounds ?? []).map((r) => r[key]));
  const okShare = (rounds: LatencyRound[] | undefined): number => {
    const list = rounds ?? [];
    return (
      list.reduce((s, r) => s + r.ok, 0) /
      Math.max(
        1,
        list.reduce((s, r) => s + r.scheduled, 0),
      )
    );
  };

  parts.push(`Generated by \`npm run bench:peers${quick ? ' -- --quick' : ''}\` on ${meta.finishedAt}, in ${meta.seconds.toFixed(0)} s (without the build).`);
  parts.push(meta.machineTable);
  parts.push(
    markdownTable(
      ['contender', 'how it runs'],
      contenders.map((contender) => [
        contender.name,
        `${contender.describe}${results.startErrors[contender.name] === undefined ? '' : ` — **${results.startErrors[contender.name]}**`}`,
      ]),
    ),
  );

  // 1. overhead
  const lat = results.latency;
  const latNote = (name: string): string => (okShare(lat.get(name)) < 0.99 ? ` (only ${fmt(okShare(lat.get(name)) * 100, 1)} % 200s)` : '');
  parts.push(`#### P1. Overhead: added latency at ${settings.latency.rate} requests/s and peak throughput (zero-latency backend)`);
  parts.push(
    [
      `- one fast backend (bench/fast-backend.ts: a fixed chat.completion at once); every proxy in front of it alone; the load generator is its own process (undici, keep-alive)`,
      `- latency: open loop, uniform schedule, ${settings.latency.rounds} round${settings.latency.rounds === 1 ? '' : 's'} × ${settings.latency.roundMs / 1000} s per contender, the order rotated every round; latency = end of body − intended send; "added" = median over rounds of (contender − direct in the same round)`,
      `- throughput: closed loop, ${settings.throughput.connections} connections, ${settings.throughput.rounds} round(s) × (${settings.throughput.warmupMs / 1000} s warm-up + ${settings.throughput.durationMs / 1000} s measured), alternating order; requests/s counts 200s only`,
      `- load generator, proxy and backend share the machine's ${machineInfo().cores} cores`,
    ].join('\n'),
  );
  const tp = (name: string): number => median((results.throughput.get(name) ?? []).map((r) => r.okPerSecond));
  parts.push(
    markdownTable(
      ['', ...names],
      [
        ['latency p50, ms', ...names.map((n) => cell(results, n, () => fmt(medianRound(lat.get(n), 'p50'), 3) + latNote(n)))],
        ['latency p99, ms', ...names.map((n) => cell(results, n, () => fmt(medianRound(lat.get(n), 'p99'), 3)))],
        ['added p50, ms', ...names.map((n) => (n === 'direct' ? '–' : cell(results, n, () => fmt(addedOver(lat, n, 'p50'), 3))))],
        ['added p99, ms', ...names.map((n) => (n === 'direct' ? '–' : cell(results, n, () => fmt(addedOver(lat, n, 'p99'), 3))))],
        ['peak throughput, 200s/s (median of rounds)', ...names.map((n) => cell(results, n, () => fmt(tp(n), 0)))],
        ['throughput per round', ...names.map((n) => cell(results, n, () => (results.throughput.get(n) ?? []).map((r) => fmt(r.okPerSecond, 0)).join(', ')))],
        ['share of direct', ...names.map((n) => cell(results, n, () => `${fmt((tp(n) / tp('direct')) * 100, 1)} %`))],
        ['latency p50 under peak load, ms', ...names.map((n) => cell(results, n, () => fmt(median((results.throughput.get(n) ?? []).map((r) => r.p50)), 2)))],
        [
          'non-200 answers / errors',
          ...names.map((n) =>
            cell(results, n, () =>
              statusText(
                Object.assign({}, ...[...(lat.get(n) ?? []), ...(results.throughput.get(n) ?? [])].map((r) => r.statuses)) as Record<string, number>,
                [...(lat.get(n) ?? []), ...(results.throughput.get(n) ?? [])].reduce((s, r) => s + r.errors, 0),
              ),
            ),
          ),
        ],
      ],
    ),
  );
  goals.push(goal('P1 aoai-lb added latency p50', addedOver(lat, 'aoai-lb', 'p50'), 'ms', '<=', 0.5));
  goals.push(goal('P1 aoai-lb throughput ÷ nginx', tp('aoai-lb') / tp('nginx'), '×', '>=', 0.5));
  goals.push(goal('P1 aoai-lb throughput ÷ Portkey', tp('aoai-lb') / tp('Portkey'), '×', '>=', 3));

  // 2. streaming
  const fb = results.firstByte;
  parts.push(`#### P2. Streaming: added time to first byte, and streams intact`);
  parts.push(
    [
      `- \`"stream": true\` at ${settings.firstByte.rate}/s, ${settings.firstByte.rounds} rotated rounds × ${settings.firstByte.roundMs / 1000} s; the fast backend sends headers and the first SSE event at once, the rest 5 ms later; first byte = first body byte − intended send`,
      `- intact: ${settings.intactStreams} streams one after another per contender, compared with the same stream fetched directly: the same sequence of \`data:\` payloads ending in \`[DONE]\` (and, stricter, the very same bytes)`,
    ].join('\n'),
  );
  const intact = (n: string): IntactResult | undefined => results.intact.get(n);
  parts.push(
    markdownTable(
      ['', ...names],
      [
        [
          'first byte p50, ms',
          ...names.map((n) =>
            cell(results, n, () =>
              okShare(fb.get(n)) < 0.5
                ? `n/a (${statusText(Object.assign({}, ...(fb.get(n) ?? []).map((r) => r.statuses)) as Record<string, number>, 0)})`
                : fmt(medianRound(fb.get(n), 'p50'), 3),
            ),
          ),
        ],
        [
          'added first byte p50, ms',
          ...names.map((n) => (n === 'direct' ? '–' : cell(results, n, () => (okShare(fb.get(n)) < 0.5 ? 'n/a' : fmt(addedOver(fb, n, 'p50'), 3))))),
        ],
        [
          'added first byte p99, ms',
          ...names.map((n) => (n === 'direct' ? '–' : cell(results, n, () => (okShare(fb.get(n)) < 0.5 ? 'n/a' : fmt(addedOver(fb, n, 'p99'), 3))))),
        ],
        ['streams with HTTP 200', ...names.map((n) => cell(results, n, () => `${intact(n)?.ok200 ?? 0}/${intact(n)?.tried ?? 0}`))],
        ['streams intact (same events)', ...names.map((n) => cell(results, n, () => `${intact(n)?.intact ?? 0}/${intact(n)?.tried ?? 0}`))],
        ['streams byte-identical', ...names.map((n) => cell(results, n, () => `${intact(n)?.identical ?? 0}/${intact(n)?.tried ?? 0}`))],
        ['first problem seen', ...names.map((n) => cell(results, n, () => (intact(n)?.firstProblem ?? '–').replace(/\|/g, '\\|').slice(0, 90)))],
      ],
    ),
  );

  // 3. quota
  const q = settings.quota;
  parts.push(
    `#### P3. Quota use: 3 simulated backends × ${q.tpm.toLocaleString('en-US')} TPM, offered ${q.loads.map((l) => `${l * 100} %`).join(' / ')}, client retries off`,
  );
  parts.push(
    [
      `- per offered load, ${q.trials} trial(s) per contender, each from fresh simulators (src/simulator, deployment "chat", max_tokens ${q.maxTokens}, so ${q.tpm / q.maxTokens} requests per backend per 60 s token window) and a fresh contender; contenders in rotated order`,
      `- time scale ${q.timeScale}: ${q.simulatedSeconds} simulated s = ${(q.simulatedSeconds / q.timeScale).toFixed(1)} real s per trial; seeded Poisson arrivals; direct = the client spreads its requests evenly over the three backends`,
      `- upstream 429s = the simulators' count of 429s they sent; tokens used = tokens the simulators had charged (admitted) when the offered simulated minute ended ÷ summed TPM (the windows start empty, so at most 100 %; a proxy that queues requests past the minute gets no credit for them); upstream timeout ${q.upstreamTimeoutMs / 1000} s for every proxy`,
    ].join('\n'),
  );
  const qf = (n: string, load: number): QuotaFigures | undefined => results.quota.find((f) => f.contender === n && f.load === load);
  for (const [label, render] of [
    ['success rate', (f: QuotaFigures) => `${fmt(f.successRate, 2)} %`],
    ['client-visible 429s', (f: QuotaFigures) => `${f.client429} of ${f.scheduled}`],
    ['upstream 429s per success', (f: QuotaFigures) => fmt(f.upstreamPerSuccess, 3)],
    ['tokens used, share of summed TPM', (f: QuotaFigures) => `${fmt(f.tokenShare, 1)} %`],
    ['other statuses / errors', (f: QuotaFigures) => f.other],
  ] as const) {
    parts.push(`${label}:`);
    parts.push(
      markdownTable(
        ['offered', ...names],
        q.loads.map((load) => [
          `${load * 100} %`,
          ...names.map((n) => {
            const f = qf(n, load);
            return f === undefined ? 'n/a' : (f.error ?? render(f));
          }),
        ]),
      ),
    );
  }
  parts.push('![Quota used vs offered load](peers-quota.svg)');
  const at80 = (n: string): QuotaFigures | undefined => qf(n, 0.8);
  const lb80 = at80('aoai-lb');
  const peers80 = contenders
    .filter((c) => c.name !== 'aoai-lb')
    .map((c) => at80(c.name))
    .filter((f): f is QuotaFigures => f !== undefined && f.error === undefined);
  goals.push(goal('P3 aoai-lb success at 80 %', lb80?.successRate ?? Number.NaN, '%', '>=', 99.5));
  goals.push(goal('P3 aoai-lb upstream 429s per success at 80 %', lb80?.upstreamPerSuccess ?? Number.NaN, '', '<', 0.1));
  const bestPeerSuccess = Math.max(...peers80.map((f) => f.successRate));
  const fewestPeer429 = Math.min(...peers80.map((f) => f.upstreamPerSuccess));
  goals.push(goal("P3 aoai-lb success at 80 % − best peer's", (lb80?.successRate ?? Number.NaN) - bestPeerSuccess, 'points', '>=', 0));
  goals.push(goal('P3 aoai-lb upstream 429s/success at 80 % − fewest of a peer', (lb80?.upstreamPerSuccess ?? Number.NaN) - fewestPeer429, '', '<=', 0));
  goals.push(goal('P3 aoai-lb tokens used at 120 %', qf('aoai-lb', 1.2)?.tokenShare ?? Number.NaN, '% of summed TPM', '>=', 95));

  // 4. resilience
  const r = settings.resilience;
  parts.push(`#### P4. Resilience: one healthy backend, one answering 500, one resetting connections, one hanging`);
  parts.push(
    [
      `- four simulators (no quota pressure), faults through the simulator's fault control (until cleared): 500 on every request, socket reset, hang (never answers)`,
      `- ${r.rate} requests/s, Poisson, for ${r.durationMs / 1000} s per contender, sent from the bench process with a ${r.clientTimeoutMs / 1000} s client timeout; every proxy gives up on a silent upstream after ${r.upstreamTimeoutMs / 1000} s; direct = the client spreads over the four backends`,
    ].join('\n'),
  );
  const rr = (n: string): ResilienceResult | undefined => results.resilience.find((x) => x.contender === n);
  parts.push(
    markdownTable(
      ['', ...names],
      [
        [
          'success rate',
          ...names.map((n) => {
            const x = rr(n);
            return x === undefined ? 'n/a' : (x.error ?? `${fmt((x.succeeded / Math.max(1, x.scheduled)) * 100, 2)} % (${x.succeeded}/${x.scheduled})`);
          }),
        ],
        [
          'latency p50, ms',
          ...names.map((n) => {
            const x = rr(n);
            return x === undefined ? 'n/a' : (x.error ?? fmt(x.p50, 1));
          }),
        ],
        [
          'latency p99, ms',
          ...names.map((n) => {
            const x = rr(n);
            return x === undefined ? 'n/a' : (x.error ?? fmt(x.p99, 1));
          }),
        ],
        [
          'other answers / client errors',
          ...names.map((n) => {
            const x = rr(n);
            return x === undefined ? 'n/a' : (x.error ?? statusText(x.statuses, x.clientErrors));
          }),
        ],
        [
          'requests seen by healthy / 500 / reset / hang backend',
          ...names.map((n) => {
            const x = rr(n);
            return x === undefined ? 'n/a' : (x.error ?? x.perBackendRequests.join(' / '));
          }),
        ],
      ],
    ),
  );
  const lbR = rr('aoai-lb');
  goals.push(
    goal(
      'P4 aoai-lb success with one healthy backend',
      lbR === undefined || lbR.error !== undefined ? Number.NaN : (lbR.succeeded / Math.max(1, lbR.scheduled)) * 100,
      '%',
      '>=',
      100,
    ),
  );

  // 5. memory
  parts.push(`#### P5. Peak RSS under the overhead test`);
  parts.push(`- VmRSS of the contender's processes (nginx: master + worker), summed, sampled every 50 ms through warm-up, latency and throughput of P1`);
  parts.push(
    markdownTable(['', ...proxies], [['peak RSS, MiB', ...proxies.map((n) => cell(results, n, () => fmt((results.rssKb.get(n) ?? Number.NaN) / 1024, 1)))]]),
  );

  parts.push('#### Goals for aoai-lb');
  parts.push(
    markdownTable(
      ['goal', 'measured', 'goal', 'result'],
      goals.map((g) => [
        g.figure,
        `${fmt(g.value, Math.abs(g.value) < 10 ? 3 : 1)} ${g.unit}`,
        `${g.comparator === '<=' ? '≤' : g.comparator === '>=' ? '≥' : '<'} ${g.limit} ${g.unit}`,
        g.met ? 'met' : 'MISSED',
      ]),
    ),
  );

  const mapJson = <T>(map: Map<string, T>): Record<string, T> => Object.fromEntries(map);
  const json = {
    finishedAt: meta.finishedAt,
    quick,
    durationSeconds: Math.round(meta.seconds),
    machine: machineInfo(),
    versions: meta.versions,
    settings,
    contenders: contenders.map((c) => ({ name: c.name, describe: c.describe, startError: results.startErrors[c.name] ?? null })),
    overhead: {
      latencyRounds: mapJson(results.latency),
      addedP50: Object.fromEntries(proxies.map((n) => [n, round(addedOver(lat, n, 'p50'), 4)])),
      addedP99: Object.fromEntries(proxies.map((n) => [n, round(addedOver(lat, n, 'p99'), 4)])),
      throughputRounds: mapJson(results.throughput),
      peakThroughput: Object.fromEntries(names.map((n) => [n, round(tp(n), 1)])),
    },
    streaming: {
      firstByteRounds: mapJson(results.firstByte),
      addedFirstByteP50: Object.fromEntries(proxies.map((n) => [n, round(addedOver(fb, n, 'p50'), 4)])),
      intact: mapJson(results.intact),
    },
    quota: { figures: results.quota, runs: results.quotaRuns },
    resilience: results.resilience,
    peakRssKb: mapJson(results.rssKb),
    goals,
    allGoalsMet: goals.every((g) => g.met),
  };
  return { markdown: parts.join('\n\n'), goals, json };
}

const begin = '<!-- peers:begin (generated by npm run bench:peers; edit bench/peers.ts, not this) -->';
const end = '<!-- peers:end -->';

function writeDocs(markdown: string): void {
  const path = join(repoRoot, 'docs', 'benchmarks.md');
  const text = readFileSync(path, 'utf8');
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  const block = `${begin}\n\n${markdown}\n\n${end}`;
  const next = from >= 0 && to > from ? `${text.slice(0, from)}${block}${text.slice(to + end.length)}` : `${text.trimEnd()}\n\n## Peers\n\n${block}\n`;
  writeFileSync(path, next);
}

function replicasHeader(machineTable: string, seconds: number, finishedAt: string, flags: string): string {
  const command = `npm run bench:peers${flags === '' ? '' : ` -- ${flags}`}${quick ? (flags === '' ? ' -- --quick' : ' --quick') : ''}`;
  return `Generated by \`${command}\` on ${finishedAt}${flags === '' ? ' (the replicas part of the run above)' : `, in ${seconds.toFixed(0)} s (without the build)`}.\n\n${flags === '' ? '' : `${machineTable}\n\n`}`;
}

async function main(): Promise<void> {
  installCleanup();
  const began = Date.now();
  try {
    ensureNginx(log);
  } catch (error) {
    log(`nginx could not be installed: ${error instanceof Error ? error.message : String(error)}`);
  }
  const versions: Record<string, string> = {
    'aoai-lb': `${aoaiLb.version()} (commit ${gitCommit()})`,
    nginx: nginx.version(),
    'redis-server': redisVersion(),
    Portkey: (() => {
      try {
        return portkey.version();
      } catch {
        return 'not installed (npm install)';
      }
    })(),
    'undici (load generator)': versionOf('node_modules/undici/package.json'),
  };
  const machineTable = renderMachine(machineInfo(), versions);
  if (onlyReplicas) {
    process.stdout.write(`## aoai-lb replicas${quick ? ' (--quick)' : ''}\n\n`);
    const load = await LoadGenerator.start();
    let replicas: ReplicasResults;
    try {
      replicas = await replicasMeasure(load, replicaSettings);
    } finally {
      await load.stop();
    }
    const seconds = (Date.now() - began) / 1000;
    const report = replicasReport(replicas, replicaSettings, quick);
    const markdown = replicasHeader(machineTable, seconds, new Date().toISOString(), '--only replicas') + report.markdown;
    process.stdout.write(`${markdown}\n\nbench took ${seconds.toFixed(0)} s (without the build)\n`);
    writeReplicas({
      quick,
      markdown,
      json: { finishedAt: new Date().toISOString(), durationSeconds: Math.round(seconds), machine: machineInfo(), versions, ...(report.json as object) },
      alone: true,
    });
    return;
  }
  process.stdout.write(`## aoai-lb and its peers${quick ? ' (--quick)' : ''}\n\n`);
  const results: Results = {
    startErrors: {},
    latency: new Map(),
    throughput: new Map(),
    firstByte: new Map(),
    intact: new Map(),
    rssKb: new Map(),
    quota: [],
    quotaRuns: [],
    resilience: [],
  };
  const load = await LoadGenerator.start();
  try {
    await overheadMeasures(load, results);
    await quotaMeasure(load, results);
    await resilienceMeasure(results);
    results.replicas = await replicasMeasure(load, replicaSettings);
  } finally {
    await load.stop();
  }
  const seconds = (Date.now() - began) / 1000;
  const finishedAt = new Date().toISOString();
  const report = buildReport(results, { machineTable, versions, seconds, finishedAt });
  const replicas = replicasReport(results.replicas!, replicaSettings, quick);
  const replicasMarkdown = replicasHeader(machineTable, seconds, finishedAt, '') + replicas.markdown;
  process.stdout.write(`${report.markdown}\n\n${replicasMarkdown}\n\nbench took ${seconds.toFixed(0)} s (without the build)\n`);
  const chart = quotaChart(
    contenders.map((c) => ({
      name: c.name,
      points: settings.quota.loads.map((load): [number, number] => [
        load * 100,
        results.quota.find((f) => f.contender === c.name && f.load === load)?.tokenShare ?? Number.NaN,
      ]),
    })),
    {
      title: 'Quota used vs offered load (higher is better, up to 100 %)',
      subtitle: `3 simulated Azure OpenAI backends × ${settings.quota.tpm.toLocaleString('en-US')} TPM, client retries off${quick ? ' (--quick run)' : ''}`,
      xs: settings.quota.loads.map((load) => load * 100),
    },
  );
  const resultsDir = join(repoRoot, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  if (quick) {
    writeFileSync(join(resultsDir, 'peers-quick.md'), `${report.markdown}\n\n${replicasMarkdown}\n`);
    writeFileSync(join(resultsDir, 'peers-quick.json'), `${JSON.stringify({ ...(report.json as object), replicas: replicas.json }, null, 2)}\n`);
    writeFileSync(join(resultsDir, 'peers-quick.svg'), chart);
    log('results written to bench/results/peers-quick.{md,json,svg} (a --quick run does not touch docs/)');
  } else {
    writeFileSync(join(resultsDir, 'peers.md'), `${report.markdown}\n\n${replicasMarkdown}\n`);
    writeFileSync(join(repoRoot, 'docs', 'peers-results.json'), `${JSON.stringify({ ...(report.json as object), replicas: replicas.json }, null, 2)}\n`);
    writeFileSync(join(repoRoot, 'docs', 'peers-quota.svg'), chart);
    writeDocs(report.markdown);
    writeReplicas({ quick, markdown: replicasMarkdown, json: replicas.json, alone: false });
    log('results written to docs/peers-results.json, docs/peers-quota.svg and docs/benchmarks.md (between the peers markers)');
  }
}

main().catch(async (error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  await stopAll();
  process.exitCode = 1;
});
