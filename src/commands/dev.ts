import { ExitCode } from '../core/errors.js';
import { commandLineKeyWarning, parseBackendSpec } from '../core/secret-input.js';
import type { defaultDemoRps, DEMO_TIME_SCALE } from '../ops/dev/index.js';
import type { DevSettings, RealBackend } from '../ops/dev/index.js';
import type { DevOutputMode } from '../ui/dev-output.js';
import { collect, decimalNumber, invalidFlag, wholeNumber } from '../core/flags.js';
import { defineCommand } from './define.js';

interface DevFlags {
  backends?: string;
  tpm?: string;
  port?: string;
  timeScale?: string;
  demoLoad?: string | boolean;
  backend?: string[];
  clientKey?: string;
  replicas?: string;
  view?: boolean;
  json?: boolean;
}

const usage = invalidFlag;

/**
 * `URL=@PATH` (the key read from that file), `URL=KEY` or `URL` (managed identity); the key may contain '='
 * (base64), the URL's query may not.
 */
export function parseBackend(value: string): RealBackend & { keyFile?: string } {
  const { url, apiKey, keyFile } = parseBackendSpec('--backend', value);
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) {
    throw usage(
      `--backend "${url}" is not an http(s) URL`,
      'for example --backend https://my-openai.openai.azure.com=@<file with the api key>, or without =@<file> to use az login / managed identity',
    );
  }
  if (apiKey === '') throw usage(`--backend ${url}= has an empty key`, 'give the key\'s file after "=@", or leave out "=" to use az login / managed identity');
  return keyFile === undefined ? { url, apiKey } : { url, apiKey, keyFile };
}

/** Flags → settings, every problem a UserError with exit code 2 naming the flag. */
export function devSettings(
  flags: DevFlags,
  demo: { rps: typeof defaultDemoRps; timeScale: typeof DEMO_TIME_SCALE },
  warn: (line: string) => void = (line) => process.stderr.write(line),
): DevSettings {
  const parsed = (flags.backend ?? []).map(parseBackend);
  const realBackends = parsed.map(({ url, apiKey }) => ({ url, apiKey }));
  if (realBackends.length > 0) {
    for (const [flag, given] of [
      ['--backends', flags.backends],
      ['--tpm', flags.tpm],
      ['--time-scale', flags.timeScale],
    ] as const) {
      if (given !== undefined)
        throw usage(`${flag} applies to simulated backends, and --backend fronts real ones`, `leave out ${flag}, or leave out --backend to use simulators`);
    }
    if (flags.demoLoad !== undefined) {
      throw usage(
        '--demo-load would spend the real quota of the --backend endpoints',
        "try --demo-load with simulated backends (leave out --backend), or send your app's own traffic",
      );
    }
  }
  const backends = flags.backends === undefined ? 3 : wholeNumber('--backends', flags.backends, { min: 1, max: 20, suggestion: 'for example --backends 3' });
  const tpm =
    flags.tpm === undefined ? 30 : wholeNumber('--tpm', flags.tpm, { min: 1, max: 10_000, suggestion: 'for example --tpm 30 (30K tokens per minute)' });
  const replicas =
    flags.replicas === undefined
      ? 1
      : wholeNumber('--replicas', flags.replicas, { min: 1, max: 10, suggestion: 'for example --replicas 3 (Container Apps runs 1 to 10)' });
  const port = flags.port === undefined ? 8080 : wholeNumber('--port', flags.port, { min: 0, max: 65_535, suggestion: 'for example --port 0 (any free port)' });
  const defaultTimeScale = flags.demoLoad === undefined ? 1 : demo.timeScale;
  const timeScale =
    flags.timeScale === undefined
      ? defaultTimeScale
      : decimalNumber('--time-scale', flags.timeScale, { min: 0, above: true, max: 1000, suggestion: 'for example --time-scale 60 (a 1 s token window)' });
  let demoLoadRps: number | undefined;
  if (flags.demoLoad === true) demoLoadRps = demo.rps(backends, tpm * 1000, timeScale);
  else if (typeof flags.demoLoad === 'string')
    demoLoadRps = decimalNumber('--demo-load', flags.demoLoad, {
      min: 0,
      above: true,
      max: 500,
      suggestion: 'for example --demo-load 5 (requests per second)',
    });
  const clientKey = flags.clientKey;
  if (clientKey !== undefined && !/^[\x21-\x7e]+$/.test(clientKey)) {
    throw usage('--client-key must be printable characters without spaces', 'for example --client-key my-local-key, or leave it out to get a random one');
  }
  if (clientKey?.includes(',')) throw usage('--client-key must not contain ","', 'give one key; CLIENT_API_KEYS separates keys with commas');
  if (parsed.some((backend) => backend.apiKey && backend.keyFile === undefined))
    warn(commandLineKeyWarning('--backend <url>=<key>', '--backend <url>=@<file>'));
  return { backends, tpm: tpm * 1000, host: '127.0.0.1', port, timeScale, demoLoadRps, realBackends, clientKey, replicas };
}

/**
 * `aoai-lb dev`: simulated Azure OpenAI backends (or real ones) behind the balancer on this machine,
 * with a live view of what the balancer does, until Ctrl-C.
 */
export const devCommand = defineCommand<DevFlags, number>({
  name: 'dev',
  summary: 'run simulated backends and the balancer locally, with a live view (Ctrl-C stops)',
  options(command) {
    command
      .option('--backends <n>', 'simulated backends to start (default 3)')
      .option('--tpm <k>', "thousands of tokens per minute per simulated deployment (default 30, the reference sample's)")
      .option('--port <port>', 'balancer port on 127.0.0.1; 0 picks a free one (default 8080)')
      .option('--time-scale <s>', 'run the simulated quota windows and latencies s times faster (default 1; 10 with --demo-load)')
      .option('--demo-load [rps]', "send chat requests through the balancer (default: the simulated backends' combined quota)")
      .option(
        '--backend <url[=@file|=key]>',
        'front a real Azure OpenAI endpoint instead of simulators; repeatable; <url>=@<file> reads its key from a file (preferred: `ps` shows a key given as <url>=<key>); without a key the balancer uses az login / managed identity',
        collect,
      )
      .option('--replicas <n>', 'run n balancer processes behind the port, sharing state through Redis (SHARED_STATE_URL, else a redis-server dev starts)')
      .option('--client-key <key>', 'the key clients must send (default: a random one, printed)')
      .option('--no-view', "print a status line every few seconds instead of the live view, and the balancer's log to stderr")
      .option('--json', 'print one JSON object per line: ready, then status every second, then stopped');
  },
  interruptible: true,
  async run(flags, ctx) {
    const [{ defaultDemoRps, DEMO_TIME_SCALE, runDev }, { createDevOutput }] = await Promise.all([
      import('../ops/dev/index.js'),
      import('../ui/dev-output.js'),
    ]);
    const settings = devSettings(flags, { rps: defaultDemoRps, timeScale: DEMO_TIME_SCALE });
    const mode: DevOutputMode = ctx.output === 'json' ? 'json' : flags.view !== false && ctx.stdout.isTTY ? 'live' : 'lines';
    const output = createDevOutput(mode, { stdout: ctx.stdout, stderr: ctx.stderr });
    await runDev(settings, output, ctx.signal);
    return ExitCode.ok;
  },
});
