/**
 * What the balancer needs from a JSON request body: the deployment (`model`) for v1 and other
 * body-addressed routes, and an estimate of the tokens Azure will charge at admission, so that
 * selection can count in-flight requests against a backend's last known remaining quota.
 */

export interface BodyFacts {
  model: string | undefined;
  estimatedTokens: number;
  /** Set when the body says it is JSON but is not: the request is refused before any backend sees it. */
  invalidJson?: string;
}

/** Bodies larger than this are not parsed on dated routes: their deployment comes from the path. */
const maxParsedBytes = 1024 * 1024;
const defaultCompletionTokens = 16;

/**
 * Whether a Content-Type header names JSON: `application/json` or `application/<anything>+json`, media
 * type compared without case and without its parameters (RFC 9110 §8.3.1); undefined without a header.
 */
export function isJsonMediaType(contentType: string | undefined): boolean | undefined {
  if (contentType === undefined) return undefined;
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return type === 'application/json' || /^application\/[^/\s]+\+json$/.test(type);
}

/** `anySize`: parse however large the body is (v1 routes, where the deployment is only in the body). */
export function inspectBody(body: Buffer, contentType: string | undefined, options: { anySize?: boolean } = {}): BodyFacts {
  const json = isJsonMediaType(contentType);
  if (body.length === 0 || (body.length > maxParsedBytes && !options.anySize) || json === false) {
    return { model: undefined, estimatedTokens: defaultCompletionTokens };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error) {
    const invalidJson = json ? (error as Error).message : undefined;
    return { model: undefined, estimatedTokens: defaultCompletionTokens, ...(invalidJson ? { invalidJson } : {}) };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { model: undefined, estimatedTokens: defaultCompletionTokens };
  }
  const fields = parsed as Record<string, unknown>;
  const model = typeof fields.model === 'string' && fields.model.length > 0 ? fields.model : undefined;
  return { model, estimatedTokens: estimateTokens(fields) };
}

function estimateTokens(fields: Record<string, unknown>): number {
  if (fields.input !== undefined && fields.messages === undefined) {
    const inputs = Array.isArray(fields.input) ? fields.input : [fields.input];
    const chars = inputs.reduce<number>((sum, item) => sum + (typeof item === 'string' ? item.length : 0), 0);
    return Math.max(1, Math.ceil(chars / 4));
  }
  const limit = numberField(fields.max_tokens) ?? numberField(fields.max_completion_tokens) ?? defaultCompletionTokens;
  const choices = Math.max(1, numberField(fields.n) ?? 1, numberField(fields.best_of) ?? 1);
  return Math.min(limit * choices, maxEstimatedTokens);
}

/** Far above any deployment's TPM, and a number every sum stays finite with (a client may send max_tokens 1e308). */
const maxEstimatedTokens = 1e9;

function numberField(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** The body with `model` replaced, for a backend whose deployment has another name (v1 routes). */
export function withModel(body: Buffer, model: string): Buffer {
  const parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  return Buffer.from(JSON.stringify({ ...parsed, model }));
}
