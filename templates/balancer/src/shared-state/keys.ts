/**
 * Where the shared picture lives in the store. A backend is named by a digest of its URL, a deployment by a
 * digest of its name: balancers that share a store and a prefix share what they learn of the same backend
 * (its quota is the same), and a client's deployment name never becomes a key as it is.
 *
 *   {prefix}:d:{backend}:{deployment}  hash  tu, bu (throttled/broken until, ms since epoch), rt, rr, ro (the
 *                                            latest remaining tokens/requests and when they were read),
 *                                            t:{replica}, q:{replica} (tokens/requests in flight there),
 *                                            s:{replica} (when the newest of them were sent)
 *   {prefix}:b:{backend}               hash  bu (the whole backend's circuit)
 *   {prefix}:replicas                  hash  {replica} → until when it counts as alive
 *   {prefix}:events                    channel: cooldowns, published as they happen
 */
import { createHash } from 'node:crypto';

const digest = (text: string): string => createHash('sha256').update(text).digest('base64url').slice(0, 16);

export class StoreKeys {
  readonly replicas: string;
  readonly channel: string;

  constructor(readonly prefix: string) {
    this.replicas = `${prefix}:replicas`;
    this.channel = `${prefix}:events`;
  }

  backendTag(url: URL): string {
    return digest(url.href);
  }

  deployment(backendTag: string, deployment: string): string {
    return `${this.prefix}:d:${backendTag}:${digest(deployment)}`;
  }

  backend(backendTag: string): string {
    return `${this.prefix}:b:${backendTag}`;
  }
}

/** A cooldown as published on the events channel. */
export interface CooldownEvent {
  /** The replica that learned it. */
  r: string;
  /** The backend's tag. */
  b: string;
  /** The deployment; absent when the whole backend's circuit opened. */
  d?: string;
  k: 'throttled' | 'broken';
  /** Until when, ms since epoch. */
  u: number;
}

const maxDeploymentLength = 256;

/** The event, or undefined for anything that is not one (the channel is the store's, not ours alone). */
export function parseCooldownEvent(text: string): CooldownEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { r, b, d, k, u } = value as Record<string, unknown>;
  if (typeof r !== 'string' || typeof b !== 'string' || (k !== 'throttled' && k !== 'broken') || typeof u !== 'number' || !Number.isFinite(u)) return undefined;
  if (d !== undefined && (typeof d !== 'string' || d.length > maxDeploymentLength)) return undefined;
  return d === undefined ? { r, b, k, u } : { r, b, d, k, u };
}
