/**
 * Child processes of the bench: start them, wait until they answer, stop every one of them (also on
 * errors and Ctrl-C), and sample a process's memory from /proc/<pid>/status.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, release, totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Tracked {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** The last few KB the process wrote to stderr, for error messages. */
  stderrTail(): string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
}

const running = new Set<Tracked>();

function track(name: string, child: ChildProcess): Tracked {
  if (child.pid === undefined) throw new Error(`${name}: could not start`);
  let tail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4096);
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const tracked: Tracked = { name, child, pid: child.pid, stderrTail: () => tail, exited };
  running.add(tracked);
  void exited.then(() => running.delete(tracked));
  return tracked;
}

/** The soft limit on open files of this process, from /proc/self/limits. */
function openFileLimit(): number {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((text) => text.startsWith('Max open files'));
  const soft = line?.split(/\s{2,}/)[1];
  return soft === undefined || soft === 'unlimited' ? Infinity : Number(soft);
}

/** Starts `node <args>`; if the open-file limit is low, raises it in the child first (sh ulimit, then exec). */
export function startNode(name: string, args: string[], env: NodeJS.ProcessEnv, minOpenFiles = 8192): Tracked {
  const stdio: ['ignore', 'ignore', 'pipe'] = ['ignore', 'ignore', 'pipe'];
  const child =
    openFileLimit() >= minOpenFiles
      ? spawn(process.execPath, args, { env, stdio })
      : spawn('sh', ['-c', `ulimit -n ${minOpenFiles} && exec "$0" "$@"`, process.execPath, ...args], { env, stdio });
  return track(name, child);
}

/** Forks a TypeScript module (through tsx) with an IPC channel. */
export function forkTs(name: string, modulePath: string, env: NodeJS.ProcessEnv = process.env): Tracked {
  const child = fork(modulePath, [], { execArgv: ['--import', 'tsx'], env, stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
  return track(name, child);
}

export async function stopProcess(tracked: Tracked, graceMs = 3000): Promise<void> {
  const { child } = tracked;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const stopped = await Promise.race([tracked.exited.then(() => true), sleep(graceMs).then(() => false)]);
  if (!stopped) {
    child.kill('SIGKILL');
    await tracked.exited;
  }
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((tracked) => stopProcess(tracked)));
}

let cleanupInstalled = false;

/** On Ctrl-C / SIGTERM: stop every child, then exit; on any exit: SIGKILL what is left. */
export function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  const onSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`\nbench: ${signal} received, stopping child processes…\n`);
    void stopAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', () => {
    for (const tracked of running) tracked.child.kill('SIGKILL');
  });
}

/** A free TCP port on 127.0.0.1 (bound, read, released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers 200; fails early if the process exits. */
export async function waitForHttp(url: string, tracked: Tracked, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void tracked.exited.then(() => (exited = true));
  for (;;) {
    if (exited) throw new Error(`${tracked.name} exited before it answered ${url}:\n${tracked.stderrTail()}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${tracked.name} did not answer ${url} within ${timeoutMs} ms:\n${tracked.stderrTail()}`);
    await sleep(50);
  }
}

export interface Memory {
  /** Resident set size now, in KiB (VmRSS). */
  rssKb: number;
  /** Peak resident set size over the process's life, in KiB (VmHWM). */
  hwmKb: number;
}

export function readMemory(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
}

/** CPU time (user + system) the process has used so far, in ms, from /proc/<pid>/stat (10 ms resolution). */
export function cpuTimeMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name "(…)"; utime and stime are the 14th and 15th fields of the whole line.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicksPerSecond;
}

/** USER_HZ: 100 on every Linux kernel Node.js supports. */
const clockTicksPerSecond = 100;

/** Samples VmRSS of `pid` every `intervalMs` until stopped; reports the peak seen. */
export class RssSampler {
  private peakKb = 0;
  private samples = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    intervalMs = 50,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  private sample(): void {
    try {
      this.peakKb = Math.max(this.peakKb, readMemory(this.pid).rssKb);
      this.samples++;
    } catch {
      // the process is gone; stop() reports what was seen
    }
  }

  stop(): { peakKb: number; samples: number } {
    clearInterval(this.timer);
    this.sample();
    return { peakKb: this.peakKb, samples: this.samples };
  }
}

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  kernel: string;
  platform: string;
}

export function machineInfo(): Machine {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kernel: release(),
    platform: `${process.platform}-${process.arch}`,
  };
}
