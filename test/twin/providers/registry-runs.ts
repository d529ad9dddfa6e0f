// ACR Tasks quick runs (api 2019-06-01-preview), the sequence azd uses (reference §3):
// scheduleRun(DockerBuildRequest) → 200 {runId: ca1, status: Queued} (the SDK's poller is done at once),
// runs.get (Queued → Running → Succeeded|Failed, outputImages), runs.list, runs.getLogSasUrl → a log blob
// that grows while the build runs and gets `x-ms-meta-Complete: successful|failed` at the end.
// The run really builds the uploaded context (build/builder.ts) and stores the image (twin.images).
// Free-trial subscriptions: 400 TasksOperationsNotAllowed. The Queued time is the latency of
// Registries_ScheduleRun; an `lroFailed` fault on it ends the run Failed.
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArmError, isObject, ok, requireBody, resourceNotFound, type ArmRequest } from '../arm.js';
import type { TwinContext } from '../context.js';
import type { Route } from '../router.js';
import { TargetedArmError, type AuthState } from './auth-state.js';
import { extractTarGz } from './build/archive.js';
import { runBuild } from './build/builder.js';
import type { BlobStore } from './registry-blobs.js';
import { ACR_TASKS_API_VERSIONS, REGISTRY_PATH, containerOf, loginServer, registryId, requireRegistry } from './registry.js';
import type { Registry, RunRecord } from './registry-state.js';

const stamp = (d = new Date()) =>
  d
    .toISOString()
    .replace(/-/g, '/')
    .replace('T', ' ')
    .replace(/\.\d+Z$/, '');

export function runView(r: Registry, run: RunRecord): Record<string, unknown> {
  const platform = isObject(run.request.platform) ? run.request.platform : { os: 'Linux' };
  return {
    type: `${ACR}/registries/runs`,
    properties: {
      runId: run.runId,
      status: run.status,
      lastUpdatedTime: run.lastUpdatedTime,
      runType: 'QuickRun',
      createTime: run.createTime,
      ...(run.startTime ? { startTime: run.startTime } : {}),
      ...(run.finishTime ? { finishTime: run.finishTime } : {}),
      ...(run.outputImages.length ? { outputImages: run.outputImages } : {}),
      ...(run.runErrorMessage ? { runErrorMessage: run.runErrorMessage } : {}),
      platform,
      agentConfiguration: { cpu: 2 },
      provisioningState: 'Succeeded',
      isArchiveEnabled: false,
    },
    id: `${registryId(r)}/runs/${run.runId}`,
    name: run.runId,
    systemData: { lastModifiedBy: 'twin-user@example.com', lastModifiedByType: 'User', lastModifiedAt: run.createTime },
  };
}

const ACR = 'Microsoft.ContainerRegistry';

/** Runs builds in a temp workspace; close() stops them and removes everything. */
export class RunExecutor {
  private workspace?: Promise<string>;
  private readonly running = new Set<Promise<void>>();
  private readonly abort = new AbortController();

  constructor(
    private readonly auth: AuthState,
    private readonly blobs: BlobStore,
  ) {}

  dir(): Promise<string> {
    this.workspace ??= mkdtemp(join(tmpdir(), 'aoai-twin-acr-'));
    return this.workspace;
  }

  start(registry: Registry, run: RunRecord): void {
    const p = this.execute(registry, run).catch((error: unknown) => this.finish(run, false, `internal error: ${String(error)}`));
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
  }

  fail(registry: Registry, run: RunRecord, message: string): void {
    this.log(run, `${stamp()} ${message}\n`);
    this.finish(run, false, message);
  }

  async close(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled([...this.running]);
    if (this.workspace) await rm(await this.workspace, { recursive: true, force: true });
  }

  private log(run: RunRecord, text: string): void {
    this.blobs.append(run.logPath, text);
  }

  private finish(run: RunRecord, success: boolean, error?: string): void {
    if (run.status === 'Succeeded' || run.status === 'Failed') return;
    const end = new Date();
    const seconds = Math.max(0, Math.round((end.getTime() - Date.parse(run.startTime ?? run.createTime)) / 1000));
    this.log(
      run,
      success
        ? `\r\nRun ID: ${run.runId} was successful after ${seconds}s\r\n`
        : `\r\nRun ID: ${run.runId} failed after ${seconds}s. Error: ${error ?? 'failed during run, err: exit status 1'}\r\n`,
    );
    run.status = success ? 'Succeeded' : 'Failed';
    if (!success) run.runErrorMessage = error;
    run.finishTime = end.toISOString();
    run.lastUpdatedTime = run.finishTime;
    this.blobs.setMetadata(run.logPath, 'Complete', success ? 'successful' : 'failed');
  }

  private async execute(registry: Registry, run: RunRecord): Promise<void> {
    if (this.abort.signal.aborted) return;
    run.status = 'Running';
    run.startTime = new Date().toISOString();
    run.lastUpdatedTime = run.startTime;
    const req = run.request;
    this.log(run, `${stamp()} Downloading source code...\r\n`);
    const source = String(req.sourceLocation ?? '');
    const blobPath = source.startsWith('https://')
      ? decodeURIComponent(new URL(source).pathname.replace(/^\/__blob\//, ''))
      : `${containerOf(registry)}/${source}`;
    const archive = this.blobs.get(blobPath);
    if (!archive) return this.fail(registry, run, `failed to download context. Please check if the source location is valid and accessible: ${source}`);
    const workDir = join(await this.dir(), run.runId);
    const contextDir = join(workDir, 'context');
    await mkdir(contextDir, { recursive: true });
    try {
      await extractTarGz(archive.data, contextDir);
    } catch (error) {
      return this.fail(registry, run, `failed to unpack context: ${(error as Error).message}`);
    }
    this.log(run, `${stamp()} Finished downloading source code\r\n`);
    this.log(run, `${stamp()} Using acb_vol_${randomUUID()} as the home volume\n${stamp()} Setting up Docker configuration...\n`);
    this.log(run, `${stamp()} Successfully set up Docker configuration\n${stamp()} Logging in to registry: ${loginServer(registry)}\n`);
    this.log(run, `${stamp()} Successfully logged into ${loginServer(registry)}\n`);
    this.log(run, `${stamp()} Executing step ID: build. Timeout(sec): ${Number(req.timeout ?? 28800)}, Working directory: '', Network: ''\n`);
    this.log(run, `${stamp()} Scanning for dependencies...\n${stamp()} Successfully scanned dependencies\n${stamp()} Launching container with name: build\n`);
    const args = Array.isArray(req.arguments) ? (req.arguments as { name?: string; value?: string }[]) : [];
    const started = Date.now();
    const result = await runBuild({
      contextDir,
      dockerfilePath: String(req.dockerFilePath ?? 'Dockerfile'),
      target: typeof req.target === 'string' ? req.target : undefined,
      buildArgs: Object.fromEntries(args.filter((a) => a.name).map((a) => [a.name!, a.value ?? ''])),
      workDir,
      log: (text) => this.log(run, text),
      signal: this.abort.signal,
    });
    await rm(contextDir, { recursive: true, force: true });
    for (const dir of result.stageDirs) if (!result.ok || dir !== result.image.rootDir) await rm(dir, { recursive: true, force: true });
    const elapsed = ((Date.now() - started) / 1000).toFixed(6);
    if (!result.ok) {
      this.log(run, `${stamp()} Container failed during run: build. No retries remaining.\nfailed to run step ID: build: exit status 1\n`);
      return this.finish(run, false, 'failed during run, err: exit status 1');
    }
    const names = (Array.isArray(req.imageNames) ? (req.imageNames as string[]) : []).map((n) => qualify(registry, n));
    for (const name of names) this.log(run, `Successfully tagged ${name}\n`);
    this.log(
      run,
      `${stamp()} Successfully executed container: build\n${stamp()} Executing step ID: push. Timeout(sec): 3600, Working directory: '', Network: ''\n`,
    );
    const digest = `sha256:${createHash('sha256').update(`${run.runId}${result.image.id}${names.join()}`).digest('hex')}`;
    for (const name of req.isPushEnabled === false ? [] : names) {
      this.log(run, `${stamp()} Pushing image: ${name}, attempt 1\n${result.image.id}: Pushed\n${stamp()} Successfully pushed image: ${name}\n`);
      this.auth.images.put({ name, digest, ...result.image });
      const { repository, tag } = splitName(name);
      run.outputImages.push({ registry: loginServer(registry), repository, tag, digest });
    }
    this.log(run, `${stamp()} Step ID: build marked as successful (elapsed time in seconds: ${elapsed})\n`);
    this.log(run, `${stamp()} Populating digests for step ID: build...\n${stamp()} Successfully populated digests for step ID: build\n`);
    this.finish(run, true);
  }
}

/** `repo:tag` → `{loginServer}/repo:tag` (ACR prefixes the registry when the name has none). */
function qualify(registry: Registry, name: string): string {
  const first = name.split('/')[0]!;
  const withHost = first.includes('.') ? name.replace(first, first.toLowerCase()) : `${loginServer(registry)}/${name}`;
  return /:[^/]+$/.test(withHost) ? withHost : `${withHost}:latest`;
}

function splitName(name: string): { repository: string; tag: string } {
  const rest = name.slice(name.indexOf('/') + 1);
  const i = rest.lastIndexOf(':');
  return { repository: rest.slice(0, i), tag: rest.slice(i + 1) };
}

export function runRoutes(ctx: TwinContext, auth: AuthState, blobs: BlobStore, executor: RunExecutor): Route[] {
  const route = (method: string, pattern: string, operationId: string, handler: Route['handler']): Route => ({
    method,
    pattern,
    operationId,
    apiVersions: ACR_TASKS_API_VERSIONS,
    handler,
  });
  const requireRun = (req: ArmRequest) => {
    const registry = requireRegistry(ctx, auth, req);
    const run = registry.runs.get(req.params.runId!.toLowerCase());
    if (!run) throw resourceNotFound(`${ACR}/registries/${registry.name}/runs/${req.params.runId!}`, registry.resourceGroup);
    return { registry, run };
  };

  return [
    route('POST', `${REGISTRY_PATH}/scheduleRun`, 'Registries_ScheduleRun', (req) => {
      const registry = requireRegistry(ctx, auth, req);
      const body = requireBody(req);
      if (!auth.tasksAllowed) {
        throw new TargetedArmError(
          400,
          'TasksOperationsNotAllowed',
          `ACR Tasks requests for the registry ${registry.name} and ${registry.subscriptionId} are not permitted. Please file an Azure support request at http://aka.ms/azuresupport for assistance.`,
          'request',
        );
      }
      if (body.type !== 'DockerBuildRequest') {
        throw new ArmError(
          400,
          'InvalidRunRequest',
          `The run request type '${String(body.type)}' is not supported by the Azure twin (only DockerBuildRequest).`,
        );
      }
      if (typeof body.dockerFilePath !== 'string' || !body.dockerFilePath)
        throw new ArmError(400, 'InvalidParameter', "The parameter 'dockerFilePath' is required.");
      if (!isObject(body.platform) || typeof body.platform.os !== 'string')
        throw new ArmError(400, 'InvalidParameter', "The parameter 'platform.os' is required.");
      const now = new Date().toISOString();
      const runId = `ca${(++registry.runCounter).toString(36)}`;
      const run: RunRecord = {
        runId,
        status: 'Queued',
        request: body,
        createTime: now,
        lastUpdatedTime: now,
        outputImages: [],
        logPath: `${containerOf(registry)}/logs/${runId}/rawtext.log`,
      };
      registry.runs.set(runId, run);
      // Queued for the operation's latency; an lroFailed fault fails the run.
      ctx.ops.start({
        operationId: 'Registries_ScheduleRun',
        path: `${registryId(registry)}/runQueue/${randomUUID()}`,
        pollApiVersion: req.apiVersion,
        complete: () => executor.start(registry, run),
        fail: (error) => executor.fail(registry, run, `${error.code}: ${error.message}`),
      });
      const view = runView(registry, run);
      delete (view.properties as Record<string, unknown>).runType;
      return ok(view);
    }),
    route('GET', `${REGISTRY_PATH}/runs/{runId}`, 'Runs_Get', (req) => {
      const { registry, run } = requireRun(req);
      return ok(runView(registry, run));
    }),
    route('GET', `${REGISTRY_PATH}/runs`, 'Runs_List', (req) => {
      const registry = requireRegistry(ctx, auth, req);
      return ok({ value: [...registry.runs.values()].reverse().map((r) => runView(registry, r)) });
    }),
    route('POST', `${REGISTRY_PATH}/runs/{runId}/listLogSasUrl`, 'Runs_GetLogSasUrl', (req) => {
      const { run } = requireRun(req);
      return ok({ logLink: blobs.sasUrl(req.baseUrl, run.logPath, 'r') });
    }),
  ];
}
