/**
 * The container app and its health. The app's desired spec is fingerprinted into a tag, so a re-run that
 * would send the same spec sends nothing; the client key is read back from the app's secret, never rotated
 * by a re-run.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ContainerApp } from '@azure/arm-appcontainers';
import { UserError } from '../../core/errors.js';
import { httpFetch } from '../../core/http.js';
import { containerAppSecrets, getContainerApp, putContainerApp } from '../../azure/containerapps.js';
import type { StepHandle } from '../../ui/progress.js';
import type { StepOutcome } from '../graph.js';
import type { ClientAuthPlan } from '../plan.js';
import { settled, succeeded, type UpContext } from './context.js';
import { balancerEnvironment, clientKeySecret, sharedStateEnvironment } from '../../core/balancer-environment.js';
import { sharedStateUrl } from '../../azure/redis.js';

export const specTag = 'aoai-lb-spec';
/** Requests in flight per replica before Container Apps adds one; a replica holds 1,000 open streams (docs/benchmarks.md). */
const concurrentRequestsPerReplica = '100';

export async function ensureApp(up: UpContext): Promise<StepOutcome> {
  const group = up.plan.resourceGroup.name;
  const name = up.plan.containerApp.name;
  const current = await settled(() => getContainerApp(up.arm, group, name), up.timings.settlePollMs);
  const existingKey = current ? (await containerAppSecrets(up.arm, group, name)).get(clientKeySecret) : undefined;
  const clientKey = existingKey || randomBytes(32).toString('base64url');
  up.found.clientKey = clientKey;
  const spec = appSpec(up, clientKey);
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ ...spec, configuration: { ...spec.configuration, secrets: [clientKeySecret] } }))
    .digest('hex')
    .slice(0, 16);
  if (current && succeeded(current) && current.tags[specTag] === fingerprint && existingKey) {
    up.found.fqdn = current.fqdn;
    return 'unchanged';
  }
  await putContainerApp(up.arm, group, name, { ...spec, tags: { ...spec.tags, [specTag]: fingerprint } });
  up.found.fqdn = (await getContainerApp(up.arm, group, name))?.fqdn;
  return current ? 'updated' : 'created';
}

function appSpec(up: UpContext, clientKey: string): ContainerApp {
  const { plan } = up;
  const identity = up.found.identity!;
  const env: Array<{ name: string; value?: string; secretRef?: string }> = [
    { name: 'AZURE_CLIENT_ID', value: identity.clientId },
    ...clientAuthEnv(plan.containerApp.clientAuth),
  ];
  const backends = plan.accounts.map((account) => ({ url: up.found.accounts.get(account.index)?.endpoint ?? account.endpoint, priority: account.priority }));
  for (const [name, value] of Object.entries(balancerEnvironment(backends))) env.push({ name, value });
  const store = storeUrl(up);
  if (store)
    for (const [name, value] of Object.entries(sharedStateEnvironment({ url: store, auth: 'entra', username: identity.principalId })))
      env.push({ name, value });
  const probe = { httpGet: { path: '/healthz', port: plan.containerApp.targetPort } };
  return {
    location: plan.resourceGroup.location,
    tags: plan.tags,
    identity: { type: 'UserAssigned', userAssignedIdentities: { [identity.id]: {} } },
    managedEnvironmentId: up.found.environment!.id,
    configuration: {
      activeRevisionsMode: 'Single',
      ingress: {
        external: true,
        targetPort: plan.containerApp.targetPort,
        transport: 'auto',
        allowInsecure: false,
        traffic: [{ latestRevision: true, weight: 100 }],
      },
      secrets: [{ name: clientKeySecret, value: clientKey }],
      registries: up.found.registry ? [{ server: up.found.registry.loginServer, identity: identity.id }] : [],
    },
    template: {
      containers: [
        {
          name: 'balancer',
          image: up.found.image ?? plan.image,
          resources: { cpu: 0.5, memory: '1Gi' },
          env,
          probes: [
            { type: 'Liveness', ...probe, periodSeconds: 10, failureThreshold: 3 },
            { type: 'Readiness', ...probe, periodSeconds: 5, failureThreshold: 3 },
          ],
        },
      ],
      scale: {
        minReplicas: plan.containerApp.minReplicas,
        maxReplicas: plan.containerApp.maxReplicas,
        rules: [{ name: 'http-concurrency', http: { metadata: { concurrentRequests: concurrentRequestsPerReplica } } }],
      },
    },
  };
}

/** The shared state's URL as Azure reports it (the cluster's hostName, the database's port), with --shared-state. */
export function storeUrl(up: UpContext): string | undefined {
  const { store, storeDatabase } = up.found;
  if (!up.plan.sharedState || !store?.hostName) return undefined;
  return sharedStateUrl(store.hostName, storeDatabase?.port ?? up.plan.sharedState.port);
}

/** The balancer's client-auth settings: its key (a secret reference) unless tokens only, the tenant and allowed clients with tokens. */
function clientAuthEnv(auth: ClientAuthPlan): Array<{ name: string; value?: string; secretRef?: string }> {
  const env: Array<{ name: string; value?: string; secretRef?: string }> = [];
  if (auth.mode !== 'keys') env.push({ name: 'CLIENT_AUTH', value: auth.mode }, { name: 'AZURE_TENANT_ID', value: auth.tenantId! });
  if (auth.mode !== 'entra') env.push({ name: 'CLIENT_API_KEYS', secretRef: clientKeySecret });
  if (auth.mode !== 'keys' && auth.allowedClientIds.length > 0) env.push({ name: 'ALLOWED_CLIENT_IDS', value: auth.allowedClientIds.join(',') });
  return env;
}

/** Waits until https://<fqdn>/healthz answers 200 through the app's public ingress. */
export async function awaitHealthy(up: UpContext, handle: StepHandle): Promise<StepOutcome> {
  const url = `https://${up.found.fqdn}/healthz`;
  const deadline = Date.now() + up.timings.healthTimeoutMs;
  let last: string;
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await httpFetch(url, { signal: AbortSignal.timeout(10_000) });
      await response.arrayBuffer();
      if (response.status === 200) return 'verified';
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    }
    if (Date.now() > deadline) {
      throw new UserError(
        'app-unhealthy',
        `the balancer at https://${up.found.fqdn} did not answer /healthz within ${Math.round(up.timings.healthTimeoutMs / 1000)} s (last: ${last}).`,
        {
          suggestion: 'look at its logs with `aoai-lb logs`, then run `aoai-lb up` again',
        },
      );
    }
    if (attempt > 1) handle.update(`waiting for ${url} (${last})`);
    // A replica usually answers within a second of its revision: ask early, then every healthPollMs.
    await new Promise((resolve) => setTimeout(resolve, Math.min(up.timings.healthPollMs, 250 * 2 ** (attempt - 1))));
  }
}
