// Client-side helpers for tests and later sessions: what azd's remote build does against ACR (reference
// §3), with the real ContainerRegistryManagementClient plus bare https for the blob SAS URLs.
import { request, type Agent } from 'node:https';
import { setTimeout as delay } from 'node:timers/promises';
import type { ContainerRegistryManagementClient, Run } from '@azure/arm-containerregistry';

export interface BlobAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const TERMINAL = ['Succeeded', 'Failed', 'Canceled', 'Error', 'Timeout'];

/** A bare https request to a blob SAS URL (what azd's azblob client does), trusting the twin's CA via `agent`. */
export function blobRequest(agent: Agent, method: string, url: string, headers: Record<string, string> = {}, body?: Buffer): Promise<BlobAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Uploads a tar.gz context, schedules a DockerBuildRequest and polls runs.get to a terminal state. */
export async function remoteBuild(
  acr: ContainerRegistryManagementClient,
  agent: Agent,
  rg: string,
  registry: string,
  context: Buffer,
  imageNames: string[],
  pollMs = 20,
): Promise<{ run: Run; logLink: string }> {
  const upload = await acr.registries.getBuildSourceUploadUrl(rg, registry);
  const put = await blobRequest(agent, 'PUT', upload.uploadUrl!, { 'x-ms-blob-type': 'BlockBlob', 'Content-Type': 'application/octet-stream' }, context);
  if (put.status !== 201) throw new Error(`upload answered ${put.status}: ${put.body.toString('utf8')}`);
  const queued = await acr.registries.beginScheduleRunAndWait(
    rg,
    registry,
    {
      type: 'DockerBuildRequest',
      dockerFilePath: 'Dockerfile',
      sourceLocation: upload.relativePath,
      imageNames,
      isPushEnabled: true,
      platform: { os: 'Linux', architecture: 'amd64' },
    },
    { updateIntervalInMs: 5 },
  );
  const { logLink } = await acr.runs.getLogSasUrl(rg, registry, queued.runId!);
  let run = queued;
  while (!TERMINAL.includes(run.status!)) {
    await delay(pollMs); // azd polls every second
    run = await acr.runs.get(rg, registry, queued.runId!);
  }
  return { run, logLink: logLink! };
}
