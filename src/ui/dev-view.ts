/**
 * What `aoai-lb dev` shows: pure functions from a snapshot (the balancer's /status JSON plus the
 * client-side tallies) to text. No I/O, no clock; unit-tested in test/unit/dev-view.test.ts.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { BalancerStatus } from '../../templates/balancer/dist/main.js';
import type { ClientTotals, DevSnapshot } from '../ops/dev/snapshot.js';

type DevBackendStatus = BalancerStatus['backends'][number];
type DeploymentStatus = DevBackendStatus['deployments'][number];

export interface RenderOptions {
  color?: boolean;
  /** The "Ctrl-C stops everything" line; off for the final frame. */
  hint?: boolean;
  /** Terminal columns: below what the full table needs, a compact layout is used. */
  width?: number;
  /** Terminal rows: deployment rows beyond what fits are folded into one "+N other names" row per backend. */
  height?: number;
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

/** Lines of the view that are not table rows: title, blank, header, blank, clients, legend (2), hint. */
const fixedLines = 8;

/**
 * Deployment names to show for one backend, in order: the configured ones, then the rest by requests.
 * Past `max` rows the least used are folded into one row (clients can send any name; each that reached
 * the balancer has a row, and a flood of made-up names must not push the real ones off the screen).
 */
export function visibleDeployments(
  backend: DevBackendStatus,
  configured: readonly string[],
  max: number,
): { shown: DeploymentStatus[]; folded: DeploymentStatus[] } {
  const known = new Map(backend.deployments.map((d) => [d.deployment, d]));
  const first = configured.map((name) => known.get(name) ?? emptyDeployment(name));
  const others = backend.deployments
    .filter((d) => !configured.includes(d.deployment))
    .sort((a, b) => b.requests - a.requests || a.deployment.localeCompare(b.deployment));
  const all = [...first, ...others];
  if (all.length <= max) return { shown: all, folded: [] };
  const keep = Math.max(first.length, max - 1);
  return { shown: all.slice(0, keep), folded: all.slice(keep) };
}

function foldedRow(folded: DeploymentStatus[]): DeploymentStatus {
  const sum = (pick: (d: DeploymentStatus) => number): number => folded.reduce((total, d) => total + pick(d), 0);
  return {
    ...emptyDeployment(`+${folded.length} other name${folded.length === 1 ? '' : 's'}`),
    requests: sum((d) => d.requests),
    throttled: sum((d) => d.throttled),
    failovers: sum((d) => d.failovers),
    errors: sum((d) => d.errors),
    promptTokens: sum((d) => d.promptTokens),
    completionTokens: sum((d) => d.completionTokens),
  };
}

function tableRows(snapshot: DevSnapshot, chalk: ChalkInstance, compact: boolean, height: number | undefined): Row[] {
  const rows: Row[] = [];
  const backends = snapshot.status.backends;
  const perBackend = height === undefined ? Infinity : Math.max(1, Math.floor((height - fixedLines - 1) / Math.max(1, backends.length)));
  for (const backend of backends) {
    const { shown, folded } = visibleDeployments(backend, snapshot.deployments ?? [], perBackend);
    const label = compact ? backend.id : `${backend.id} ${shortHost(backend.url)}`;
    if (shown.length === 0) {
      const state = stateText(backend.brokenRemainingMs, emptyDeployment(''));
      rows.push({ cells: [label, '(no traffic yet)', state.text, '', '', '', '', '', ''], stateCell: paintState(chalk, state.kind) });
      continue;
    }
    const entries = folded.length > 0 ? [...shown, foldedRow(folded)] : shown;
    entries.forEach((d, index) => {
      const isFolded = folded.length > 0 && index === entries.length - 1;
      const state = isFolded ? { text: '', kind: 'healthy' as const } : stateText(backend.brokenRemainingMs, d);
      const limit = snapshot.limits?.[backend.id]?.[d.deployment];
      const remaining = d.remainingTokens === null ? '–' : formatTokens(Math.max(0, d.remainingTokens));
      rows.push({
        cells: [
          index === 0 ? label : '',
          d.deployment,
          state.text,
          formatCount(d.requests),
          formatCount(d.throttled),
          formatCount(d.failovers),
          formatCount(d.errors),
          isFolded ? '' : limit === undefined ? remaining : `${remaining}/${formatTokens(limit)}`,
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
  const header = chalk.dim(
    columns
      .map((column, i) => pad(column.title, i))
      .join('  ')
      .trimEnd(),
  );
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
  const scale = snapshot.timeScale !== undefined && snapshot.timeScale !== 1 ? `  time ×${snapshot.timeScale}` : '';
  const title = `${chalk.bold('aoai-lb dev')}  ${snapshot.url}  up ${formatDuration(status.uptimeSeconds)}${scale}`;
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
  const rows = tableRows(snapshot, chalk, compact, options.height);
  const lines = [title + chalk.dim(loadText), '', ...renderTable(columns, rows, chalk), '', clientLine, ...tokenLegend(compact).map((line) => chalk.dim(line))];
  if (options.hint !== false) lines.push(chalk.dim('Ctrl-C stops everything'));
  return lines;
}

/**
 * What the two token columns mean. They differ on purpose: Azure charges a request its max_tokens (its
 * estimate) against the window when it admits it, while "used" counts what the answers consumed.
 */
export function tokenLegend(compact: boolean): string[] {
  const used = compact ? 'used' : 'tokens used';
  return [
    "tokens left: TPM left in the backend's window. Azure charges each request its",
    `max_tokens when it admits it, so this falls faster than ${used} (actual usage).`,
  ];
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
