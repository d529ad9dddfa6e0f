/**
 * One balancer replica for `dev --replicas`: the built runtime (templates/balancer/dist/main.js) as its own
 * process, as a container runs it, on a free loopback port. Its log lines go to dev's log, marked with
 * the replica's number.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../core/errors.js';

const balancerMain = fileURLToPath(new URL('../../../templates/balancer/dist/main.js', import.meta.url));

export interface ReplicaProcess {
  index: number;
  url: string;
  stop(): Promise<void>;
}

export async function startReplicaProcess(
  index: number,
  env: Record<string, string | undefined>,
  writeLog: (line: string) => void,
  timeoutMs = 20_000,
): Promise<ReplicaProcess> {
  const child = spawn(process.execPath, [balancerMain], {
    env: { ...env, HOST: '127.0.0.1', PORT: '0', WORKERS: '1', LOG_FORMAT: 'text' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const errors: string[] = [];
  const url = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`it did not listen within ${timeoutMs} ms`)), timeoutMs);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const listening = /aoai-lb balancer listening on (http:\/\/\S+)/.exec(line);
      if (listening) {
        clearTimeout(timer);
        resolve(listening[1]!);
      }
      writeLog(`[replica ${index}] ${line}\n`);
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      errors.push(line);
      writeLog(`[replica ${index}] ${line}\n`);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`it exited with code ${code}${errors.length > 0 ? `: ${errors.join(' ')}` : ''}`));
    });
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(force);
    }
  };
  try {
    return { index, url: await url, stop };
  } catch (error) {
    await stop();
    throw new UserError('replica-start-failed', `balancer replica ${index} did not start: ${(error as Error).message}`, {
      suggestion: 'run `npm run build` in the clone (the replicas run templates/balancer/dist/main.js), and check the balancer settings in your environment',
      cause: error,
    });
  }
}
