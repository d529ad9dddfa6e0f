/** The simulated deployments: their specs, quota windows and counters. */
import { DEFAULT_RPM_PER_1000_TPM, RateLimiter, type Clock } from './rate-limiter.js';
import type { DeploymentSpec, DeploymentStats } from './types.js';

export interface Deployment {
  name: string;
  model: string;
  limiter: RateLimiter;
  stats: Omit<DeploymentStats, 'name' | 'model' | 'tpm'>;
}

/** Returns an error message for an invalid spec, or undefined. */
export function validateDeployment(spec: Partial<DeploymentSpec>): string | undefined {
  if (typeof spec.name !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(spec.name)) return 'name must be 1–64 letters, digits, ".", "_" or "-"';
  if (typeof spec.model !== 'string' || spec.model.length === 0) return 'model must be a non-empty string';
  if (!isValidTpm(spec.tpm)) return 'tpm must be a positive integer';
  if (spec.rpmPer1000Tpm !== undefined && !(typeof spec.rpmPer1000Tpm === 'number' && spec.rpmPer1000Tpm > 0 && Number.isFinite(spec.rpmPer1000Tpm))) {
    return 'rpmPer1000Tpm must be a positive number';
  }
  return undefined;
}

export function isValidTpm(tpm: unknown): tpm is number {
  return typeof tpm === 'number' && Number.isInteger(tpm) && tpm > 0;
}

/** True for models that serve embeddings rather than chat. */
export function isEmbeddingModel(model: string): boolean {
  return model.includes('embedding');
}

function emptyStats(): Deployment['stats'] {
  return { requests: 0, admitted: 0, rejected429: 0, tokensCharged: 0, faultsServed: 0 };
}

export class DeploymentTable {
  private readonly byName = new Map<string, Deployment>();

  constructor(
    private readonly clock: Clock,
    private readonly timeScale: number,
  ) {}

  get(name: string): Deployment | undefined {
    return this.byName.get(name);
  }

  all(): Deployment[] {
    return [...this.byName.values()];
  }

  /** Adds a deployment, or updates model and limits of an existing one (its windows are kept). */
  upsert(spec: DeploymentSpec): void {
    const problem = validateDeployment(spec);
    if (problem !== undefined) throw new TypeError(`invalid deployment: ${problem}`);
    const existing = this.byName.get(spec.name);
    if (existing) {
      existing.model = spec.model;
      existing.limiter.setLimits(spec.tpm, spec.rpmPer1000Tpm);
      return;
    }
    this.byName.set(spec.name, {
      name: spec.name,
      model: spec.model,
      limiter: new RateLimiter(spec.tpm, spec.rpmPer1000Tpm ?? DEFAULT_RPM_PER_1000_TPM, this.clock, this.timeScale),
      stats: emptyStats(),
    });
  }

  setTpm(name: string, tpm: number): void {
    const deployment = this.byName.get(name);
    if (!deployment) throw new RangeError(`no deployment named ${name}`);
    if (!isValidTpm(tpm)) throw new TypeError('tpm must be a positive integer');
    deployment.limiter.setLimits(tpm);
  }

  /** Empties every window and zeroes every counter. */
  reset(): void {
    for (const deployment of this.byName.values()) {
      deployment.limiter.clear();
      deployment.stats = emptyStats();
    }
  }

  stats(): DeploymentStats[] {
    return this.all().map((d) => ({ name: d.name, model: d.model, tpm: d.limiter.limitTokens, ...d.stats }));
  }
}
