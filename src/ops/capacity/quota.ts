/**
 * The quota check before a capacity change. Quota is per subscription, region, SKU and model; what this
 * environment's deployments hold already counts as available to them (as in up's preflight), so only
 * the increase must be free. A region where nothing grows is not asked at all.
 */
import type { ArmContext } from '../../azure/clients.js';
import { UserError } from '../../core/errors.js';
import { quotaTable, regionQuota, type QuotaAsk, type RegionQuota } from '../quota.js';
import type { DeploymentSku } from '../plan.js';
import type { AccountDeployments, DeployedModel } from './targets.js';

interface Pool {
  region: string;
  sku: string;
  model: DeployedModel['model'];
  /** What our deployments drawing on this quota hold now, and would hold after the change. */
  held: number;
  needed: number;
  /** Of `held`, what the deployments that keep their capacity hold; and how many deployments change. */
  keptHeld: number;
  changing: number;
}

export async function checkQuota(
  arm: ArmContext,
  accounts: AccountDeployments[],
  isChanging: (d: DeployedModel) => boolean,
  capacity: number,
  commandFor: (capacity: number) => string,
): Promise<void> {
  const growing = pools(accounts, isChanging, capacity).filter((pool) => pool.needed > pool.held);
  if (growing.length === 0) return;
  // Every growing model is asked in every growing region, so the table has no holes.
  const asks = new Map<string, { region: string; ask: QuotaAsk }>();
  for (const pool of growing) {
    const models = uniqueModels(growing.filter((p) => p.sku === pool.sku));
    asks.set(`${pool.region}|${pool.sku}`, { region: pool.region, ask: { sku: pool.sku as DeploymentSku, models, capacity } });
  }
  const quotas = await Promise.all([...asks.values()].map(({ region, ask }) => regionQuota(arm, region, ask)));
  const short: string[] = [];
  let fits = Number.POSITIVE_INFINITY;
  for (const pool of growing) {
    const free = freeFor(quotas, pool);
    const available = free + pool.held;
    fits = Math.min(fits, Math.floor((available - pool.keptHeld) / pool.changing));
    if (pool.needed > available) {
      short.push(
        `${pool.region} ${pool.model.name} (${pool.sku}): needs ${pool.needed}K, ${available}K available (${free}K free + ${pool.held}K this environment holds)`,
      );
    }
  }
  if (short.length === 0) return;
  const models = uniqueModels(growing);
  const table = quotaTable({ sku: growing[0]!.sku as DeploymentSku, models, capacity }, rows(quotas, models));
  const lower = fits >= 1 ? `\`${commandFor(fits)}\` (the most every region can hold), ` : '';
  throw new UserError(
    'insufficient-quota',
    `not enough Azure OpenAI quota for ${capacity}K TPM per deployment: ${short.join('; ')}. Nothing was changed.\nfree TPM by region:\n${table}`,
    {
      suggestion: `use ${lower}or request more quota at https://aka.ms/oai/quotaincrease, then run it again`,
    },
  );
}

function pools(accounts: AccountDeployments[], isChanging: (d: DeployedModel) => boolean, capacity: number): Pool[] {
  const byKey = new Map<string, Pool>();
  for (const d of accounts.flatMap((account) => account.deployments)) {
    const key = `${d.region}|${d.sku}|${d.model.name}|${d.model.version}`;
    const pool = byKey.get(key) ?? { region: d.region, sku: d.sku, model: d.model, held: 0, needed: 0, keptHeld: 0, changing: 0 };
    const changing = isChanging(d);
    pool.held += d.capacity;
    pool.needed += changing ? capacity : d.capacity;
    if (changing) pool.changing += 1;
    else pool.keptHeld += d.capacity;
    byKey.set(key, pool);
  }
  return [...byKey.values()];
}

function freeFor(quotas: RegionQuota[], pool: Pool): number {
  const quota = quotas.find(
    (q) => q.region === pool.region && q.models.some((m) => m.model.name === pool.model.name && m.model.version === pool.model.version),
  );
  return quota?.models.find((m) => m.model.name === pool.model.name && m.model.version === pool.model.version)?.free ?? 0;
}

function uniqueModels(list: Pool[]): DeployedModel['model'][] {
  const seen = new Map(list.map((pool) => [`${pool.model.name}:${pool.model.version}`, pool.model]));
  return [...seen.values()];
}

/** One row per region, every model of the table in every row (a region that did not grow is not shown). */
function rows(quotas: RegionQuota[], models: DeployedModel['model'][]): RegionQuota[] {
  const byRegion = new Map<string, RegionQuota>();
  for (const quota of quotas) {
    const row = byRegion.get(quota.region) ?? { region: quota.region, models: [] };
    row.models.push(...quota.models);
    byRegion.set(quota.region, row);
  }
  return [...byRegion.values()].map((row) => ({
    region: row.region,
    models: models.map(
      (model) => row.models.find((m) => m.model.name === model.name && m.model.version === model.version) ?? { model, offered: true, usageName: '', free: 0 },
    ),
  }));
}
