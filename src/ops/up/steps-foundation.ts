/** The steps every topology needs: resource group, Log Analytics workspace, Container Apps environment, identity. */
import { UserError } from '../../core/errors.js';
import { getManagedEnvironment, putManagedEnvironment } from '../../azure/containerapps.js';
import { getResourceGroup, putResourceGroup } from '../../azure/groups.js';
import { getIdentity, putIdentity } from '../../azure/identity.js';
import { getWorkspace, putWorkspace, workspaceSharedKey } from '../../azure/monitor.js';
import type { StepOutcome } from '../graph.js';
import { ownerTag } from '../plan.js';
import { settled, succeeded, type UpContext } from './context.js';

export async function ensureGroup(up: UpContext): Promise<StepOutcome> {
  const { name, location } = up.plan.resourceGroup;
  const group = await settled(() => getResourceGroup(up.arm, name), up.timings.settlePollMs);
  if (group) {
    const owner = group.tags[ownerTag];
    if (owner !== undefined && owner !== up.environmentName) {
      throw new UserError('group-not-ours', `resource group ${name} belongs to aoai-lb environment "${owner}", not "${up.environmentName}".`, {
        suggestion: 'use another environment name, or work on that environment with --env',
      });
    }
    if (group.location.replace(/\s/g, '').toLowerCase() !== location.toLowerCase()) {
      throw new UserError('group-location', `resource group ${name} already exists in ${group.location}, not ${location}.`, {
        suggestion: `run with --location ${group.location.replace(/\s/g, '').toLowerCase()}, or use another environment name`,
      });
    }
    if (Object.entries(up.plan.tags).every(([key, value]) => group.tags[key] === value)) return 'unchanged';
    await putResourceGroup(up.arm, name, group.location, { ...group.tags, ...up.plan.tags });
    return 'updated';
  }
  await putResourceGroup(up.arm, name, location, up.plan.tags);
  return 'created';
}

export async function ensureWorkspace(up: UpContext): Promise<StepOutcome> {
  const group = up.plan.resourceGroup;
  const current = await settled(() => getWorkspace(up.arm, group.name, up.plan.workspace.name), up.timings.settlePollMs);
  if (succeeded(current)) {
    up.found.workspace = current;
    return 'unchanged';
  }
  up.found.workspace = await putWorkspace(up.arm, group.name, up.plan.workspace.name, group.location, up.plan.tags);
  return current ? 'updated' : 'created';
}

export async function ensureEnvironment(up: UpContext): Promise<StepOutcome> {
  const group = up.plan.resourceGroup;
  const workspace = up.found.workspace!;
  const current = await settled(() => getManagedEnvironment(up.arm, group.name, up.plan.environment.name), up.timings.settlePollMs);
  if (succeeded(current) && current!.customerId === workspace.customerId) {
    up.found.environment = current;
    return 'unchanged';
  }
  const sharedKey = await workspaceSharedKey(up.arm, group.name, up.plan.workspace.name);
  up.found.environment = await putManagedEnvironment(up.arm, group.name, up.plan.environment.name, {
    location: group.location,
    tags: up.plan.tags,
    customerId: workspace.customerId,
    sharedKey,
  });
  return current ? 'updated' : 'created';
}

export async function ensureIdentity(up: UpContext): Promise<StepOutcome> {
  const group = up.plan.resourceGroup;
  const current = await getIdentity(up.arm, group.name, up.plan.identity.name);
  if (current) {
    up.found.identity = current;
    return 'unchanged';
  }
  up.found.identity = await putIdentity(up.arm, group.name, up.plan.identity.name, group.location, up.plan.tags);
  return 'created';
}
