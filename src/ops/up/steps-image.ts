/**
 * The image steps: the registry, and a remote ACR Tasks build of templates/balancer (pack, upload,
 * schedule, follow the log under the spinner, show the log's tail on failure). A build whose content tag
 * already succeeded is not built again.
 */
import { UserError } from '../../core/errors.js';
import { followLogBlob, putBlockBlob } from '../../azure/blob.js';
import { findRunFor, getRegistry, getRun, isRunFinished, putRegistry, runLogUrl, scheduleBuild, uploadUrl } from '../../azure/registry.js';
import type { StepHandle } from '../../ui/progress.js';
import type { StepOutcome } from '../graph.js';
import { imageRepository } from '../plan.js';
import { settled, succeeded, type UpContext } from './context.js';
import { packContext } from './pack-context.js';

export async function ensureRegistry(up: UpContext): Promise<StepOutcome> {
  const group = up.plan.resourceGroup;
  const name = up.plan.registry!.name;
  const current = await settled(() => getRegistry(up.arm, group.name, name), up.timings.settlePollMs);
  if (succeeded(current)) {
    up.found.registry = current;
    return 'unchanged';
  }
  up.found.registry = await putRegistry(up.arm, group.name, name, group.location, up.plan.tags);
  return current ? 'updated' : 'created';
}

const logTailLines = 25;

export async function ensureImage(up: UpContext, handle: StepHandle): Promise<StepOutcome> {
  const group = up.plan.resourceGroup.name;
  up.packed ??= await packContext(up.templateDir);
  const packed = up.packed;
  // The registry's own login server: it differs by cloud (azurecr.io, azurecr.cn, azurecr.us).
  const image = `${up.found.registry!.loginServer}/${imageRepository}:${packed.contentTag}`;
  up.found.image = image;
  const previous = await findRunFor(up.arm, group, up.plan.registry!.name, image);
  if (previous?.status === 'Succeeded') return 'unchanged';

  handle.update(`uploading the build context (${packed.files.length} files, ${Math.ceil(packed.archive.length / 1024)} KiB)`);
  const upload = await uploadUrl(up.arm, group, up.plan.registry!.name);
  await putBlockBlob(upload.uploadUrl, packed.archive);
  const run = await scheduleBuild(up.arm, group, up.plan.registry!.name, { sourceLocation: upload.relativePath, image });
  handle.update(`build ${run.runId} queued`);

  let log = '';
  const logUrl = await runLogUrl(up.arm, group, up.plan.registry!.name, run.runId);
  await followLogBlob(logUrl, {
    intervalMs: up.timings.buildLogPollMs,
    onText: (text) => {
      log += text;
      const last = log.trimEnd().split('\n').at(-1)?.trim();
      if (last) handle.update(`build ${run.runId}: ${last.slice(0, 100)}`);
    },
    shouldStop: async () => isRunFinished((await getRun(up.arm, group, up.plan.registry!.name, run.runId)).status),
  });
  let final = await getRun(up.arm, group, up.plan.registry!.name, run.runId);
  while (!isRunFinished(final.status)) {
    await new Promise((resolve) => setTimeout(resolve, up.timings.buildLogPollMs));
    final = await getRun(up.arm, group, up.plan.registry!.name, run.runId);
  }
  if (final.status !== 'Succeeded') {
    const tail = log.trimEnd().split('\n').slice(-logTailLines).map((line) => `    ${line}`).join('\n');
    throw new UserError('build-failed', `the remote build of the balancer image (run ${run.runId}) ended ${final.status}${final.errorMessage ? `: ${final.errorMessage}` : ''}.\n  last lines of the build log:\n${tail}`, {
      suggestion: 'fix the Dockerfile or the template, then run `aoai-lb up` again; or deploy a prebuilt image with --image',
    });
  }
  return 'created';
}
