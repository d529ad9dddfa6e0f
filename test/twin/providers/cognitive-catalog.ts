// Per-region read models: usages.list(location), models.list(location) (ListLocationModels.json shape)
// and locationBasedModelCapacities.list (ListLocationBasedModelCapacities.json shape).
import { ArmError, normalizeLocation, ok, type ArmRequest } from '../arm.js';
import { usageNameOf } from '../catalog.js';
import type { TwinContext } from '../context.js';
import type { Route } from '../router.js';
import { CS, CS_API_VERSIONS, LOCATION_PATH, locationNotAvailable, usageOf } from './cognitive-shared.js';
import { quotaDisplayName } from './cognitive-deployments.js';

const ACCOUNT_LIMIT = 200;

export function catalogRoutes(ctx: TwinContext): Route[] {
  const route = (pattern: string, operationId: string, handler: Route['handler']): Route => ({
    method: 'GET',
    pattern,
    operationId,
    apiVersions: CS_API_VERSIONS,
    handler,
  });
  const region = (req: ArmRequest) => {
    ctx.state.requireSubscription(req.params.subscriptionId!);
    const loc = req.params.location!;
    if (!ctx.catalog.regions().includes(normalizeLocation(loc))) throw locationNotAvailable(ctx, loc);
    return loc;
  };

  return [
    route(`${LOCATION_PATH}/usages`, 'Usages_List', (req) => {
      const loc = region(req);
      const sub = req.params.subscriptionId!;
      const accounts = ctx.state.accountsIn(sub).filter((a) => normalizeLocation(a.location) === normalizeLocation(loc)).length;
      const value: unknown[] = [
        {
          name: { value: 'AccountCount', localizedValue: 'Cognitive Services total account limit' },
          currentValue: accounts,
          limit: ACCOUNT_LIMIT,
          unit: 'Count',
        },
      ];
      const seen = new Set<string>();
      for (const m of ctx.catalog.models(loc)) {
        for (const sku of m.skus) {
          const usageName = usageNameOf(sku, m.name);
          if (seen.has(usageName)) continue;
          seen.add(usageName);
          value.push({
            name: { value: usageName, localizedValue: quotaDisplayName(sku, m.name) },
            currentValue: usageOf(ctx, sub, loc, usageName),
            limit: ctx.catalog.limit(loc, usageName),
            unit: 'Count',
          });
        }
      }
      return ok({ value });
    }),

    route(`${LOCATION_PATH}/models`, 'Models_List', (req) => {
      const loc = region(req);
      return ok({
        value: ctx.catalog.models(loc).map((m) => ({
          kind: 'OpenAI',
          skuName: 'S0',
          model: {
            format: m.format,
            name: m.name,
            version: m.version,
            isDefaultVersion: m.isDefaultVersion ?? false,
            capabilities: m.embedding ? { embeddings: 'true', maxContextToken: '8192' } : { chatCompletion: 'true', maxContextToken: '128000' },
            lifecycleStatus: 'GenerallyAvailable',
            skus: m.skus.map((sku) => {
              const usageName = usageNameOf(sku, m.name);
              const limit = ctx.catalog.limit(loc, usageName);
              return { name: sku, usageName, capacity: { minimum: 1, maximum: limit, step: 1, default: Math.min(limit, sku === 'Standard' ? 10 : 50) } };
            }),
            systemData: { createdBy: 'Microsoft', createdAt: '2024-07-18T00:00:00Z', lastModifiedBy: 'Microsoft', lastModifiedAt: '2024-07-18T00:00:00Z' },
          },
        })),
      });
    }),

    route(`${LOCATION_PATH}/modelCapacities`, 'LocationBasedModelCapacities_List', (req) => {
      const loc = region(req);
      const format = req.query.get('modelFormat');
      const name = req.query.get('modelName');
      const version = req.query.get('modelVersion');
      if (!format || !name || !version) {
        throw new ArmError(400, 'InvalidRequestParameter', "The query parameters 'modelFormat', 'modelName' and 'modelVersion' are required.");
      }
      const offer = ctx.catalog.find(loc, format, name, version);
      const sub = req.params.subscriptionId!;
      return ok({
        value: (offer?.skus ?? []).map((sku) => {
          const usageName = usageNameOf(sku, offer!.name);
          return {
            id: `/subscriptions/${sub}/providers/${CS}/locations/${loc}/models/${format}.${name}.${version}/skuCapacities/${sku}`,
            type: `${CS}/locations/models/skuCapacities`,
            name: sku,
            location: loc,
            properties: {
              model: { format: offer!.format, name: offer!.name, version: offer!.version },
              skuName: sku,
              availableCapacity: Math.max(0, ctx.catalog.limit(loc, usageName) - usageOf(ctx, sub, loc, usageName)),
              availableFinetuneCapacity: 0,
            },
          };
        }),
      });
    }),
  ];
}
