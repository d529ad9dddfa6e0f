/**
 * What `aoai-lb status` shows: pure functions from a snapshot (the deployment as ARM has it plus the
 * balancer's GET /status) to text, and where it goes (one block; --watch: redrawn on a terminal, a block
 * every interval otherwise; --json: one object, or one a line with --watch).
 */
import { Chalk, type ChalkInstance } from 'chalk';
import { createLogUpdate } from 'log-update';
import type { BalancerStatus } from '../../templates/balancer/dist/main.js';
import { formatDuration, formatTokens } from './dev-view.js';
import type { StatusSnapshot } from '../ops/status/snapshot.js';

type BackendStatus = BalancerStatus['backends'][number];

export interface StatusViewOptions {
  color?: boolean;
}

/** "cooling 41 s", "broken 3 s", "healthy". */
export function stateText(backend: BackendStatus, deployment: BackendStatus['deployments'][number]): { text: string; kind: 'healthy' | 'cooling' | 'broken' } {
  if (backend.brokenRemainingMs > 0) return { text: `broken ${Math.ceil(backend.brokenRemainingMs / 1000)} s`, kind: 'broken' };
  if (deployment.state === 'healthy' || deployment.cooldownRemainingMs <= 0) return { text: 'healthy', kind: 'healthy' };
  return { text: `${deployment.state} ${Math.ceil(deployment.cooldownRemainingMs / 1000)} s`, kind: deployment.state };
}

function table(
  headers: string[],
  rows: string[][],
  chalk: ChalkInstance,
  paint: (row: number, column: number, text: string) => string = (_r, _c, t) => t,
): string[] {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [
    `  ${chalk.dim(line(headers))}`,
    ...rows.map(
      (row, r) =>
        `  ${row
          .map((cell, c) => paint(r, c, cell.padEnd(widths[c]!)))
          .join('  ')
          .trimEnd()}`,
    ),
  ];
}

export function renderStatus(snapshot: StatusSnapshot, options: StatusViewOptions = {}): string {
  const chalk = new Chalk({ level: options.color ? 1 : 0 });
  const running = snapshot.app.replicas.filter((replica) => replica.runningState === 'Running').length;
  const lines = [
    `${chalk.bold('aoai-lb status')}  environment ${snapshot.environment}  ${chalk.dim(snapshot.time)}`,
    `  resource group  ${snapshot.resourceGroup}  (subscription ${snapshot.subscriptionId})`,
    `  URL             ${snapshot.url}`,
    `  container app   ${snapshot.app.name}  revision ${snapshot.app.latestRevision || '–'}  replicas: ${running} running` +
      (snapshot.app.replicas.length > running ? `, ${snapshot.app.replicas.length - running} not` : ''),
    '',
    chalk.bold('OpenAI accounts'),
  ];
  const accountRows = snapshot.accounts.flatMap((account) => {
    const head = [account.name, account.region || '?'];
    if (account.deployments.length === 0) return [[...head, account.provisioningState || 'not found', '', '', '']];
    return account.deployments.map((d, i) => [...(i === 0 ? head : ['', '']), d.name, d.model || 'not found', d.sku, d.model ? `${d.capacity}K TPM` : '']);
  });
  lines.push(...table(['account', 'region', 'deployment', 'model', 'sku', 'capacity'], accountRows, chalk), '');
  const store = snapshot.sharedState;
  if (store) {
    const state = [store.provisioningState, store.resourceState].filter(Boolean).join(', ');
    lines.push(`${chalk.bold('Shared state')}  ${store.name}${store.location ? ` (${store.location})` : ''}  ${state}  ${store.endpoint || '–'}`, '');
  }

  const balancer = snapshot.balancer;
  if (!balancer.reachable) {
    lines.push(`${chalk.bold('Balancer')}  ${chalk.red(`not reachable: ${balancer.error}`)}`);
    return lines.join('\n');
  }
  const responses =
    Object.entries(balancer.responses)
      .map(([status, count]) => `${status}×${count}`)
      .join(', ') || 'none yet';
  lines.push(`${chalk.bold('Balancer')}  up ${formatDuration(balancer.uptimeSeconds)}  responses: ${responses}`);
  if (balancer.sharedState) lines.push(`  shared state: ${sharedStateText(balancer.sharedState)}`);
  const rows: string[][] = [];
  const kinds: Array<'healthy' | 'cooling' | 'broken'> = [];
  for (const backend of balancer.backends) {
    const head = [backend.id, backend.account ?? backend.url, String(backend.priority)];
    if (backend.deployments.length === 0) {
      const broken = backend.brokenRemainingMs > 0;
      rows.push([...head, '(no traffic yet)', broken ? `broken ${Math.ceil(backend.brokenRemainingMs / 1000)} s` : 'healthy', '–', '0', '0', '0']);
      kinds.push(broken ? 'broken' : 'healthy');
      continue;
    }
    backend.deployments.forEach((d, i) => {
      const state = stateText(backend, d);
      rows.push([
        ...(i === 0 ? head : ['', '', '']),
        d.deployment,
        state.text,
        d.remainingTokens === null ? '–' : formatTokens(Math.max(0, d.remainingTokens)),
        String(d.requests),
        String(d.throttled),
        String(d.failovers),
      ]);
      kinds.push(state.kind);
    });
  }
  const paintState = (row: number, column: number, text: string): string => {
    if (column !== 4) return text;
    const kind = kinds[row];
    return kind === 'healthy' ? chalk.green(text) : kind === 'cooling' ? chalk.yellow(text) : chalk.red(text);
  };
  lines.push(
    ...table(['backend', 'account', 'priority', 'deployment', 'state', 'tokens left', 'requests', '429s absorbed', 'failovers'], rows, chalk, paintState),
  );
  return lines.join('\n');
}

/** "shared", or "degraded (error: …, since: …)": the mode, then whatever else the balancer reports that prints on one line. */
function sharedStateText(shared: { mode: string } & Record<string, unknown>): string {
  const rest = Object.entries(shared)
    .filter(([key, value]) => key !== 'mode' && value !== null && ['string', 'number', 'boolean'].includes(typeof value))
    .map(([key, value]) => `${key}: ${String(value)}`);
  return rest.length > 0 ? `${shared.mode} (${rest.join(', ')})` : shared.mode;
}

export interface StatusOutput {
  show(snapshot: StatusSnapshot): void;
  /** Leaves the last frame on screen. */
  done(): void;
}

/** Decided once: JSON or text; redrawn in place only when watching on a terminal. */
export function createStatusOutput(options: { json: boolean; watch: boolean; color: boolean; stdout: NodeJS.WriteStream }): StatusOutput {
  const { stdout } = options;
  if (options.json) {
    return { show: (snapshot) => stdout.write(`${JSON.stringify(snapshot, null, options.watch ? undefined : 2)}\n`), done: () => undefined };
  }
  if (options.watch && stdout.isTTY) {
    const view = createLogUpdate(stdout, { defaultWidth: 120 });
    return {
      show: (snapshot) => view(`${renderStatus(snapshot, { color: options.color })}\n${chalkDim(options.color, 'Ctrl-C to stop')}`),
      done: () => view.done(),
    };
  }
  let first = true;
  return {
    show(snapshot) {
      stdout.write(`${first ? '' : '\n'}${renderStatus(snapshot, { color: options.color })}\n`);
      first = false;
    },
    done: () => undefined,
  };
}

const chalkDim = (color: boolean, text: string): string => new Chalk({ level: color ? 1 : 0 }).dim(text);
