/**
 * `aoai-lb logs`: the balancer's console lines from every running replica, as `az containerapp logs
 * show` reads them (revisions → replicas → each container's log stream with the app's token). Without
 * --follow: the last N lines of each, merged by time, then exit. With --follow: see logs-follow.ts.
 */
import { getAuthToken } from '../../azure/containerapp-logs.js';
import { failedOn } from '../../azure/errors.js';
import { ExitCode, UserError } from '../../core/errors.js';
import { wholeNumber } from '../../core/flags.js';
import type { LogEntry, LogPrinter } from '../../ui/log-lines.js';
import { SeenLines, timeMs } from './lines.js';
import { followLogs, maxTailLines } from './follow.js';
import { AppToken, describeStreamError, readLogStream } from './stream.js';
import { deployedApp, type AppRef } from '../deployed-app.js';
import { matchesReplica, runningTargets } from './targets.js';
import { deployedSession, type SessionFlags, type SessionIo } from '../session.js';

export interface LogsFlags extends SessionFlags {
  follow?: boolean;
  tail?: string;
  all?: boolean;
  replica?: string;
  json?: boolean;
}

export interface LogsIo extends SessionIo {
  printer: LogPrinter;
  /** Aborted by Ctrl-C: --follow then stops and resolves. */
  signal: AbortSignal;
  /** How often --follow lists the replicas again. */
  pollMs?: number;
}

/** Lines asked of each replica when --tail is not given (the filter applies after, so more than az's 20). */
export const defaultTail = 100;

export function parseTail(text: string | undefined): number {
  if (text === undefined) return defaultTail;
  return wholeNumber('--tail', text, {
    min: 0,
    max: maxTailLines,
    suggestion: `the log stream gives at most the last ${maxTailLines} lines of each replica: use --tail ${maxTailLines} or less`,
  });
}

export async function runLogs(flags: LogsFlags, io: LogsIo): Promise<void> {
  const tail = parseTail(flags.tail);
  const session = await deployedSession(flags, io);
  const app = await deployedApp(session.arm, session, session.resourceGroup);
  if (!app.eventStreamEndpoint) {
    throw new UserError('no-log-stream', `the container app ${app.name} reports no log-stream endpoint (eventStreamEndpoint).`, {
      suggestion: `wait until it has finished provisioning, or run \`aoai-lb up --env ${session.name}\` again`,
    });
  }
  const token = new AppToken(async () => {
    try {
      return await getAuthToken(session.arm, app.group, app.name);
    } catch (error) {
      throw failedOn(error, { resource: `getting the log-stream token of ${app.name}`, environment: session.name });
    }
  });
  const common = { replica: flags.replica, tail, all: flags.all === true, token, printer: io.printer, signal: io.signal };
  if (flags.follow) {
    await followLogs({ ...common, arm: session.arm, app, pollMs: io.pollMs ?? 5000 });
    return;
  }
  await lastLines(session.arm, app, common, session.name);
}

async function lastLines(
  arm: Parameters<typeof runningTargets>[0],
  app: AppRef,
  options: { replica: string | undefined; tail: number; all: boolean; token: AppToken; printer: LogPrinter; signal: AbortSignal },
  environment: string,
): Promise<void> {
  let all;
  try {
    all = await runningTargets(arm, app);
  } catch (error) {
    throw failedOn(error, { resource: `listing the replicas of ${app.name}`, environment });
  }
  const targets = all.filter((target) => matchesReplica(target, options.replica));
  if (targets.length === 0) {
    if (options.replica && all.length > 0) {
      throw new UserError('replica-not-found', `no running replica is named ${options.replica}.`, {
        suggestion: `the running replicas are: ${[...new Set(all.map((target) => target.replica))].join(', ')}`,
        exitCode: ExitCode.usage,
      });
    }
    throw new UserError('no-replicas', `the container app ${app.name} has no running replica.`, {
      suggestion: `look at it with \`aoai-lb status --env ${environment}\`, or wait for one with \`aoai-lb logs --follow\``,
    });
  }
  const entries: LogEntry[] = [];
  const results = await Promise.allSettled(
    targets.map((target) =>
      readLogStream(target, { ...options, follow: false, tailLines: options.tail, seen: new SeenLines(), onEntry: (entry) => entries.push(entry) }),
    ),
  );
  const failures = results.flatMap((result, i) => (result.status === 'rejected' ? [`${targets[i]!.replica}: ${describeStreamError(result.reason)}`] : []));
  if (failures.length === targets.length) {
    throw new UserError('log-stream-failed', `could not read the log stream of any replica (${failures[0]}).`, {
      suggestion: 'run the same command again; if it keeps failing, add --verbose',
      cause: results.find((result) => result.status === 'rejected')?.reason,
    });
  }
  for (const failure of failures) options.printer.notice(failure);
  const order = (entry: LogEntry): number => timeMs(entry.time) || 0;
  for (const entry of entries.sort((a, b) => order(a) - order(b))) options.printer.entry(entry);
}
