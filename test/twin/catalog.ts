// Which models each region offers, and the Standard/GlobalStandard quota limits per subscription,
// region and usage name (`OpenAI.<Sku>.<model>`, the name ModelSku.usageName and usages.list share).
import { normalizeLocation } from './arm.js';

export interface ModelOffer {
  format: string;
  name: string;
  version: string;
  /** Deployment SKUs offered for this model, e.g. Standard, GlobalStandard. */
  skus: string[];
  isDefaultVersion?: boolean;
  embedding?: boolean;
}

export const DEFAULT_MODELS: readonly ModelOffer[] = [
  { format: 'OpenAI', name: 'gpt-4.1-mini', version: '2025-04-14', skus: ['Standard', 'GlobalStandard'], isDefaultVersion: true },
  { format: 'OpenAI', name: 'gpt-4o-mini', version: '2024-07-18', skus: ['Standard', 'GlobalStandard'], isDefaultVersion: true },
  { format: 'OpenAI', name: 'gpt-4o', version: '2024-11-20', skus: ['Standard', 'GlobalStandard'], isDefaultVersion: true },
  { format: 'OpenAI', name: 'gpt-35-turbo', version: '0125', skus: ['Standard'], isDefaultVersion: true },
  { format: 'OpenAI', name: 'text-embedding-3-large', version: '1', skus: ['Standard', 'GlobalStandard'], isDefaultVersion: true, embedding: true },
  { format: 'OpenAI', name: 'text-embedding-3-small', version: '1', skus: ['Standard', 'GlobalStandard'], isDefaultVersion: true, embedding: true },
  { format: 'OpenAI', name: 'text-embedding-ada-002', version: '2', skus: ['Standard'], isDefaultVersion: true, embedding: true },
];

export const DEFAULT_REGIONS: readonly string[] = [
  'eastus',
  'eastus2',
  'westus',
  'westus3',
  'northcentralus',
  'southcentralus',
  'canadaeast',
  'swedencentral',
  'westeurope',
  'francecentral',
  'uksouth',
  'japaneast',
  'australiaeast',
];

/** Default quota limit per SKU (in capacity units, 1 = 1K TPM for chat and embedding models). */
export const DEFAULT_LIMITS: Readonly<Record<string, number>> = { Standard: 300, GlobalStandard: 1000 };

export interface RegionConfig {
  /** Models offered, as `name` or `name:version` (default: all of DEFAULT_MODELS). */
  models?: string[];
  /** Quota limits by usage name, e.g. { 'OpenAI.Standard.gpt-4o-mini': 60 }. */
  limits?: Record<string, number>;
}

export const usageNameOf = (sku: string, model: string): string => `OpenAI.${sku}.${model}`;

export class Catalog {
  private readonly offers = new Map<string, ModelOffer[]>();
  private readonly limits = new Map<string, number>();

  constructor(
    regions: Record<string, RegionConfig> | undefined,
    private readonly defaultLimits: Record<string, number> = { ...DEFAULT_LIMITS },
    models: readonly ModelOffer[] = DEFAULT_MODELS,
  ) {
    const config: Record<string, RegionConfig> = regions ?? Object.fromEntries(DEFAULT_REGIONS.map((r) => [r, {}]));
    for (const [region, rc] of Object.entries(config)) {
      const wanted = rc.models;
      const offered = wanted ? models.filter((m) => wanted.some((w) => w === m.name || w === `${m.name}:${m.version}`)) : models;
      this.offers.set(
        normalizeLocation(region),
        offered.map((m) => ({ ...m, skus: [...m.skus] })),
      );
      for (const [usage, limit] of Object.entries(rc.limits ?? {})) this.setLimit(region, usage, limit);
    }
  }

  regions(): string[] {
    return [...this.offers.keys()];
  }

  models(region: string): ModelOffer[] {
    return this.offers.get(normalizeLocation(region)) ?? [];
  }

  find(region: string, format: string, name: string, version: string): ModelOffer | undefined {
    return this.models(region).find(
      (m) => m.format.toLowerCase() === format.toLowerCase() && m.name.toLowerCase() === name.toLowerCase() && m.version === version,
    );
  }

  /** Stops offering a model in a region (all SKUs, or one). */
  withdraw(region: string, name: string, sku?: string): void {
    const list = this.models(region);
    for (const m of list.filter((o) => o.name === name)) {
      if (sku) m.skus = m.skus.filter((s) => s !== sku);
      else m.skus = [];
    }
    this.offers.set(
      normalizeLocation(region),
      list.filter((m) => m.skus.length > 0),
    );
  }

  setLimit(region: string, usageName: string, limit: number): void {
    this.limits.set(`${normalizeLocation(region)}|${usageName.toLowerCase()}`, limit);
  }

  limit(region: string, usageName: string): number {
    const set = this.limits.get(`${normalizeLocation(region)}|${usageName.toLowerCase()}`);
    if (set !== undefined) return set;
    const sku = usageName.split('.')[1] ?? '';
    return this.defaultLimits[sku] ?? 0;
  }
}
