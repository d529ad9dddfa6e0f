/**
 * What `aoai-lb dev` shows: pure functions from a snapshot (the balancer's /status JSON plus the
 * client-side tallies) to text. No I/O, no clock; unit-tested in test/unit/dev-view.test.ts.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { BalancerStatus } from '../../templates/balancer/dist/main.js';

type DeploymentStatus = BalancerStatus['backends'][number]['deployments'][number];

/** Client responses the balancer sent, by class (its /status has no totals). */
export interface ClientTotals {
  requests: number;
  succeeded: number;
  /** 429s that reached a client: every backend was throttled for that deployment. */
  throttled: number;
  /** Any other non-2xx answer (401, 4xx, 5xx). */
  failed: number;
}

/** What the built-in traffic generator did; present only with --demo-load. */
export interface DemoLoadStats {
  rps: number;
  sent: number;
  inFlight: number;
  /** Ticks skipped because too many requests were still open. */
  skipped: number;
}

export interface DevSnapshot {
  url: string;
  status: BalancerStatus;
  totals: ClientTotals;
  /** TPM limit per backend id, then deployment (simulated backends only). */
  limits?: Record<string, Record<string, number>>;
  /** Deployments to list for every backend even before traffic reached them. */
  deployments?: string[];
  demoLoad?: DemoLoadStats;
}

export interface RenderOptions {
  color?: boolean;
  /** The "Ctrl-C stops everything" line; off for the final frame. */
  hint?: boolean;
  /** Terminal columns: below what the full table needs, a compact layout is used. */
  width?: number;
}

const plain = new Chalk({ level: 0 });
const colored = new Chalk({ level: 1 });

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** 1.2k, 34.5k, 1.2M: for the narrow token columns. */
export function formatTokens(n: number): string {
  if (n < 1_000) return String(Math.round(n));
  if (n < 1_000_000) return `${(n / 1_000).toFixed(n < 10_000 ? 2 : 1)}k`;
  return `${(n / 1_000_000).toFixed(2)}M`;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** "99.5 %", or "–" when nothing was answered yet. */
export function successRate(totals: ClientTotals): string {
  if (totals.requests === 0) return '–';
  const rate = (100 * totals.succeeded) / totals.requests;
  return `${rate === 100 ? '100' : rate.toFixed(1)} %`;
}

type Row = { cells: string[]; paint?: (text: string) => string; stateCell?: (text: string) => string };

interface Column {
  title: string;
  align: 'left' | 'right';
  /** Keeps the column from jumping as values come and go. */
  minWidth?: number;
}

const fullColumns: Column[] = [
  { title: 'backend', align: 'left' },
  { title: 'deployment', align: 'left' },
  { title: 'state', align: 'left', minWidth: 'cooling 10.0 s'.length },
  { title: 'requests', align: 'right' },
  { title: '429s absorbed', align: 'right' },
  { title: 'failovers', align: 'right' },
  { title: 'errors', align: 'right' },
  { title: 'tokens left', align: 'right' },
  { title: 'tokens used', align: 'right' },
];

/** The same columns for 80-column terminals. */
const compactColumns: Column[] = [
  { title: '#', align: 'left' },
  { title: 'deploy', align: 'left' },
  { title: 'state', align: 'left', minWidth: 'cooling 10.0 s'.length },
  { title: 'req', align: 'right' },
  { title: '429s', align: 'right' },
  { title: 'fail', align: 'right' },
  { title: 'err', align: 'right' },
  { title: 'tokens left', align: 'right' },
  { title: 'used', align: 'right' },
];

function emptyDeployment(name: string): DeploymentStatus {
  return {
    deployment: name,
    state: 'healthy',
    cooldownRemainingMs: 0,
    remainingTokens: null,
    remainingRequests: null,
    requests: 0,
    throttled: 0,
    errors: 0,
    failovers: 0,
    promptTokens: 0,
    completionTokens: 0,
  };
}

function stateText(backendBrokenMs: number, d: DeploymentStatus): { text: string; kind: 'healthy' | 'cooling' | 'broken' } {
  if (backendBrokenMs > 0) return { text: `broken ${(backendBrokenMs / 1000).toFixed(1)} s`, kind: 'broken' };
  if (d.state === 'healthy' || d.cooldownRemainingMs <= 0) return { text: 'healthy', kind: 'healthy' };
  const seconds = (d.cooldownRemainingMs / 1000).toFixed(1);
  return { text: `${d.state} ${seconds} s`, kind: d.state };
}

/** ":5001" for a local backend, "my-openai" for https://my-openai.openai.azure.com/: short enough for a column. */
export function shortHost(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url.slice(0, 16);
  }
  if (['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname)) return `:${parsed.port}`;
  return parsed.hostname.split('.')[0]!.slice(0, 16);
}

function tableRows(snapshot: DevSnapshot, chalk: ChalkInstance, compact: boolean): Row[] {
  const rows: Row[] = [];
  for (const backend of snapshot.status.backends) {
    const known = new Map(backend.deployments.map((d) => [d.deployment, d]));
    const names = [...new Set([...(snapshot.deployments ?? []), ...known.keys()])];
    const label = compact ? backend.id : `${backend.id} ${shortHost(backend.url)}`;
    if (names.length === 0) {
      const state = stateText(backend.brokenRemainingMs, emptyDeployment(''));
      rows.push({ cells: [label, '(no traffic yet)', state.text, '', '', '', '', '', ''], stateCell: paintState(chalk, state.kind) });
      continue;
    }
    names.forEach((name, index) => {
      const d = known.get(name) ?? emptyDeployment(name);
      const state = stateText(backend.brokenRemainingMs, d);
      const limit = snapshot.limits?.[backend.id]?.[name];
      const remaining = d.remainingTokens === null ? '–' : formatTokens(Math.max(0, d.remainingTokens));
      rows.push({
        cells: [
          index === 0 ? label : '',
          name,
          state.text,
          formatCount(d.requests),
          formatCount(d.throttled),
          formatCount(d.failovers),
          formatCount(d.errors),
          limit === undefined ? remaining : `${remaining}/${formatTokens(limit)}`,
          formatTokens(d.promptTokens + d.completionTokens),
        ],
        stateCell: paintState(chalk, state.kind),
      });
    });
  }
  return rows;
}

function paintState(chalk: ChalkInstance, kind: 'healthy' | 'cooling' | 'broken'): (text: string) => string {
  return kind === 'healthy' ? chalk.green : kind === 'cooling' ? chalk.yellow : chalk.red;
}

function renderTable(columns: Column[], rows: Row[], chalk: ChalkInstance): string[] {
  const widths = columns.map((column, i) => Math.max(column.title.length, column.minWidth ?? 0, ...rows.map((row) => row.cells[i]!.length)));
  const pad = (text: string, i: number): string => (columns[i]!.align === 'left' ? text.padEnd(widths[i]!) : text.padStart(widths[i]!));
  const header = chalk.dim(columns.map((column, i) => pad(column.title, i)).join('  ').trimEnd());
  const lines = rows.map((row) =>
    row.cells
      .map((cell, i) => {
        const text = pad(cell, i);
        return i === 2 && row.stateCell ? row.stateCell(text) : text;
      })
      .join('  ')
      .trimEnd(),
  );
  return [header, ...lines];
}

/** The live view: a title line, the per-backend table and the client totals. */
export function renderDevView(snapshot: DevSnapshot, options: RenderOptions = {}): string {
  const full = renderLayout(snapshot, options, false);
  const width = options.width;
  if (width === undefined || full.every((line) => visibleLength(line) <= width)) return full.join('\n');
  return renderLayout(snapshot, options, true).join('\n');
}

function visibleLength(line: string): number {
  // eslint-disable-next-line no-control-regex
  return line.replace(/\u001b\[[0-9;]*m/g, '').length;
}

function renderLayout(snapshot: DevSnapshot, options: RenderOptions, compact: boolean): string[] {
  const chalk = options.color ? colored : plain;
  const { status, totals } = snapshot;
  const title = `${chalk.bold('aoai-lb dev')}  ${snapshot.url}  up ${formatDuration(status.uptimeSeconds)}`;
  const load = snapshot.demoLoad;
  let loadText = '';
  if (load) {
    const skipped = load.skipped > 0 ? `, ${formatCount(load.skipped)} skipped` : '';
    loadText = compact ? `  load ${load.rps}/s` : `  demo load ${load.rps} req/s (${formatCount(load.sent)} sent, ${load.inFlight} open${skipped})`;
  }
  const clientThrottled = totals.throttled > 0 ? chalk.red(formatCount(totals.throttled)) : formatCount(totals.throttled);
  const absorbed = status.backends.reduce((sum, b) => sum + b.deployments.reduce((s, d) => s + d.throttled, 0), 0);
  const clientLine = compact
    ? `clients  ${formatCount(totals.requests)} req  success ${successRate(totals)}  429s to clients ${clientThrottled}  errors ${formatCount(totals.failed)}`
    : `clients  ${formatCount(totals.requests)} requests  ` +
      `success ${successRate(totals)}  ` +
      `429s: ${formatCount(absorbed)} absorbed, ${clientThrottled} seen by clients  ` +
      `other errors ${formatCount(totals.failed)}`;
  const columns = compact ? compactColumns : fullColumns;
  const lines = [title + chalk.dim(loadText), '', ...renderTable(columns, tableRows(snapshot, chalk, compact), chalk), '', clientLine];
  if (options.hint !== false) lines.push(chalk.dim('Ctrl-C stops everything'));
  return lines;
}

/** One compact line for logs and pipes: totals, then each backend's chat-like state. */
export function renderStatusLine(snapshot: DevSnapshot): string {
  const { status, totals } = snapshot;
  const backends = status.backends.map((backend) => {
    const requests = backend.deployments.reduce((s, d) => s + d.requests, 0);
    const throttled = backend.deployments.reduce((s, d) => s + d.throttled, 0);
    const cooling = backend.deployments.filter((d) => d.cooldownRemainingMs > 0).map((d) => stateText(0, d).text);
    const state = backend.brokenRemainingMs > 0 ? 'broken' : cooling.length > 0 ? cooling.join(',') : 'healthy';
    return `#${backend.id} ${state} ${requests} req ${throttled}×429`;
  });
  return (
    `[${formatDuration(status.uptimeSeconds)}] clients ${totals.requests} req, success ${successRate(totals)}, ` +
    `${totals.throttled} client 429s | ${backends.join(' | ')}`
  );
}

/** The line printed when dev stops. */
export function renderSummary(snapshot: DevSnapshot | undefined): string {
  if (!snapshot) return 'aoai-lb dev stopped.';
  const absorbed = snapshot.status.backends.reduce((sum, b) => sum + b.deployments.reduce((s, d) => s + d.throttled, 0), 0);
  const { totals } = snapshot;
  return (
    `aoai-lb dev stopped after ${formatDuration(snapshot.status.uptimeSeconds)}: ${formatCount(totals.requests)} client requests, ` +
    `success ${successRate(totals)}, ${formatCount(absorbed)} backend 429s absorbed, ${formatCount(totals.throttled)} 429s reached clients.`
  );
}
