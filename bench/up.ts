/**
 * `npm run bench:up`: `aoai-lb up` (the built CLI, a child process, as a user runs it) against the Azure
 * twin with per-operation latencies taken from the recordings (bench/up-latencies.ts), against issue 3 §7:
 * its wall time ≤ 1.1 × the critical path of its step graph, and a no-change re-run ≤ 20 s.
 *
 *   npm run bench:up                        latencies as recorded (scale 1), Retry-After 2 s (~4½ min)
 *   npm run bench:up -- --scale=0.5         every latency × 0.5 (Retry-After then 1 s)
 *   npm run bench:up -- --retry-after=5     another polling interval
 *
 * It exits 1 only when it could not measure (up failed); a missed goal is printed as MISSED.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { plan } from '../src/ops/plan.js';
import { startUpWorld, type UpWorld } from '../test/helpers/up-world.js';
import { machineInfo } from './processes.js';
import { fmt, goal, markdownTable, renderMachine, renderSection, renderSummary, type Section } from './report.js';
import { round } from './stats.js';
import { criticalPath, latencyFigures, operationsOfStep, recordedArmGetMedianSeconds } from './up-latencies.js';

const { values } = parseArgs({ options: { scale: { type: 'string', default: '1' }, 'retry-after': { type: 'string' } } });
const scale = Number(values.scale);
if (!(scale > 0)) throw new Error(`--scale must be a positive number, not ${values.scale}`);
// Azure: Cognitive Services LROs send no Retry-After, so the SDK polls every 2 s; Container Apps send
// Retry-After: 5 on the first answer and none on the polls (2 s again). The twin sends one value on every
// answer of a running operation, and Retry-After is whole seconds, so 2 s scaled and rounded, at least 1.
const retryAfterSeconds = values['retry-after'] === undefined ? Math.max(1, Math.round(2 * scale)) : Number(values['retry-after']);
if (!Number.isInteger(retryAfterSeconds) || retryAfterSeconds < 0) throw new Error(`--retry-after must be whole seconds, not ${values['retry-after']}`);

const regions = ['eastus', 'swedencentral', 'westus3'];
const location = 'eastus2';
const environmentName = 'bench';
const reRunGoalSeconds = 20;
const ratioGoal = 1.1;
const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));

interface UpJson {
  changed: boolean;
  seconds: number;
  steps: Array<{ id: string; outcome: string; seconds: number }>;
}

interface TimedRun {
  wall: number;
  json: UpJson;
  requests: number;
  writes: number;
}

const scaledMs = Object.fromEntries(latencyFigures.map((figure) => [figure.operationId, Math.round(figure.seconds * scale * 1000)]));
const latencySeconds = (operationId: string): number => (scaledMs[operationId] ?? 0) / 1000;

/** Requests that change something, as test/up/up.test.ts counts them. */
function countWrites(world: UpWorld, from: number): number {
  return world.twin.requests
    .slice(from)
    .filter((r) => r.method !== 'GET' && r.method !== 'HEAD' && !/listSecrets|getAuthtoken|listBuildSourceUploadUrl|listLogSasUrl/i.test(r.path)).length;
}

async function timedUp(world: UpWorld, args: string[]): Promise<TimedRun> {
  const before = world.twin.requests.length;
  const started = performance.now();
  const run = await world.up([...args, '--json']);
  const wall = (performance.now() - started) / 1000;
  if (run.code !== 0) throw new Error(`aoai-lb up ${args.join(' ')} exited with ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  const json = JSON.parse(run.stdout) as UpJson;
  return { wall, json, requests: world.twin.requests.length - before, writes: countWrites(world, before) };
}

async function main(): Promise<void> {
  const machine = machineInfo();
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  process.stdout.write(`## aoai-lb up against the Azure twin\n\n${renderMachine(machine, { date })}\n\n`);
  process.stdout.write(`scale ${scale}, Retry-After ${retryAfterSeconds} s; starting the twin …\n`);

  const world = await startUpWorld({ twin: { latencies: scaledMs, retryAfterSeconds } });
  const stop = (): void => {
    void world.close().finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    process.stdout.write('first up (creates everything) …\n');
    const first = await timedUp(world, ['--env', environmentName, '--regions', regions.join(','), '--location', location]);
    process.stdout.write(`  ${fmt(first.wall, 1)} s\nno-change re-run …\n`);
    const again = await timedUp(world, []);
    process.stdout.write(`  ${fmt(again.wall, 1)} s\n\n`);

    // The twin's local build (npm ci + tsc of templates/balancer), run start to finish.
    const runs = [...world.twin.auth.registries.values()].flatMap((registry) => [...registry.runs.values()]);
    const localBuild = runs.reduce(
      (sum, run) => sum + (run.startTime && run.finishTime ? (Date.parse(run.finishTime) - Date.parse(run.startTime)) / 1000 : 0),
      0,
    );

    const steps = plan({
      environmentName,
      subscriptionId: world.twin.subscriptionId,
      location,
      regions,
      chat: { deployment: 'chat', model: { name: 'chat', version: '1' } },
      embedding: { deployment: 'embedding', model: { name: 'embedding', version: '1' } },
      sku: 'Standard',
      capacity: 30,
    }).steps;
    const reported = new Map(first.json.steps.map((step) => [step.id, step]));
    const missing = steps.filter((step) => !reported.has(step.id)).map((step) => step.id);
    if (missing.length > 0 || reported.size !== steps.length) {
      throw new Error(`up --json reports steps ${[...reported.keys()].join(', ')}; plan.steps has ${steps.map((s) => s.id).join(', ')}`);
    }

    const armSeconds = (id: string): number => operationsOfStep(id).reduce((sum, op) => sum + latencySeconds(op), 0);
    const configuredWeight = (id: string): number => armSeconds(id) + (id === 'build' ? localBuild : 0);
    // What the SDK can see at best when it polls every Retry-After: the first poll at or after the end.
    const polledWeight = (id: string): number => {
      const arm = armSeconds(id);
      const polled = arm === 0 || retryAfterSeconds === 0 ? arm : Math.ceil(arm / retryAfterSeconds) * retryAfterSeconds;
      return polled + (id === 'build' ? localBuild : 0);
    };
    const theoretical = criticalPath(steps, configuredWeight);
    const polled = criticalPath(steps, polledWeight);
    const measured = criticalPath(steps, (id) => reported.get(id)!.seconds);
    const outsideGraph = first.wall - first.json.seconds;

    const s = (value: number): string => fmt(value, 1);
    const latencyRows = latencyFigures.map((figure) => [figure.operationId, s(figure.seconds), s(latencySeconds(figure.operationId)), figure.source]);
    const latencyTable = markdownTable(['operationId', 'recorded/chosen s', `twin s (× ${scale})`, 'source'], latencyRows);

    const stepRows = steps.map((step) => {
      const report = reported.get(step.id)!;
      const onPath = [theoretical.chain.includes(step.id) ? 'configured' : '', measured.chain.includes(step.id) ? 'measured' : ''].filter(Boolean).join(', ');
      return [step.id, step.dependsOn.join(', '), s(configuredWeight(step.id)), s(report.seconds), report.outcome, onPath];
    });

    const first1: Section = {
      id: 'up',
      title: 'First up (fresh subscription)',
      settings: [
        `aoai-lb up --env ${environmentName} --regions ${regions.join(',')} --location ${location} --json: ${regions.length} accounts × 2 deployments, remote build, container app`,
        `latency scale ${scale} (every figure of the table below × ${scale}); Retry-After ${retryAfterSeconds} s on every answer of a running operation`,
        `twin's local build of templates/balancer (npm ci + tsc; run start → finish): ${s(localBuild)} s, added to the build step's queue latency`,
        `critical path (configured): ${theoretical.chain.join(' → ')}`,
        `critical path (measured step times): ${measured.chain.join(' → ')}`,
      ],
      header: ['s', 'value', 'up wall ÷ value'],
      rows: [
        ['up wall time (spawn → exit)', s(first.wall), ''],
        ['up step graph (JSON seconds)', s(first.json.seconds), ''],
        ['outside the graph (start-up, sign-in, quota preflight, writing .azure)', s(outsideGraph), ''],
        ['critical path, configured latencies (+ local build)', s(theoretical.seconds), fmt(first.wall / theoretical.seconds, 3)],
        [`critical path, configured latencies rounded up to ${retryAfterSeconds} s polls`, s(polled.seconds), fmt(first.wall / polled.seconds, 3)],
        ['critical path, measured step durations', s(measured.seconds), fmt(first.wall / measured.seconds, 3)],
        ['step graph ÷ configured critical path', '', fmt(first.json.seconds / theoretical.seconds, 3)],
        ['ARM requests', String(first.requests), ''],
      ],
      goals: [
        goal('up wall ÷ critical path (configured)', first.wall / theoretical.seconds, '×', '<=', ratioGoal),
        goal('up wall ÷ critical path (measured steps)', first.wall / measured.seconds, '×', '<=', ratioGoal),
      ],
      notes: [],
      raw: { first, theoretical, polled, measured, localBuild },
    };

    const second: Section = {
      id: 'rerun',
      title: 'No-change re-run',
      settings: [
        'aoai-lb up --json in the same project, nothing changed',
        `the twin answers in about a millisecond; real ARM GETs took ${fmt(recordedArmGetMedianSeconds * 1000, 0)} ms (median of the azd recording's 39), so the last row is an upper bound as if every request ran one after another`,
      ],
      header: ['', 'value'],
      rows: [
        ['wall time (spawn → exit), s', s(again.wall)],
        ['step graph (JSON seconds), s', s(again.json.seconds)],
        ['changed', String(again.json.changed)],
        ['step outcomes', [...new Set(again.json.steps.map((step) => step.outcome))].join(', ')],
        ['ARM requests / of them writes', `${again.requests} / ${again.writes}`],
        [`wall + requests × ${fmt(recordedArmGetMedianSeconds, 3)} s (all serial), s`, s(again.wall + again.requests * recordedArmGetMedianSeconds)],
      ],
      goals: [
        goal('re-run wall time', again.wall, 's', '<=', reRunGoalSeconds),
        goal(
          `re-run, requests at ${fmt(recordedArmGetMedianSeconds * 1000, 0)} ms serial`,
          again.wall + again.requests * recordedArmGetMedianSeconds,
          's',
          '<=',
          reRunGoalSeconds,
        ),
        goal('re-run writes (changed: false)', again.writes + (again.json.changed ? 1 : 0), '', '<=', 0),
      ],
      notes: [],
      raw: { again },
    };

    const out = [
      `### Latencies\n\n${latencyTable}`,
      `### Steps of the first up\n\n${markdownTable(['step', 'depends on', 'configured s', 'measured s', 'outcome', 'on critical path'], stepRows)}`,
      renderSection(first1),
      renderSection(second),
      `### Summary\n\n${renderSummary([first1, second])}`,
    ].join('\n\n');
    process.stdout.write(`${out}\n`);
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(`${resultsDir}up.md`, `${out}\n`);
    writeFileSync(
      `${resultsDir}up.json`,
      `${JSON.stringify({ date, machine, scale, retryAfterSeconds, latenciesMs: scaledMs, localBuild: round(localBuild), first: first1.raw, rerun: second.raw }, null, 2)}\n`,
    );
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await world.close();
  }
}

await main();
