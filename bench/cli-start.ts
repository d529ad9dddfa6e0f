/**
 * `npm run bench:cli`: how long `aoai-lb --help` takes as a user runs it (a new node process of
 * bin/aoai-lb.js), against the 200 ms goal and against `node -e ""`, what Node itself costs.
 *
 *   npm run bench:cli                  20 runs of each (after one warm-up), interleaved
 *   npm run bench:cli -- --runs=50
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { machineInfo } from './processes.js';
import { fmt, goal, markdownTable, renderMachine, renderSummary } from './report.js';
import { summarize } from './stats.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, not ${values.runs}`);
const goalMs = 200;
const cli = fileURLToPath(new URL('../bin/aoai-lb.js', import.meta.url));

const peers = [
  { name: 'aoai-lb --help', args: [cli, '--help'] },
  { name: 'node -e ""', args: ['-e', ''] },
];

/** Wall time from spawn to exit, in ms; the output goes nowhere so a terminal's speed does not count. */
function timeOnce(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const elapsed = performance.now() - started;
      if (code === 0) resolve(elapsed);
      else reject(new Error(`node ${args.join(' ')} exited with ${code}: ${stderr}`));
    });
  });
}

async function main(): Promise<void> {
  const samples = peers.map(() => [] as number[]);
  for (const peer of peers) await timeOnce(peer.args);
  // Interleaved, so that drift in the machine's load hits both alike.
  for (let round = 0; round < runs; round++) {
    for (const [index, peer] of peers.entries()) samples[index]!.push(await timeOnce(peer.args));
  }
  const [cliStats, nodeStats] = samples.map(summarize) as [ReturnType<typeof summarize>, ReturnType<typeof summarize>];
  const ms = (value: number): string => fmt(value, 1);
  process.stdout.write(`## aoai-lb CLI start-up\n\n${renderMachine(machineInfo(), {})}\n\n`);
  process.stdout.write(`- ${runs} runs of each after one warm-up, interleaved; wall time from spawn to exit, output to /dev/null\n\n`);
  const rows = [
    ['median', ms(cliStats.p50), ms(nodeStats.p50), ms(cliStats.p50 - nodeStats.p50)],
    ['p90', ms(cliStats.p90), ms(nodeStats.p90), ms(cliStats.p90 - nodeStats.p90)],
    ['max', ms(cliStats.max), ms(nodeStats.max), ''],
    ['median ÷ 200 ms goal', fmt(cliStats.p50 / goalMs, 2), fmt(nodeStats.p50 / goalMs, 2), ''],
  ];
  process.stdout.write(`${markdownTable(['ms', 'aoai-lb --help', 'node -e ""', 'aoai-lb adds'], rows)}\n\n`);
  const goals = [goal('aoai-lb --help, median', cliStats.p50, 'ms', '<=', goalMs), goal('aoai-lb --help, p90', cliStats.p90, 'ms', '<=', goalMs)];
  process.stdout.write(`${renderSummary([{ id: 'cli', title: '', settings: [], header: [], rows: [], goals, notes: [], raw: samples }])}\n`);
}

await main();
