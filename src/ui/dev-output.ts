/**
 * Where `aoai-lb dev` writes, chosen once: a live redrawn view (stdout is a TTY), a status line every
 * few seconds (pipes, --no-view), or one JSON object per line (--json). ops/dev never checks the mode.
 */
import chalk from 'chalk';
import { createLogUpdate } from 'log-update';
import type { DevSnapshot } from '../ops/dev/snapshot.js';
import { renderDevView, renderStatusLine, renderSummary } from './dev-view.js';

export type DevOutputMode = 'live' | 'lines' | 'json';

export interface DevBackendInfo {
  id: string;
  url: string;
  simulated: boolean;
}

export interface DevReadyInfo {
  url: string;
  clientKey: string;
  backends: DevBackendInfo[];
  demoLoadRps: number | undefined;
  timeScale: number;
  /** With --replicas: each replica's URL and the store they share state through. */
  replicas?: { urls: string[]; store: string } | undefined;
}

export interface DevOutput {
  /** How often the caller should produce a snapshot. */
  readonly refreshMs: number;
  ready(info: DevReadyInfo): void;
  update(snapshot: DevSnapshot): void;
  /** A balancer log line (ends with a newline). */
  log(line: string): void;
  /** Restores the terminal and prints the summary. */
  finish(last: DevSnapshot | undefined): void;
}

export interface DevOutputStreams {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WritableStream;
}

/** The copy-paste lines for clients: env vars for the chat app, SDK snippets. */
export function connectionLines(info: DevReadyInfo): string[] {
  const { url, clientKey } = info;
  const lines = [
    `Balancer    ${url}`,
    `Client key  ${clientKey}`,
    '',
    'azure-search-openai-demo (OPENAI_HOST=azure_custom):',
    `  AZURE_OPENAI_CUSTOM_URL=${url}            # 2024 generation (AzureOpenAI clients)`,
    `  AZURE_OPENAI_CUSTOM_URL=${url}/openai/v1  # 2025+ generation (v1 base URL)`,
    `  AZURE_OPENAI_API_KEY_OVERRIDE=${clientKey}`,
    'openai-python:',
    `  client = AzureOpenAI(azure_endpoint="${url}", api_key="${clientKey}",`,
    '                       api_version="2024-10-21")',
    `  client = OpenAI(base_url="${url}/openai/v1", api_key="${clientKey}")`,
    'curl:',
    `  curl "${url}/openai/deployments/chat/chat/completions?api-version=2024-10-21" \\`,
    `    -H "api-key: ${clientKey}" -H "content-type: application/json" \\`,
    `    -d '{"messages":[{"role":"user","content":"Hello"}],"max_tokens":50}'`,
    '',
    info.backends.every((b) => b.simulated)
      ? `Simulated backends (chat + embedding each${info.timeScale === 1 ? '' : `, time ×${info.timeScale}: a quota minute lasts ${formatSeconds(60 / info.timeScale)}`}):`
      : 'Backends:',
    ...info.backends.map((b) => `  ${b.id}  ${b.url}`),
  ];
  if (info.replicas) {
    lines.push(
      '',
      `Balancer replicas (round robin behind ${url}, sharing state through ${info.replicas.store}):`,
      ...info.replicas.urls.map((replicaUrl, i) => `  ${i + 1}  ${replicaUrl}`),
    );
  }
  if (info.demoLoadRps !== undefined) {
    const window = formatSeconds(60 / info.timeScale);
    lines.push(
      '',
      `Demo load: ${info.demoLoadRps} chat requests/s, about the backends' combined quota:`,
      `each backend runs out now and then, and the balancer fails over (first: ~${window}).`,
    );
    if (info.timeScale !== 1) lines.push(`Time runs ×${info.timeScale} to show it at once; --time-scale 1 for real-time quota windows.`);
  }
  return lines;
}

function formatSeconds(seconds: number): string {
  return `${Number(seconds.toFixed(seconds < 10 ? 1 : 0))} s`;
}

export function createDevOutput(mode: DevOutputMode, streams: DevOutputStreams): DevOutput {
  const { stdout, stderr } = streams;
  const write = (text: string): void => {
    stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  };
  if (mode === 'json') {
    return {
      refreshMs: 1000,
      ready: (info) => write(JSON.stringify({ type: 'ready', ...info })),
      update: (snapshot) => write(JSON.stringify({ type: 'status', ...snapshot })),
      log: () => {},
      finish: (last) => write(JSON.stringify({ type: 'stopped', summary: renderSummary(last), ...(last ?? {}) })),
    };
  }
  if (mode === 'lines') {
    return {
      refreshMs: 5000,
      ready: (info) => write([...connectionLines(info), '', ''].join('\n')),
      update: (snapshot) => write(renderStatusLine(snapshot)),
      log: (line) => stderr.write(line),
      finish: (last) => write(renderSummary(last)),
    };
  }
  const view = createLogUpdate(stdout, { defaultWidth: 120 });
  const color = chalk.level > 0;
  return {
    refreshMs: 500,
    ready: (info) => write([...connectionLines(info), '', ''].join('\n')),
    update: (snapshot) => view(renderDevView(snapshot, { color, width: stdout.columns, height: stdout.rows })),
    log: () => {},
    finish: (last) => {
      if (last) view(renderDevView(last, { color, hint: false, width: stdout.columns, height: stdout.rows }));
      view.done();
      write(renderSummary(last));
    },
  };
}
