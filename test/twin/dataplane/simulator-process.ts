// One Azure OpenAI simulator per account, run as a child process (`aoai-lb simulate`): a black box,
// like Azure's data plane. The twin imports nothing from src/; it only speaks to the simulator over
// HTTP (its own api-key and the loopback control endpoint PUT /__sim/deployments/{name}).
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { ReadyProcess } from './ready-process.js';

/** bin/aoai-lb.js of this repository (the CLI must be built: npm run build). */
export const DEFAULT_CLI = fileURLToPath(new URL('../../../bin/aoai-lb.js', import.meta.url));

export interface SimulatorDeployment {
  name: string;
  model: string;
  tpm: number;
}

export class SimulatorProcess {
  readonly apiKey = randomBytes(18).toString('base64url');
  url = '';
  private process?: ReadyProcess;

  constructor(
    private readonly cli: string = DEFAULT_CLI,
    private readonly extraArgs: string[] = [],
  ) {}

  /** Starts it and waits for "listening on <url>". Without deployments the simulator adds its defaults;
   *  the front door only lets through the deployments ARM knows, so those stay unreachable. */
  async start(deployments: SimulatorDeployment[], timeoutMs = 20_000): Promise<void> {
    const args = [
      this.cli,
      'simulate',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--api-key',
      this.apiKey,
      '--latency',
      'none',
      ...deployments.flatMap((d) => ['--deployment', `${d.name}=${d.model}:${d.tpm}`]),
      ...this.extraArgs,
    ];
    const { process: child, ready } = ReadyProcess.start({
      name: 'simulator',
      command: process.execPath,
      args,
      env: { ...process.env, NODE_OPTIONS: '' },
      ready: /listening on (http:\/\/\S+)/,
      timeoutMs,
    });
    this.process = child;
    this.url = (await ready)[1]!.replace(/\/$/, '');
  }

  get running(): boolean {
    return this.process?.running ?? false;
  }

  /** Changes (or adds, with a model) a deployment's TPM at run time. */
  async setDeployment(name: string, tpm: number, model?: string): Promise<void> {
    const body = JSON.stringify(model ? { tpm, model } : { tpm });
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${this.url}/__sim/deployments/${encodeURIComponent(name)}`,
        { method: 'PUT', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    if (status >= 300) throw new Error(`simulator refused PUT /__sim/deployments/${name}: ${status}`);
  }

  /** SIGTERM, then SIGKILL after a grace period; resolves when the process is gone. */
  async stop(graceMs = 3000): Promise<void> {
    await this.process?.stop(graceMs);
  }
}
