/** Spawning a non-Node program (nginx) as a tracked child that is killed when the bench exits. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Tracked } from '../processes.js';

const mine = new Set<Tracked>();
let exitHookInstalled = false;

export function spawnTracked(name: string, command: string, args: string[], env: NodeJS.ProcessEnv): Tracked {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const tracked of mine) tracked.child.kill('SIGKILL');
    });
  }
  const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let tail = '';
  let spawnError = '';
  child.once('error', (error) => (spawnError = error.message));
  child.stderr.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4096);
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  const tracked: Tracked = { name, child, pid: child.pid ?? -1, stderrTail: () => spawnError || tail, exited };
  mine.add(tracked);
  void exited.then(() => mine.delete(tracked));
  return tracked;
}

/** The direct children of `pid` (e.g. nginx's workers), from /proc. */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter((text) => text !== '')
      .map(Number);
  } catch {
    return [];
  }
}
