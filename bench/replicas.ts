/**
 * The replicas measure of `npm run bench:peers` (issue 12): four balancer processes behind one round-robin
 * front (nginx, bench/contenders/front.ts) in front of three time-scaled simulators, with shared state on
 * one redis-server, without it, and four replicas of the LiteLLM-like baseline (bench/litellm-like.ts);
 * a request-bound case (3K TPM: 3 requests per 10 s per backend) with one replica and with four; and the
 * latency shared state adds to one balancer in front of the zero-latency backend at 500 requests/s.
 *
 *   npm run bench:peers -- --only replicas            this part alone (rewrites its block in docs/)
 *   npm run bench:peers -- --only replicas --quick    a smoke run of it (bench/results/replicas-quick.*)
 */
import type { ReplicaCounts } from './contenders/replicas.js';
import { replicasContender } from './contenders/replicas.js';
import { frontDescription } from './contenders/front.js';
import type { Contender } from './contenders/types.js';
import type { LoadGenerator } from './load-client.js';
import { chatBody } from './overhead.js';
import {
  latencyRounds,
  log,
  quotaFigures,
  quotaRun,
  rotate,
  startAll,
  stopAllEntries,
  type LatencyRound,
  type QuotaFigures,
  type QuotaRun,
  type QuotaSettings,
} from './peers-measures.js';
import { fmt, goal, markdownTable, type Goal } from './report.js';
import { backendKey, startFastBackend } from './servers.js';
import { cpuTimeMs } from './processes.js';
import { requestBudget } from '../src/simulator/rate-limiter.js';
import { median, round } from './stats.js';
import { litellmDefaults } from './litellm-like-defaults.js';

export interface ReplicasSettings {
  token: QuotaSettings;
  requestBound: QuotaSettings;
  latency: { rate: number; rounds: number; roundMs: number; warmupMs: number };
  /** Names of the setups run in each case (a quick run leaves some out). */
  tokenSetups: string[];
  requestSetups: string[];
}

const shared4 = replicasContender({ name: 'aoai-lb ×4, shared state', replicas: 4, kind: 'aoai-lb', shared: true });
const local4 = replicasContender({ name: 'aoai-lb ×4, no shared state', replicas: 4, kind: 'aoai-lb', shared: false });
const litellm4 = replicasContender({ name: 'LiteLLM-like ×4', replicas: 4, kind: 'litellm-like' });
const one = replicasContender({ name: 'aoai-lb ×1', replicas: 1, kind: 'aoai-lb', shared: false });
const setups: Contender[] = [shared4, local4, litellm4, one];
const latencyOff = replicasContender({ name: 'shared state off', replicas: 1, kind: 'aoai-lb', shared: false, front: false });
const latencyOn = replicasContender({ name: 'shared state on', replicas: 1, kind: 'aoai-lb', shared: true, front: false });

export function replicasSettings(quick: boolean): ReplicasSettings {
  // Time scale 10 in the full run: at 20 the figures moved with the machine's load (a 50 ms scheduling delay
  // is a simulated second); the smoke run keeps 20 to stay short.
  const base = { backends: 3, timeScale: quick ? 20 : 10, upstreamTimeoutMs: 2000 };
  return quick
    ? {
        token: { ...base, tpm: 30_000, loads: [0.8, 1.2], maxTokens: 500, simulatedSeconds: 60, trials: 1 },
        requestBound: { ...base, tpm: 3000, loads: [0.8], maxTokens: 50, simulatedSeconds: 40, trials: 1, offeredAs: 'requests' },
        latency: { rate: 500, rounds: 2, roundMs: 600, warmupMs: 400 },
        tokenSetups: [shared4.name],
        requestSetups: [shared4.name],
      }
    : {
        token: { ...base, tpm: 30_000, loads: [0.8, 1.2], maxTokens: 500, simulatedSeconds: 180, trials: 2 },
        requestBound: { ...base, tpm: 3000, loads: [0.8], maxTokens: 50, simulatedSeconds: 240, trials: 2, offeredAs: 'requests' },
        latency: { rate: 500, rounds: 8, roundMs: 2000, warmupMs: 1000 },
        tokenSetups: [shared4.name, local4.name, litellm4.name],
        requestSetups: [one.name, shared4.name, local4.name, litellm4.name],
      };
}

export interface ReplicasResults {
  token: QuotaFigures[];
  tokenRuns: QuotaRun[];
  requestBound: QuotaFigures[];
  requestRuns: QuotaRun[];
  latency: Map<string, LatencyRound[]>;
  /** CPU time per request over warm-up and rounds, µs: [balancer, redis-server] per setting (redis only with shared state). */
  latencyCpuUs: Record<string, number[]>;
  latencyError?: string;
}

async function quotaCase(load: LoadGenerator, names: string[], settings: QuotaSettings, label: string): Promise<{ figures: QuotaFigures[]; runs: QuotaRun[] }> {
  const chosen = setups.filter((setup) => names.includes(setup.name));
  const figures: QuotaFigures[] = [];
  const runs: QuotaRun[] = [];
  for (const offered of settings.loads) {
    log(
      `R ${label} at ${offered * 100} % (${settings.trials} trial(s) × ${chosen.length} setups, ${(settings.simulatedSeconds / settings.timeScale).toFixed(1)} s each)`,
    );
    const atLoad: QuotaRun[] = [];
    for (let trial = 0; trial < settings.trials; trial++) {
      for (const setup of rotate(chosen, trial + settings.loads.indexOf(offered))) atLoad.push(await quotaRun(load, setup, settings, offered, 2000 + trial));
    }
    runs.push(...atLoad);
    for (const setup of chosen)
      figures.push(
        quotaFigures(
          atLoad.filter((run) => run.contender === setup.name),
          settings,
        ),
      );
  }
  return { figures, runs };
}

export async function replicasMeasure(load: LoadGenerator, settings: ReplicasSettings): Promise<ReplicasResults> {
  const t = settings.token;
  const token = await quotaCase(load, settings.tokenSetups, t, `replicas, 3 × ${t.tpm.toLocaleString('en-US')} TPM`);
  const r = settings.requestBound;
  const requestBound = await quotaCase(load, settings.requestSetups, r, `replicas, request-bound 3 × ${r.tpm.toLocaleString('en-US')} TPM`);
  log(`R latency: one balancer, shared state off vs on, ${settings.latency.rate} requests/s, ${settings.latency.rounds} rotated rounds`);
  const backend = await startFastBackend();
  const entries = await startAll([latencyOff, latencyOn], {
    backends: [{ url: backend.url, apiKey: backendKey }],
    deployment: 'chat',
    upstreamTimeoutMs: 30_000,
    timeScale: 1,
  });
  let latency = new Map<string, LatencyRound[]>();
  const latencyCpuUs: Record<string, number[]> = {};
  let latencyError: string | undefined = entries.find((entry) => entry.error !== undefined)?.error;
  try {
    if (latencyError === undefined) {
      const cpu = (): Map<string, number[]> => new Map(entries.map((entry) => [entry.contender.name, entry.running!.pids().map((pid) => cpuTimeMs(pid))]));
      const before = cpu();
      latency = await latencyRounds(load, entries, { ...settings.latency, body: chatBody, firstByte: false });
      const after = cpu();
      const l = settings.latency;
      const requests = (l.rate * (l.warmupMs + l.rounds * l.roundMs)) / 1000;
      for (const [name, times] of after) latencyCpuUs[name] = times.map((ms, index) => ((ms - before.get(name)![index]!) * 1000) / requests);
    }
  } catch (error) {
    latencyError = error instanceof Error ? error.message : String(error);
  } finally {
    await stopAllEntries(entries);
    await backend.stop();
  }
  return {
    token: token.figures,
    tokenRuns: token.runs,
    requestBound: requestBound.figures,
    requestRuns: requestBound.runs,
    latency,
    latencyCpuUs,
    ...(latencyError === undefined ? {} : { latencyError }),
  };
}

// ---- report ------------------------------------------------------------------------------------------

/** Upstream 429s each replica's own counters saw, summed over the trials: "a / b / c / d". */
function perReplica(runs: QuotaRun[], key: keyof ReplicaCounts): string {
  const totals: number[] = [];
  for (const run of runs) {
    const counts = run.inspected as ReplicaCounts[] | undefined;
    if (!Array.isArray(counts)) continue;
    counts.forEach((count, index) => (totals[index] = (totals[index] ?? 0) + Number(count[key] ?? 0)));
  }
  return totals.length === 0 ? 'n/a' : totals.join(' / ');
}

/** Requests admitted per simulated minute ÷ the summed request budget (RPM). */
function requestShare(runs: QuotaRun[], settings: QuotaSettings): number {
  const admitted = runs.reduce((sum, run) => sum + run.perBackendAdmitted.reduce((a, b) => a + b, 0), 0);
  const minutes = (settings.simulatedSeconds / 60) * runs.length;
  return (admitted / minutes / (settings.backends * requestBudget(settings.tpm) * 6)) * 100;
}

function quotaTable(
  figures: QuotaFigures[],
  runs: QuotaRun[],
  names: string[],
  settings: QuotaSettings,
  load: number,
  offeredLabel: string,
  extra: 'tokens' | 'requests',
): string {
  const f = (name: string): QuotaFigures | undefined => figures.find((x) => x.contender === name && x.load === load);
  const r = (name: string): QuotaRun[] => runs.filter((run) => run.contender === name && run.load === load);
  const cell = (name: string, render: (x: QuotaFigures) => string): string => {
    const x = f(name);
    return x === undefined ? 'n/a' : (x.error ?? render(x));
  };
  const rows: string[][] = [
    ['success rate', ...names.map((n) => cell(n, (x) => `${fmt(x.successRate, 2)} % (${x.succeeded}/${x.scheduled})`))],
    ['client-visible 429s', ...names.map((n) => cell(n, (x) => String(x.client429)))],
    ['other statuses / errors', ...names.map((n) => cell(n, (x) => x.other))],
    ['upstream 429s (simulators)', ...names.map((n) => cell(n, (x) => String(x.upstream429)))],
    ['upstream 429s per success', ...names.map((n) => cell(n, (x) => fmt(x.upstreamPerSuccess, 4)))],
    ['upstream 429s per replica (its own count)', ...names.map((n) => cell(n, () => perReplica(r(n), 'throttled')))],
    ['failovers / retries per replica', ...names.map((n) => cell(n, () => perReplica(r(n), 'failovers')))],
    ['tokens used in the offered window, share of summed TPM', ...names.map((n) => cell(n, (x) => `${fmt(x.tokenShare, 1)} %`))],
  ];
  if (extra === 'requests')
    rows.push(['requests admitted, share of summed request budget', ...names.map((n) => cell(n, () => `${fmt(requestShare(r(n), settings), 1)} %`))]);
  const problems = names.flatMap((n) =>
    r(n).flatMap((run) =>
      ((run.inspected as ReplicaCounts[] | undefined) ?? [])
        .map((count, index) => (count.problem === undefined ? undefined : `${n}, seed ${run.seed}, replica ${index + 1}: ${count.problem}`))
        .filter((line): line is string => line !== undefined),
    ),
  );
  return [markdownTable([offeredLabel, ...names], rows), ...problems.map((line) => `- ${line.replace(/\|/g, '\\|').slice(0, 300)}`)].join('\n\n');
}

export interface ReplicasReport {
  markdown: string;
  goals: Goal[];
  json: unknown;
}

export function replicasReport(results: ReplicasResults, settings: ReplicasSettings, quick: boolean): ReplicasReport {
  const parts: string[] = [];
  const goals: Goal[] = [];
  const t = settings.token;
  const rb = settings.requestBound;
  const rpmPerBackend = requestBudget(rb.tpm) * 6;
  parts.push(`#### R. Replicas: four balancer processes behind one round-robin front, with and without shared state (issue 12)`);
  parts.push(
    [
      `- front: ${frontDescription}; the client (the bench's load generator) sends every request to the front`,
      `- aoai-lb replicas: ${shared4.describe.replace(' behind the front', '')}; without shared state the same four processes keep their own state; every run starts a fresh redis-server (\`--save '' --appendonly no\`) and waits until each replica's /status shows \`sharedState.mode: shared\` with 3 peers`,
      `- LiteLLM-like: ${litellm4.describe.replace(' behind the front', '')}; no shared state (LiteLLM without Redis); what it models and from which docs: bench/litellm-like.ts and the prose below`,
      `- simulators: 3 fresh ones per trial (src/simulator), time scale ${t.timeScale} (a 60 s token window is ${(60 / t.timeScale).toFixed(1)} real s, the 10 s request window ${(10 / t.timeScale).toFixed(1)} real s; the replicas' 100 ms refresh is ${((0.1 * t.timeScale) as number).toFixed(0)} simulated s), seeded Poisson arrivals, client retries off, upstream timeout ${t.upstreamTimeoutMs / 1000} s; upstream 429s counted by the simulators`,
      `- token-bound case: ${t.tpm.toLocaleString('en-US')} TPM per backend, max_tokens ${t.maxTokens} (${t.tpm / t.maxTokens} requests per backend per token window; request budget ${requestBudget(t.tpm)} per 10 s, not binding); offered ${t.loads.map((l) => `${l * 100} %`).join(' and ')} of the summed ${(t.backends * t.tpm).toLocaleString('en-US')} TPM for ${t.simulatedSeconds} simulated s; ${t.trials} trial(s) per setup and load, setups in rotated order; figures are totals over the trials`,
      `- request-bound case: ${rb.tpm.toLocaleString('en-US')} TPM per backend = ${rpmPerBackend} RPM = ${requestBudget(rb.tpm)} requests per 10 s per backend, max_tokens ${rb.maxTokens} (the token window would take ${rb.tpm / rb.maxTokens} a minute, so the request window binds first); offered ${rb.loads.map((l) => `${l * 100} %`).join(', ')} of the summed ${rb.backends * rpmPerBackend} RPM for ${rb.simulatedSeconds} simulated s; ${rb.trials} trial(s) per setup; "aoai-lb ×1" is one replica behind the same front`,
    ].join('\n'),
  );
  const tokenNames = settings.tokenSetups;
  for (const load of t.loads) {
    parts.push(`Token-bound, offered ${load * 100} % of ${(t.backends * t.tpm).toLocaleString('en-US')} TPM:`);
    parts.push(quotaTable(results.token, results.tokenRuns, tokenNames, t, load, `${load * 100} % offered`, 'tokens'));
  }
  for (const load of rb.loads) {
    parts.push(`Request-bound, offered ${load * 100} % of ${rb.backends * rpmPerBackend} RPM (3 × ${rb.tpm.toLocaleString('en-US')} TPM):`);
    parts.push(quotaTable(results.requestBound, results.requestRuns, settings.requestSetups, rb, load, `${load * 100} % offered`, 'requests'));
  }

  const lat = settings.latency;
  const off = results.latency.get(latencyOff.name) ?? [];
  const on = results.latency.get(latencyOn.name) ?? [];
  const diff = (key: 'p50' | 'p99'): number => median(on.map((roundOn, index) => roundOn[key] - (off[index]?.[key] ?? Number.NaN)));
  const med = (rounds: LatencyRound[], key: 'p50' | 'p99'): number => median(rounds.map((x) => x[key]));
  const okText = (rounds: LatencyRound[]): string =>
    `${rounds.reduce((s, x) => s + x.ok, 0)}/${rounds.reduce((s, x) => s + x.scheduled, 0)}${rounds.some((x) => x.errors > 0) ? `, errors ${rounds.reduce((s, x) => s + x.errors, 0)}` : ''}`;
  parts.push(`Added latency of shared state: one balancer, ${lat.rate} requests/s:`);
  parts.push(
    [
      `- one balancer process (WORKERS=1, no front) in front of the zero-latency backend (bench/fast-backend.ts, which sends x-ratelimit-remaining-* headers, so each request also writes a reading and two ledger updates to the store); "on" = SHARED_STATE_URL on a fresh redis-server, "off" = none`,
      `- open loop, uniform schedule, ${lat.rounds} rounds × ${lat.roundMs / 1000} s per setting, the order alternated every round, after ${lat.warmupMs / 1000} s warm-up each; latency = end of body − intended send; difference = median over rounds of (on − off in the same round pair)`,
      `- CPU per request = user + system CPU time (/proc/<pid>/stat, 10 ms resolution) over warm-up and rounds ÷ requests scheduled; steadier than latency on a shared machine`,
    ].join('\n'),
  );
  parts.push(
    results.latencyError !== undefined
      ? `latency not measured: ${results.latencyError}`
      : markdownTable(
          ['ms', 'shared state off', 'shared state on', 'on − off'],
          [
            ['latency p50 (median of rounds)', fmt(med(off, 'p50'), 3), fmt(med(on, 'p50'), 3), fmt(diff('p50'), 3)],
            ['latency p99 (median of rounds)', fmt(med(off, 'p99'), 3), fmt(med(on, 'p99'), 3), fmt(diff('p99'), 3)],
            ['p50 per round', off.map((x) => fmt(x.p50, 2)).join(', '), on.map((x) => fmt(x.p50, 2)).join(', '), ''],
            ['answers 200 / scheduled', okText(off), okText(on), ''],
            [
              'CPU per request, balancer, µs',
              fmt(results.latencyCpuUs[latencyOff.name]?.[0] ?? Number.NaN, 0),
              fmt(results.latencyCpuUs[latencyOn.name]?.[0] ?? Number.NaN, 0),
              fmt((results.latencyCpuUs[latencyOn.name]?.[0] ?? Number.NaN) - (results.latencyCpuUs[latencyOff.name]?.[0] ?? Number.NaN), 0),
            ],
            ['CPU per request, redis-server, µs', '–', fmt(results.latencyCpuUs[latencyOn.name]?.[1] ?? Number.NaN, 0), ''],
          ],
        ),
  );

  const tf = (name: string, load: number): QuotaFigures | undefined => results.token.find((x) => x.contender === name && x.load === load);
  const rf = (name: string, load: number): QuotaFigures | undefined => results.requestBound.find((x) => x.contender === name && x.load === load);
  goals.push(goal('R aoai-lb ×4 shared: success at 80 %', tf(shared4.name, 0.8)?.successRate ?? Number.NaN, '%', '>=', 99.5));
  goals.push(goal('R aoai-lb ×4 shared: upstream 429s per success at 80 %', tf(shared4.name, 0.8)?.upstreamPerSuccess ?? Number.NaN, '', '<', 0.05));
  goals.push(goal('R aoai-lb ×4 shared: tokens used at 120 %', tf(shared4.name, 1.2)?.tokenShare ?? Number.NaN, '% of summed TPM', '>=', 95));
  goals.push(goal('R request-bound: aoai-lb ×1 upstream 429s per success at 80 %', rf(one.name, 0.8)?.upstreamPerSuccess ?? Number.NaN, '', '<', 0.1));
  goals.push(
    goal('R request-bound: aoai-lb ×4 shared upstream 429s per success at 80 %', rf(shared4.name, 0.8)?.upstreamPerSuccess ?? Number.NaN, '', '<', 0.1),
  );
  goals.push(goal(`R added latency p50 of shared state at ${lat.rate}/s`, diff('p50'), 'ms', '<=', 0.3));
  parts.push(`Goals (issue 12):`);
  parts.push(
    markdownTable(
      ['goal', 'measured', 'goal', 'result'],
      goals.map((g) => [
        g.figure,
        `${fmt(g.value, Math.abs(g.value) < 10 ? 3 : 1)} ${g.unit}`.trim(),
        `${g.comparator === '<=' ? '≤' : g.comparator === '>=' ? '≥' : '<'} ${g.limit} ${g.unit}`.trim(),
        g.met ? 'met' : Number.isFinite(g.value) ? 'MISSED' : 'not run',
      ]),
    ),
  );
  const reference = [
    ['without shared state, 80 %: success', tf(local4.name, 0.8), (x: QuotaFigures) => `${fmt(x.successRate, 2)} %`],
    ['without shared state, 80 %: upstream 429s per success', tf(local4.name, 0.8), (x: QuotaFigures) => fmt(x.upstreamPerSuccess, 4)],
    ['LiteLLM-like, 80 %: upstream 429s per success', tf(litellm4.name, 0.8), (x: QuotaFigures) => fmt(x.upstreamPerSuccess, 4)],
  ] as const;
  const referenceLines = reference.filter(([, x]) => x !== undefined && x.error === undefined).map(([label, x, render]) => `${label}: ${render(x!)}`);
  if (referenceLines.length > 0) parts.push(`- reported, no goal: ${referenceLines.join('; ')}`);

  const json = {
    quick,
    settings: { ...settings, litellmDefaults, front: frontDescription, setups: setups.map((s) => ({ name: s.name, describe: s.describe })) },
    token: { figures: results.token, runs: results.tokenRuns },
    requestBound: { figures: results.requestBound, runs: results.requestRuns },
    latency: {
      rounds: Object.fromEntries(results.latency),
      cpuPerRequestUs: results.latencyCpuUs,
      p50Difference: round(diff('p50'), 4),
      p99Difference: round(diff('p99'), 4),
      error: results.latencyError ?? null,
    },
    goals,
    allGoalsMet: goals.every((g) => g.met),
  };
  return { markdown: parts.join('\n\n'), goals, json };
}
