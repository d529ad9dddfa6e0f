import { Option } from 'commander';
import { ExitCode, UserError } from '../core/errors.js';
import type { DeploymentSpec, SimulatorOptions } from '../simulator/index.js';
import { collect, decimalNumber, invalidFlag, wholeNumber } from '../core/flags.js';
import { defineCommand } from './define.js';

const usage = invalidFlag;

/** `name=model:tpm`, e.g. `chat=gpt-4o:50000`. */
export function parseDeployment(value: string): DeploymentSpec {
  const match = /^([A-Za-z0-9._-]{1,64})=([^:=\s]+):(\d+)$/.exec(value.trim());
  if (!match) {
    throw usage(
      `--deployment "${value}" is not name=model:tpm`,
      'for example --deployment chat=gpt-35-turbo:30000 --deployment embedding=text-embedding-ada-002:30000',
    );
  }
  return {
    name: match[1]!,
    model: match[2]!,
    tpm: wholeNumber(`the tpm in --deployment ${value}`, match[3]!, { min: 1, suggestion: 'for example --deployment chat=gpt-35-turbo:30000' }),
  };
}

/** `none`, or `<firstTokenMs>,<perTokenMs>`. */
export function parseLatency(value: string): SimulatorOptions['latency'] {
  if (value === 'none') return 'none';
  const match = /^(\d+(?:\.\d+)?),(\d+(?:\.\d+)?)$/.exec(value.trim());
  if (!match) throw usage(`--latency "${value}" is not "none" or <firstTokenMs>,<perTokenMs>`, 'for example --latency 200,10 or --latency none');
  return { firstTokenMs: Number(match[1]), perTokenMs: Number(match[2]) };
}

export function simulateOptions(options: Record<string, unknown>, defaults: readonly DeploymentSpec[]): SimulatorOptions {
  const specs = (options.deployment as string[] | undefined)?.map(parseDeployment);
  const tpm =
    options.tpm === undefined
      ? undefined
      : wholeNumber('--tpm', String(options.tpm), { min: 1, suggestion: 'for example --tpm 30 (30K tokens per minute)' }) * 1000;
  if (specs && tpm !== undefined) throw usage('--tpm applies to the default deployments only', 'give the TPM inside each --deployment name=model:tpm instead');
  const names = new Set<string>();
  for (const spec of specs ?? []) {
    if (names.has(spec.name)) throw usage(`--deployment ${spec.name} is given twice`, 'give each deployment name once');
    names.add(spec.name);
  }
  const timeScale =
    options.timeScale === undefined
      ? undefined
      : decimalNumber('--time-scale', String(options.timeScale), { min: 0, above: true, suggestion: 'for example --time-scale 60 (a 1 s token window)' });
  const region = options.region as string | undefined;
  if (region !== undefined && region.trim() === '') throw usage('--region must not be empty', 'for example --region "East US"');
  return {
    host: options.host as string | undefined,
    port:
      options.port === undefined
        ? 0
        : wholeNumber('--port', String(options.port), { min: 0, max: 65_535, suggestion: 'for example --port 8080, or --port 0 for a free one' }),
    region,
    deployments: specs ?? defaults.map((d) => ({ ...d, tpm: tpm ?? d.tpm })),
    apiKeys: options.apiKey as string[] | undefined,
    timeScale,
    latency: options.latency === undefined ? undefined : parseLatency(String(options.latency)),
  };
}

export const simulateCommand = defineCommand<Record<string, unknown>, number>({
  name: 'simulate',
  summary: 'run a local Azure OpenAI simulator (quota windows, 429s, streaming) until Ctrl-C',
  options(command) {
    command
      .option('--port <n>', 'port to listen on; 0 picks a free one and prints it', '0')
      .option('--host <address>', 'address to bind', '127.0.0.1')
      .option(
        '--deployment <name=model:tpm>',
        'a deployment, repeatable (default: chat=gpt-35-turbo:30000 and embedding=text-embedding-ada-002:30000)',
        collect,
      )
      .option('--tpm <k>', 'thousands of tokens per minute for the default deployments (30 = 30K TPM, as OPENAI_CAPACITY counts)')
      .option('--api-key <key>', 'accepted API key, repeatable (none: auth is off)', collect)
      .option('--time-scale <n>', 'run windows and latencies this many times faster (60 → a 1 s token window)')
      .addOption(new Option('--latency <spec>', '"none" or <firstTokenMs>,<perTokenMs> (default 200,10)'))
      .option('--region <name>', 'region named in headers and 429 messages', 'East US');
  },
  interruptible: true,
  async run(options, ctx) {
    const { DEFAULT_DEPLOYMENTS, startSimulator } = await import('../simulator/index.js');
    const simulatorOptions = simulateOptions(options, DEFAULT_DEPLOYMENTS);
    const host = simulatorOptions.host ?? '127.0.0.1';
    let simulator;
    try {
      simulator = await startSimulator(simulatorOptions);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
        throw new UserError('listen-failed', `cannot listen on ${host}:${String(simulatorOptions.port)} (${code})`, {
          suggestion: 'choose another --port (0 picks a free one) or --host',
          exitCode: ExitCode.usage,
          cause: error,
        });
      }
      throw error;
    }
    const out = (line: string): boolean => ctx.stdout.write(`${line}\n`);
    out(`AOAI simulator listening on ${simulator.url}`);
    for (const d of simulator.stats().deployments) out(`  deployment ${d.name}: ${d.model}, ${d.tpm} TPM`);
    out(`  control: ${simulator.url}/__sim/stats`);
    if (!simulatorOptions.apiKeys?.length) ctx.stderr.write('warning: no --api-key given, so auth is off (any key is accepted)\n');
    // The wrapper listens for Ctrl-C and SIGTERM before run(), so one sent right after the URL is not lost.
    await new Promise<void>((resolve) => (ctx.signal.aborted ? resolve() : ctx.signal.addEventListener('abort', () => resolve(), { once: true })));
    ctx.stderr.write('stopping the simulator\n');
    await simulator.close();
    return ExitCode.ok;
  },
});
