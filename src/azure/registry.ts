/**
 * Azure Container Registry and ACR Tasks: the registry, and a remote build of a packed Docker context
 * (upload URL → blob PUT → scheduleRun → run log blob → run status), as azd does it (azure-provisioning.md §3).
 */
import { registryClient, type ArmContext } from './clients.js';
import { ifExists } from './errors.js';

export interface RegistryState {
  id: string;
  loginServer: string;
  provisioningState: string | undefined;
}

export async function getRegistry(context: ArmContext, group: string, name: string): Promise<RegistryState | undefined> {
  const client = await registryClient(context);
  return ifExists(async () => {
    const registry = await client.registries.get(group, name);
    return { id: registry.id ?? '', loginServer: registry.loginServer ?? '', provisioningState: registry.provisioningState };
  });
}

export async function putRegistry(context: ArmContext, group: string, name: string, location: string, tags: Record<string, string>): Promise<RegistryState> {
  const client = await registryClient(context);
  const registry = await client.registries.beginCreateAndWait(group, name, { location, tags, sku: { name: 'Basic' }, adminUserEnabled: false });
  return { id: registry.id ?? '', loginServer: registry.loginServer ?? '', provisioningState: registry.provisioningState };
}

export interface RunState {
  runId: string;
  status: string;
  errorMessage: string | undefined;
  images: string[];
}

const terminalRunStatus = new Set(['Succeeded', 'Failed', 'Canceled', 'Error', 'Timeout']);
export const isRunFinished = (status: string): boolean => terminalRunStatus.has(status);

/** The newest run that pushed `image` (registry/repository:tag), if any. */
export async function findRunFor(context: ArmContext, group: string, registry: string, image: string): Promise<RunState | undefined> {
  const client = await registryClient(context);
  let newest: { run: RunState; created: number } | undefined;
  for await (const run of client.runs.list(group, registry)) {
    const state = toRunState(run);
    if (!state.images.includes(image)) continue;
    const created = run.createTime?.getTime() ?? 0;
    if (!newest || created > newest.created) newest = { run: state, created };
  }
  return newest?.run;
}

export async function uploadUrl(context: ArmContext, group: string, registry: string): Promise<{ uploadUrl: string; relativePath: string }> {
  const client = await registryClient(context);
  const result = await client.registries.getBuildSourceUploadUrl(group, registry);
  return { uploadUrl: result.uploadUrl ?? '', relativePath: result.relativePath ?? '' };
}

export async function scheduleBuild(context: ArmContext, group: string, registry: string, input: { sourceLocation: string; image: string }): Promise<RunState> {
  const client = await registryClient(context);
  const run = await client.registries.beginScheduleRunAndWait(group, registry, {
    type: 'DockerBuildRequest',
    dockerFilePath: 'Dockerfile',
    sourceLocation: input.sourceLocation,
    imageNames: [input.image],
    isPushEnabled: true,
    platform: { os: 'Linux', architecture: 'amd64' },
    timeout: 3600,
  });
  return toRunState(run);
}

export async function getRun(context: ArmContext, group: string, registry: string, runId: string): Promise<RunState> {
  const client = await registryClient(context);
  return toRunState(await client.runs.get(group, registry, runId));
}

export async function runLogUrl(context: ArmContext, group: string, registry: string, runId: string): Promise<string> {
  const client = await registryClient(context);
  return (await client.runs.getLogSasUrl(group, registry, runId)).logLink ?? '';
}

function toRunState(run: {
  runId?: string;
  status?: string;
  runErrorMessage?: string;
  outputImages?: Array<{ registry?: string; repository?: string; tag?: string }>;
}): RunState {
  return {
    runId: run.runId ?? '',
    status: run.status ?? 'Queued',
    errorMessage: run.runErrorMessage,
    images: (run.outputImages ?? []).map((image) => `${image.registry ?? ''}/${image.repository ?? ''}:${image.tag ?? ''}`),
  };
}
