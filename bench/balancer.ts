/**
 * `npm run bench`: the balancer's speed, memory and quota-use benchmark (not a test).
 *
 *   npm run bench                      all five measures (~2–3 minutes)
 *   npm run bench -- --only=1,2        some of them
 *   npm run bench -- --cpu-prof        also write a V8 CPU profile of the balancer of measures 1–3
 *
 * Prints the machine and a table per measure with its goal, and writes bench/results/balancer.json
 * and bench/results/balancer.md. Every process it starts, it stops.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LoadGenerator } from './load-client.js';
import { measureFirstByte, measureLatency, measureStreamsMemory, measureThroughput, warmUp } from './overhead.js';
import { installCleanup, machineInfo, stopAll } from './processes.js';
import { measureQuota } from './quota.js';
import { renderMachine, renderSection, renderSummary, type Section } from './report.js';
import { backendKey, repoRoot, startBalancer, startFastBackend, startMinimalProxy, type Server, imageNodeOptions } from './servers.js';
import { gitCommit, versionOf } from './provenance.js';

const { values } = parseArgs({ options: { only: { type: 'string' }, 'cpu-prof': { type: 'boolean', default: false } } });
const only = new Set((values.only ?? '1,2,3,4,5').split(',').map((item) => item.trim()));
const resultsDir = join(repoRoot, 'bench', 'results');

function progress(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

async function main(): Promise<void> {
  installCleanup();
  const began = Date.now();
  const machine = machineInfo();
  const versions = {
    'aoai-lb': `${versionOf('package.json')} (commit ${gitCommit()})`,
    'balancer runtime': versionOf('templates/balancer/package.json'),
    'undici (load generator)': versionOf('node_modules/undici/package.json'),
    'undici (balancer)': versionOf('templates/balancer/node_modules/undici/package.json'),
    'balancer NODE_OPTIONS (from its Dockerfile)': imageNodeOptions() ?? 'none',
  };
  const machineTable = renderMachine(machine, versions);
  process.stdout.write(`## aoai-lb balancer benchmark\n\n${machineTable}\n\n`);

  const sections: Section[] = [];
  const emit = (section: Section): void => {
    sections.push(section);
    process.stdout.write(`${renderSection(section)}\n\n`);
  };
  const load = await LoadGenerator.start();
  const backend = await startFastBackend();
  const direct = { url: backend.url, apiKey: backendKey };

  if (only.has('1') || only.has('2') || only.has('3')) {
    const cpuProfileDir = values['cpu-prof'] ? join(resultsDir, 'profiles') : undefined;
    const balancer: Server = await startBalancer({ backends: [direct], cpuProfileDir });
    const minimalProxy = only.has('2') ? await startMinimalProxy(direct) : undefined;
    const peers = { load, backend, balancer, minimalProxy };
    progress('warming up: 5 s closed loop through each peer');
    await warmUp(peers);
    if (only.has('1')) {
      progress('1/5 added latency at 500 requests/s (interleaved rounds, ~25 s)');
      emit(await measureLatency(peers));
    }
    if (only.has('2')) {
      progress('2/5 peak throughput, closed loop (~40 s)');
      emit(await measureThroughput(peers));
    }
    if (only.has('3')) {
      progress('3/5 added time to first streamed byte (~20 s)');
      emit(await measureFirstByte(peers));
    }
    await minimalProxy?.stop();
    await balancer.stop();
    if (cpuProfileDir !== undefined) progress(`CPU profile of the balancer written to ${cpuProfileDir}`);
  }
  if (only.has('4')) {
    progress('4/5 balancer memory with 1,000 open streams (fresh balancer, ~10 s)');
    const balancer = await startBalancer({ backends: [direct] });
    emit(await measureStreamsMemory({ load, backend, balancer }));
    await balancer.stop();
  }
  if (only.has('5')) {
    progress('5/5 quota use behind 3 simulators (~15 s)');
    emit(await measureQuota(load));
  }
  await load.stop();
  await backend.stop();

  const seconds = (Date.now() - began) / 1000;
  const summary = renderSummary(sections);
  process.stdout.write(`### Summary\n\n${summary}\n\nbench took ${seconds.toFixed(0)} s (without the build)\n`);

  mkdirSync(resultsDir, { recursive: true });
  const finishedAt = new Date().toISOString();
  const markdown = [
    `## aoai-lb balancer benchmark, ${finishedAt}`,
    machineTable,
    ...sections.map(renderSection),
    '### Summary',
    summary,
    `bench took ${seconds.toFixed(0)} s`,
  ].join('\n\n');
  writeFileSync(join(resultsDir, 'balancer.md'), `${markdown}\n`);
  const json = {
    finishedAt,
    durationSeconds: Math.round(seconds),
    machine,
    versions,
    measures: sections.map(({ id, title, settings, goals, notes, raw }) => ({ id, title, settings, goals, notes, figures: raw })),
    allGoalsMet: sections.every((section) => section.goals.every((item) => item.met)),
  };
  writeFileSync(join(resultsDir, 'balancer.json'), `${JSON.stringify(json, null, 2)}\n`);
  progress(`results written to ${join('bench', 'results', 'balancer.json')} and balancer.md`);
}

main().catch(async (error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  await stopAll();
  process.exitCode = 1;
});
