/**
 * `aoai-lb up`: resolve the environment, sign in, choose the subscription and regions, plan, check
 * quota, then run the step graph and record the outcome in the azd environment. Every step reads before
 * it writes, so a re-run changes nothing that is already right and an interrupted run finishes.
 */
import { fileURLToPath } from 'node:url';
import type { ArmContext } from '../../azure/clients.js';
import { failedOn } from '../../azure/errors.js';
import { getAccount, getDeployment } from '../../azure/openai.js';
import { subscriptionTenant } from '../../azure/subscription.js';
import type { Reporter } from '../../ui/progress.js';
import { runGraph, type StepReport } from '../graph.js';
import { chooseEnvironment, signedIn, type SessionIo } from '../session.js';
import { plan as makePlan, type Plan } from '../plan.js';
import { defaultTimings, type UpContext, type UpTimings } from './context.js';
import { packContext } from './pack-context.js';
import { pickRegions, preflight, type QuotaAsk } from '../quota.js';
import { checkFlags, keys, requestedSettings, type UpFlags } from './settings.js';
import { outputKeys } from '../../env/keys.js';
import { stepRunner } from './steps.js';
import { environmentOutputs, upResult, type UpResult } from './outputs.js';

export type { UpFlags } from './settings.js';
export type { UpResult } from './outputs.js';

export interface UpIo extends SessionIo {
  reporter: Reporter;
  timings?: Partial<UpTimings>;
}

export const templateDir = fileURLToPath(new URL('../../../templates/balancer/', import.meta.url));

export type UpOutcome = { kind: 'dry-run'; plan: Plan; subscriptionId: string } | { kind: 'done'; result: UpResult };

export async function runUp(flags: UpFlags, io: UpIo): Promise<UpOutcome> {
  checkFlags(flags);
  const environment = await chooseEnvironment(flags, 'name one: `aoai-lb up --env dev` (it is created, selected and kept in .azure/dev/.env)', {
    prompt: io.interactive,
  });
  const { store, name: environmentName } = environment;
  const requested = requestedSettings(flags, environment.values, io.processEnv);
  const { arm, subscription } = await signedIn(environment, flags, io);
  io.reporter.info(`subscription ${subscription.id} (${subscription.source}), environment ${environmentName}`);

  const ask: QuotaAsk = { sku: requested.sku, models: [requested.chat.model, requested.embedding.model], capacity: requested.capacity };
  const regions =
    requested.regions === 'auto' ? await withArmErrors(() => pickRegions(arm, ask, requested.accountCount), 'choosing regions') : requested.regions;
  const location = requested.location ?? regions[0]!;
  const packed = requested.image ? undefined : await packContext(templateDir);
  const imageTag = packed?.contentTag;
  const plan = makePlan({
    environmentName,
    subscriptionId: subscription.id,
    location,
    regions,
    chat: requested.chat,
    embedding: requested.embedding,
    sku: requested.sku,
    capacity: requested.capacity,
    ...(requested.priorities ? { priorities: requested.priorities } : {}),
    ...(requested.image ? { image: requested.image } : {}),
    ...(imageTag ? { imageTag } : {}),
    sharedState: requested.sharedState,
    clientAuth: {
      mode: requested.clientAuth,
      allowedClientIds: requested.allowedClientIds,
      ...(requested.clientAuth === 'keys'
        ? {}
        : { tenantId: await withArmErrors(() => subscriptionTenant(arm, subscription.id), "reading the subscription's tenant") }),
    },
  });

  const ours = await withArmErrors(() => deployedCapacity(arm, plan), 'reading existing deployments');
  await withArmErrors(() => preflight(arm, ask, regions, ours), 'checking quota');
  if (flags.dryRun) return { kind: 'dry-run', plan, subscriptionId: subscription.id };

  // Recorded before anything is created, so an interrupted run resumes with the same choices.
  await store.create(environmentName);
  await store.setDefaultEnvironment(environmentName);
  await store.update(environmentName, {
    [keys.subscription]: subscription.id,
    [keys.location]: location,
    AZURE_RESOURCE_GROUP: plan.resourceGroup.name,
    [keys.regions]: regions.join(','),
    [keys.capacity]: String(requested.capacity),
    [keys.sku]: requested.sku,
    [keys.chatModel]: `${requested.chat.model.name}:${requested.chat.model.version}`,
    [keys.embeddingModel]: `${requested.embedding.model.name}:${requested.embedding.model.version}`,
    [keys.chatDeployment]: requested.chat.deployment,
    [keys.embeddingDeployment]: requested.embedding.deployment,
    [keys.priorities]: requested.priorities?.join(','),
    [keys.image]: requested.image,
    [keys.clientAuth]: requested.clientAuth === 'keys' ? undefined : requested.clientAuth,
    [keys.allowedClientIds]: requested.allowedClientIds.join(',') || undefined,
    [keys.sharedState]: requested.sharedState ? 'true' : undefined,
  });
  if (!requested.sharedState && environment.values[outputKeys.sharedStateName]) {
    io.reporter.info(
      `the balancer stops sharing state; Azure Managed Redis ${environment.values[outputKeys.sharedStateName]} is kept (and billed): delete it with \`az redisenterprise delete -g ${plan.resourceGroup.name} -n ${environment.values[outputKeys.sharedStateName]}\`, or everything with \`aoai-lb down\``,
    );
  }

  const up: UpContext = {
    arm,
    plan,
    environmentName,
    templateDir,
    ...(packed ? { packed } : {}),
    timings: { ...defaultTimings, ...io.timings },
    noted: environment.values,
    note: async (values) => {
      await store.update(environmentName, values);
    },
    found: { accounts: new Map(), ...(requested.image ? { image: requested.image } : {}) },
  };
  const started = Date.now();
  const steps: StepReport[] = await runGraph(plan.steps, stepRunner(up), io.reporter);
  await store.update(environmentName, environmentOutputs(up));
  return { kind: 'done', result: upResult(up, subscription.id, steps, (Date.now() - started) / 1000, flags.showKey === true) };
}

/** Capacity this environment's deployments already hold, by region and usage name. */
async function deployedCapacity(arm: ArmContext, plan: Plan): Promise<Map<string, number>> {
  const held = new Map<string, number>();
  await Promise.all(
    plan.accounts.map(async (account) => {
      if (!(await getAccount(arm, plan.resourceGroup.name, account.name))) return;
      for (const deployment of account.deployments) {
        const current = await getDeployment(arm, plan.resourceGroup.name, account.name, deployment.name);
        if (!current?.sku.capacity || !current.model.name) continue;
        const key = `${account.region}|OpenAI.${current.sku.name}.${current.model.name}`;
        held.set(key, (held.get(key) ?? 0) + current.sku.capacity);
      }
    }),
  );
  return held;
}

async function withArmErrors<T>(work: () => Promise<T>, what: string): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw failedOn(error, { resource: what });
  }
}
