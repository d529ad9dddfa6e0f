/**
 * A container app's running parts and their console log streams, the way `az containerapp logs show`
 * reaches them (reference azure-provisioning.md §2 "Log streaming"): revisions → replicas → containers,
 * an app token from getAuthToken, and `GET {eventStreamEndpoint host}/subscriptions/…/logstream` with
 * `Authorization: Bearer <that token>` (not the ARM token).
 */
import { httpFetch } from '../core/http.js';
import { containerAppsClient, type ArmContext } from './clients.js';

export interface RevisionState {
  name: string;
  active: boolean;
  createdTime: Date | undefined;
  trafficWeight: number;
  /** Replicas the revision reports (a count; listReplicas gives their names). */
  replicas: number;
  runningState: string | undefined;
}

export interface ReplicaContainerState {
  name: string;
  ready: boolean;
  restartCount: number;
  runningState: string | undefined;
}

export interface ReplicaState {
  name: string;
  revision: string;
  runningState: string | undefined;
  containers: ReplicaContainerState[];
}

export async function listRevisions(context: ArmContext, group: string, app: string): Promise<RevisionState[]> {
  const client = await containerAppsClient(context);
  const revisions: RevisionState[] = [];
  for await (const revision of client.containerAppsRevisions.listRevisions(group, app)) {
    revisions.push({
      name: revision.name ?? '',
      active: revision.active === true,
      createdTime: revision.createdTime,
      trafficWeight: revision.trafficWeight ?? 0,
      replicas: revision.replicas ?? 0,
      runningState: revision.runningState,
    });
  }
  return revisions;
}

export async function listReplicas(context: ArmContext, group: string, app: string, revision: string): Promise<ReplicaState[]> {
  const client = await containerAppsClient(context);
  const replicas = await client.containerAppsRevisionReplicas.listReplicas(group, app, revision);
  return (replicas.value ?? []).map((replica) => ({
    name: replica.name ?? '',
    revision,
    runningState: replica.runningState,
    containers: (replica.containers ?? []).map((container) => ({
      name: container.name ?? '',
      ready: container.ready === true,
      restartCount: container.restartCount ?? 0,
      runningState: container.runningState,
    })),
  }));
}

/** The app's log-stream token (hours long); a secret: never print it. */
export async function getAuthToken(context: ArmContext, group: string, app: string): Promise<{ token: string; expires: Date | undefined }> {
  const client = await containerAppsClient(context);
  const answer = await client.containerApps.getAuthToken(group, app);
  return { token: answer.token ?? '', expires: answer.expires };
}

export interface LogStreamTarget {
  /** The app's eventStreamEndpoint; only its scheme and host are used, as the Azure CLI does. */
  eventStreamEndpoint: string;
  subscriptionId: string;
  group: string;
  app: string;
  revision: string;
  replica: string;
  container: string;
}

export interface LogStreamRequest {
  token: string;
  follow: boolean;
  tailLines: number;
  signal?: AbortSignal;
}

/** The log stream answered with something other than 200 (401: the token; 404: the replica is gone). */
export class LogStreamError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`the log stream answered HTTP ${status}${body ? `: ${body.slice(0, 300)}` : ''}`);
    this.name = 'LogStreamError';
  }
}

export function logStreamUrl(target: LogStreamTarget, request: Pick<LogStreamRequest, 'follow' | 'tailLines'>): string {
  const cut = target.eventStreamEndpoint.indexOf('/subscriptions/');
  const base = (cut >= 0 ? target.eventStreamEndpoint.slice(0, cut) : target.eventStreamEndpoint).replace(/\/+$/, '');
  const path = [
    'subscriptions',
    target.subscriptionId,
    'resourceGroups',
    target.group,
    'containerApps',
    target.app,
    'revisions',
    target.revision,
    'replicas',
    target.replica,
    'containers',
    target.container,
    'logstream',
  ]
    .map(encodeURIComponent)
    .join('/');
  return `${base}/${path}?follow=${request.follow}&output=text&tailLines=${request.tailLines}`;
}

/**
 * The stream's lines as they arrive, without the line break. Ends when the server ends the stream (the
 * replica stopped, or follow=false) or when `signal` aborts.
 */
export async function* logStreamLines(target: LogStreamTarget, request: LogStreamRequest): AsyncGenerator<string> {
  const response = await httpFetch(logStreamUrl(target, request), {
    headers: { authorization: `Bearer ${request.token}`, accept: 'text/plain' },
    signal: request.signal,
  });
  if (response.status !== 200 || !response.body) {
    const body = await response.text().catch(() => '');
    throw new LogStreamError(response.status, body.trim());
  }
  const decoder = new TextDecoder();
  let partial = '';
  try {
    for await (const chunk of response.body) {
      partial += decoder.decode(chunk as Uint8Array, { stream: true });
      let newline = partial.indexOf('\n');
      while (newline >= 0) {
        yield partial.slice(0, newline).replace(/\r$/, '');
        partial = partial.slice(newline + 1);
        newline = partial.indexOf('\n');
      }
    }
  } catch (error) {
    if (request.signal?.aborted) return;
    throw error;
  }
  partial += decoder.decode();
  if (partial) yield partial.replace(/\r$/, '');
}
