/**
 * The quota preflight: before anything is created, every region must offer the models with the SKU and
 * have enough free tokens-per-minute quota for the deployments placed there (quota is per subscription,
 * region and model). Capacity this environment already deployed counts as available to it, so a re-run
 * or a capacity change asks only for the difference.
 */
import { UserError } from '../core/errors.js';
import type { ArmContext } from '../azure/clients.js';
import { modelsIn, usagesIn, type ModelOffer, type Usage } from '../azure/openai.js';
import { openaiRegions } from '../azure/openai-regions.js';
import { armErrorOf } from '../azure/errors.js';
import type { DeploymentSku, ModelChoice } from './plan.js';

/** ARM's answers for a region a subscription or resource type cannot use. */
const regionUnavailable = new Set([
  'LocationNotAvailableForResourceType',
  'NoRegisteredProviderFound',
  'InvalidLocation',
  'LocationNotAvailable',
  'DisallowedLocation',
]);

export interface RegionQuota {
  region: string;
  /** Per model: offered with the SKU, and free capacity (thousands of TPM) for its usage name. */
  models: Array<{ model: ModelChoice; offered: boolean; usageName: string; free: number }>;
}

export interface QuotaAsk {
  sku: DeploymentSku;
  models: ModelChoice[];
  /** Capacity per deployment, in thousands of TPM. */
  capacity: number;
}

export async function regionQuota(context: ArmContext, region: string, ask: QuotaAsk): Promise<RegionQuota> {
  let offers: ModelOffer[] = [];
  let usages = new Map<string, Usage>();
  try {
    [offers, usages] = await Promise.all([modelsIn(context, region), usagesIn(context, region)]);
  } catch (error) {
    // A region the subscription cannot use offers nothing there; any other failure is a failure.
    if (!regionUnavailable.has(armErrorOf(error)?.code ?? '')) throw error;
  }
  return {
    region,
    models: ask.models.map((model) => {
      const sku = offers.find((offer) => offer.name === model.name && offer.version === model.version)?.skus.find((s) => s.name === ask.sku);
      const usageName = sku?.usageName ?? `OpenAI.${ask.sku}.${model.name}`;
      const usage = usages.get(usageName);
      return { model, offered: sku !== undefined, usageName, free: usage ? Math.max(0, usage.limit - usage.current) : 0 };
    }),
  };
}

/** The regions with the most free quota for every model; throws the preflight table when fewer than `count` fit. */
export async function pickRegions(context: ArmContext, ask: QuotaAsk, count: number): Promise<string[]> {
  const quotas = await Promise.all(openaiRegions.map((region) => regionQuota(context, region, ask)));
  const fitting = quotas
    .filter((quota) => quota.models.every((m) => m.offered && m.free >= ask.capacity))
    .sort((a, b) => headroom(b) - headroom(a) || a.region.localeCompare(b.region));
  if (fitting.length >= count) return fitting.slice(0, count).map((quota) => quota.region);
  throw shortage(ask, quotas, `only ${fitting.length} region(s) have ${ask.capacity}K TPM free for every model, ${count} are needed`, count);
}

/**
 * Checks the chosen regions. `alreadyOurs` is capacity this environment deployed there (by region and
 * usage name), which a re-run keeps.
 */
export async function preflight(context: ArmContext, ask: QuotaAsk, regions: string[], alreadyOurs: Map<string, number>): Promise<RegionQuota[]> {
  const quotas = await Promise.all([...new Set(regions)].map((region) => regionQuota(context, region, ask)));
  const notOffered = quotas.flatMap((quota) =>
    quota.models.filter((m) => !m.offered).map((m) => `${m.model.name} ${m.model.version} (${ask.sku}) in ${quota.region}`),
  );
  if (notOffered.length > 0) {
    throw new UserError('model-not-offered', `the region does not offer the model with this SKU: ${notOffered.join('; ')}.`, {
      suggestion: 'pick regions that offer it (--regions auto), another version (--chat-model / --embedding-model name:version), or --sku GlobalStandard',
    });
  }
  const short: string[] = [];
  for (const quota of quotas) {
    const accountsHere = regions.filter((region) => region === quota.region).length;
    for (const m of quota.models) {
      const needed = ask.capacity * accountsHere;
      const available = m.free + (alreadyOurs.get(`${quota.region}|${m.usageName}`) ?? 0);
      if (needed > available) short.push(`${quota.region} ${m.usageName}: needs ${needed}K, ${available}K free`);
    }
  }
  if (short.length > 0) {
    const others = await Promise.all(openaiRegions.filter((region) => !regions.includes(region)).map((region) => regionQuota(context, region, ask)));
    throw shortage(ask, [...quotas, ...others], short.join('; '), regions.length, regions, alreadyOurs);
  }
  return quotas;
}

const headroom = (quota: RegionQuota): number => Math.min(...quota.models.map((m) => m.free));

/** The largest capacity per deployment that the chosen regions can all hold (several accounts in a region share it). */
function fittingCapacity(quotas: RegionQuota[], chosen: string[], alreadyOurs: Map<string, number>): number {
  let fits = Number.POSITIVE_INFINITY;
  for (const quota of quotas.filter((q) => chosen.includes(q.region))) {
    const accountsHere = chosen.filter((region) => region === quota.region).length;
    for (const m of quota.models) fits = Math.min(fits, Math.floor((m.free + (alreadyOurs.get(`${quota.region}|${m.usageName}`) ?? 0)) / accountsHere));
  }
  return Number.isFinite(fits) ? fits : 0;
}

function shortage(ask: QuotaAsk, quotas: RegionQuota[], why: string, count: number, chosen: string[] = [], alreadyOurs = new Map<string, number>()): UserError {
  const rows = quotas
    .filter((quota) => chosen.includes(quota.region) || quota.models.every((m) => m.offered))
    .sort((a, b) => Number(chosen.includes(b.region)) - Number(chosen.includes(a.region)) || headroom(b) - headroom(a))
    .slice(0, Math.max(8, chosen.length));
  const table = quotaTable(ask, rows);
  const enough = quotas.filter((q) => q.models.every((m) => m.offered && m.free >= ask.capacity)).sort((a, b) => headroom(b) - headroom(a));
  const fits =
    chosen.length > 0
      ? fittingCapacity(quotas, chosen, alreadyOurs)
      : (quotas
          .filter((q) => q.models.every((m) => m.offered))
          .map(headroom)
          .sort((a, b) => b - a)[count - 1] ?? 0);
  const fixes = [
    enough.length >= count
      ? `--regions ${enough
          .slice(0, count)
          .map((q) => q.region)
          .join(',')}`
      : undefined,
    fits > 0 ? `--capacity ${fits}` : undefined,
    'or request more quota at https://aka.ms/oai/quotaincrease',
  ].filter(Boolean);
  return new UserError('insufficient-quota', `not enough Azure OpenAI quota (${ask.sku}): ${why}.\n${table}`, { suggestion: `use ${fixes.join(', ')}` });
}

/** Region × free TPM per model, the table the preflight prints. */
export function quotaTable(ask: QuotaAsk, rows: RegionQuota[]): string {
  const header = ['region', ...ask.models.map((m) => `${m.name} free`)];
  const lines = rows.map((quota) => [quota.region, ...quota.models.map((m) => (m.offered ? `${m.free}K` : 'not offered'))]);
  const widths = header.map((_, i) => Math.max(header[i]!.length, ...lines.map((line) => line[i]!.length)));
  return [header, ...lines].map((line) => `  ${line.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')}`.trimEnd()).join('\n');
}
