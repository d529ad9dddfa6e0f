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
/** The environment key holding "<run id> <image>" of the last build `up` scheduled. */
export const buildRunKey = 'BALANCER_BUILD_RUN';

export async function ensureImage(up: UpContext, handle: StepHandle): Promise<StepOutcome> {
  const group = up.plan.resourceGroup.name;
  up.packed ??= await packContext(up.templateDir);
  const packed = up.packed;
  // The registry's own login server: it differs by cloud (azurecr.io, azurecr.cn, azurecr.us).
  const image = `${up.found.registry!.loginServer}/${imageRepository}:${packed.contentTag}`;
  up.found.image = image;
  const registry = up.plan.registry!.name;
  const previous = await findRunFor(up.arm, group, registry, image);
  if (previous?.status === 'Succeeded') return 'unchanged';

  // A run an interrupted `up` started for this same image is followed, not started again: ARM does not
  // show a run's image before it pushes, so the run id was noted in the environment.
  const noted = up.noted[buildRunKey]?.split(' ');
  const pending = noted?.[1] === image ? await getRun(up.arm, group, registry, noted[0]!).catch(() => undefined) : undefined;
  let run = pending && !isRunFinished(pending.status) ? pending : undefined;
  if (run) {
    handle.update(`following build ${run.runId}, started by an earlier run`);
  } else {
    handle.update(`uploading the build context (${packed.files.length} files, ${Math.ceil(packed.archive.length / 1024)} KiB)`);
    const upload = await uploadUrl(up.arm, group, registry);
    await putBlockBlob(upload.uploadUrl, packed.archive);
    run = await scheduleBuild(up.arm, group, registry, { sourceLocation: upload.relativePath, image });
    await up.note({ [buildRunKey]: `${run.runId} ${image}` });
    handle.update(`build ${run.runId} queued`);
  }
  const build = run;

  let log = '';
  const logUrl = await runLogUrl(up.arm, group, registry, build.runId);
  await followLogBlob(logUrl, {
    intervalMs: up.timings.buildLogPollMs,
    onText: (text) => {
      log += text;
      const last = log.trimEnd().split('\n').at(-1)?.trim();
      if (last) handle.update(`build ${build.runId}: ${last.slice(0, 100)}`);
    },
    shouldStop: async () => isRunFinished((await getRun(up.arm, group, registry, build.runId)).status),
  });
  let final = await getRun(up.arm, group, registry, build.runId);
  while (!isRunFinished(final.status)) {
    await new Promise((resolve) => setTimeout(resolve, up.timings.buildLogPollMs));
    final = await getRun(up.arm, group, registry, build.runId);
  }
  if (final.status !== 'Succeeded') {
    const tail = log
      .trimEnd()
      .split('\n')
      .slice(-logTailLines)
      .map((line) => `    ${line}`)
      .join('\n');
    throw new UserError(
      'build-failed',
      `the remote build of the balancer image (run ${build.runId}) ended ${final.status}${final.errorMessage ? `: ${final.errorMessage}` : ''}.\n  last lines of the build log:\n${tail}`,
      {
        suggestion: 'fix the Dockerfile or the template, then run `aoai-lb up` again; or deploy a prebuilt image with --image',
      },
    );
  }
  return 'created';
}
