/**
 * `logs --follow`: keeps one stream open per running replica container until stopped. Every poll it
 * lists the revisions and replicas again: a new revision's or a new replica's stream is opened (from its
 * first lines), a gone one is closed, and an ended one is reopened while its replica still runs (asking
 * for its last lines again and showing only those not shown yet).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ArmContext } from '../../azure/clients.js';
import { failedOn } from '../../azure/errors.js';
import type { LogPrinter } from '../../ui/log-lines.js';
import { SeenLines } from './lines.js';
import { describeStreamError, readLogStream, type AppToken } from './stream.js';
import type { AppRef } from '../deployed-app.js';
import { matchesReplica, reconcile, runningTargets, type StreamTarget } from './targets.js';

/** The most lines the log stream gives (reference §2: --tail 0–300). */
export const maxTailLines = 300;

export interface FollowOptions {
  arm: ArmContext;
  app: AppRef;
  replica: string | undefined;
  tail: number;
  all: boolean;
  token: AppToken;
  printer: LogPrinter;
  signal: AbortSignal;
  pollMs: number;
}

interface OpenStream {
  target: StreamTarget;
  controller: AbortController;
  seen: SeenLines;
  ended: boolean;
  done: Promise<void>;
  /** The last failure told to the user, so a replica that keeps failing is reported once. */
  problem: string;
  greeted: boolean;
}

export async function followLogs(options: FollowOptions): Promise<void> {
  const { printer, signal } = options;
  const streams = new Map<string, OpenStream>();
  const startedAt = Date.now();
  let firstRound = true;
  let listProblem = '';
  let waitingNoticed = false;

  const open = (target: StreamTarget, previous: OpenStream | undefined): void => {
    const controller = new AbortController();
    const stopBoth = () => controller.abort();
    signal.addEventListener('abort', stopBoth, { once: true });
    // A replica seen for the first time after start shows its lines from then on; a reopened one resumes.
    const seen = previous?.seen ?? new SeenLines(firstRound ? Number.NEGATIVE_INFINITY : startedAt);
    const stream: OpenStream = { target, controller, seen, ended: false, problem: previous?.problem ?? '', greeted: false, done: Promise.resolve() };
    stream.done = readLogStream(target, {
      token: options.token,
      follow: true,
      tailLines: firstRound ? options.tail : maxTailLines,
      all: options.all,
      signal: controller.signal,
      seen,
      onEntry: (entry) => printer.entry(entry),
      // The stream's two greeting lines: tell the user once, when it is new or back after a failure.
      onConnected: () => {
        if (stream.problem || (!previous && !stream.greeted)) printer.notice(`following ${target.replica} (revision ${target.revision})`);
        stream.greeted = true;
        stream.problem = '';
      },
    })
      .catch((error: unknown) => {
        const problem = describeStreamError(error);
        if (problem !== stream.problem) printer.notice(`${target.replica}: ${problem}; trying again while it runs`);
        stream.problem = problem;
      })
      .finally(() => {
        stream.ended = true;
        signal.removeEventListener('abort', stopBoth);
      });
    streams.set(target.key, stream);
  };

  while (!signal.aborted) {
    let wanted: StreamTarget[] | undefined;
    try {
      wanted = (await runningTargets(options.arm, options.app)).filter((target) => matchesReplica(target, options.replica));
      listProblem = '';
    } catch (error) {
      if (signal.aborted) break;
      // The first listing failing is an answer (not signed in to it, no permission); later ones are weather.
      if (firstRound) throw failedOn(error, { resource: `listing the replicas of ${options.app.name}` });
      const problem = describeStreamError(error);
      if (problem !== listProblem) printer.notice(`could not list the replicas (${problem}); trying again`);
      listProblem = problem;
    }
    if (wanted) {
      const { start, stop } = reconcile(streams.keys(), wanted);
      for (const key of stop) {
        const stream = streams.get(key)!;
        stream.controller.abort();
        streams.delete(key);
        printer.notice(`${stream.target.replica} stopped running`);
      }
      // An ended stream of a replica still running is reopened (it restarted, or the connection dropped).
      const reopen = wanted.filter((target) => streams.get(target.key)?.ended);
      for (const target of [...start, ...reopen]) open(target, streams.get(target.key));
      if (wanted.length === 0 && !waitingNoticed)
        printer.notice(options.replica ? `no running replica named ${options.replica}; waiting for one` : 'no running replica; waiting for one');
      waitingNoticed = wanted.length === 0;
    }
    firstRound = false;
    await sleep(options.pollMs, undefined, { signal }).catch(() => undefined);
  }
  for (const stream of streams.values()) stream.controller.abort();
  await Promise.all([...streams.values()].map((stream) => stream.done));
}
