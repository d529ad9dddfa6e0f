// One container of one replica as a local process: the image's root directory stands for the container's
// `/`, the command is the image's ENTRYPOINT + CMD (or the container's command/args), stdout/stderr go to a
// ring buffer, and the readiness probe decides when it takes traffic. Stopping is SIGTERM, then SIGKILL
// after a grace period, as the platform does.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { basename, join } from 'node:path';
import type { ContainerStatus } from '../providers/app-state.js';
import { LogBuffer, lineReader } from './logs.js';

/** What the runner resolved for one container. */
export interface ContainerLaunch {
  command: string[];
  cwd: string;
  env: Record<string, string>;
  /** The loopback port the container's ingress listens on (its PORT). */
  port: number;
  /** Readiness: an HTTP GET path, a TCP connect, or ready once started. */
  readiness: { kind: 'http'; path: string } | { kind: 'tcp' } | { kind: 'none' };
}

const PROBE_INTERVAL_MS = 100;

export class ContainerProcess {
  readonly logs = new LogBuffer();
  status: ContainerStatus = { ready: false, started: false, restartCount: 0, runningState: 'Waiting', runningStateDetails: 'ContainerCreating' };
  port = 0;
  private child?: ChildProcess;
  private exited: Promise<void> = Promise.resolve();
  private stopping = false;

  constructor(
    readonly app: string,
    readonly revision: string,
    readonly replica: string,
    readonly name: string,
    private readonly onChange: () => void,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The container could not be started (image not pulled, no command): it stays Waiting with these details. */
  fail(details: string): void {
    this.status = { ready: false, started: false, restartCount: 0, runningState: 'Waiting', runningStateDetails: details };
    this.logs.end();
    this.onChange();
  }

  start(launch: ContainerLaunch): void {
    if (this.stopping) return; // stopped (app deleted, twin closed) before it could start
    this.port = launch.port;
    const [file, ...args] = launch.command;
    const child = spawn(file!, args, { cwd: launch.cwd, env: launch.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const out = lineReader(this.logs, 'stdout');
    const err = lineReader(this.logs, 'stderr');
    child.stdout!.on('data', (c: Buffer) => out.write(c));
    child.stderr!.on('data', (c: Buffer) => err.write(c));
    this.exited = new Promise((resolve) => {
      child.once('close', () => {
        out.flush();
        err.flush();
        resolve();
      });
      child.once('error', (error) => {
        // The executable could not be started (e.g. ENOENT): like a container runtime's StartError.
        this.status = { ...this.status, ready: false, runningState: 'Terminated', runningStateDetails: `StartError: ${error.message}` };
        this.onChange();
        resolve();
      });
    });
    child.once('exit', (code, signal) => {
      this.status = {
        ...this.status,
        ready: false,
        runningState: 'Terminated',
        runningStateDetails: code === 0 ? 'Completed' : `Error: exit code ${code ?? signal ?? 'unknown'}`,
      };
      void this.exited.then(() => this.logs.end());
      this.onChange();
    });
    child.once('spawn', () => {
      this.status = { ...this.status, started: true, runningState: 'Running', runningStateDetails: '' };
      this.onChange();
      void this.probe(launch);
    });
  }

  private async probe(launch: ContainerLaunch): Promise<void> {
    while (this.running && !this.stopping) {
      if (await probeOnce(launch)) {
        if (this.running && !this.stopping) {
          this.status = { ...this.status, ready: true };
          this.onChange();
        }
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, PROBE_INTERVAL_MS));
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  async stop(graceMs = 3000): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (child && this.running) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    await this.exited;
    this.logs.end();
  }
}

function probeOnce(launch: ContainerLaunch): Promise<boolean> {
  if (launch.readiness.kind === 'none') return Promise.resolve(true);
  if (launch.readiness.kind === 'tcp') {
    return new Promise((resolve) => {
      const socket = connect(launch.port, '127.0.0.1');
      socket.setTimeout(1000);
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
    });
  }
  const path = launch.readiness.path;
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port: launch.port, path, method: 'GET', timeout: 1000, headers: { 'user-agent': 'kube-probe/1.29' } }, (res) => {
      res.resume();
      // Kubernetes: any status from 200 to 399 is a success.
      resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 400);
    });
    req.once('error', () => resolve(false));
    req.once('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

/**
 * The argv to run: a leading `node` (or an absolute path ending in /node that the image does not hold) is
 * this Node (process.execPath); other absolute paths that exist under the image's root are mapped into it.
 */
export function resolveCommand(command: string[], rootDir: string): string[] {
  return command.map((arg, i) => {
    if (i === 0 && (arg === 'node' || (arg.startsWith('/') && basename(arg) === 'node' && !existsSync(join(rootDir, arg))))) return process.execPath;
    if (arg.startsWith('/') && existsSync(join(rootDir, arg))) return join(rootDir, arg);
    return arg;
  });
}
