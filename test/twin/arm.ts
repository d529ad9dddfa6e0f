// ARM's wire conventions shared by every provider: error bodies, resource-id helpers, location names.

export interface ArmErrorBody {
  error: { code: string; message: string; details?: unknown[]; target?: string };
}

/** An ARM error answer: `{"error":{"code","message"}}` with an HTTP status. */
export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ArmError';
  }

  body(): ArmErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}

export interface ArmRequest {
  method: string;
  url: URL;
  params: Record<string, string>;
  query: URLSearchParams;
  apiVersion: string;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
  requestId: string;
  correlationId: string;
  /** Absolute base of the twin, e.g. https://127.0.0.1:4431 — polling URLs point back here. */
  baseUrl: string;
  operationId: string;
}

export interface ArmResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export const ok = (body: unknown, status = 200, headers?: Record<string, string>): ArmResponse => ({ status, body, headers });

/** ARM region names: "West Europe" and "westeurope" are the same region. */
export function normalizeLocation(location: string): string {
  return location.replace(/\s+/g, '').toLowerCase();
}

export const key = (...parts: string[]): string => parts.map((p) => p.toLowerCase()).join('/');

export const resourceGroupId = (sub: string, rg: string): string => `/subscriptions/${sub}/resourceGroups/${rg}`;

export const providerId = (sub: string, rg: string, ns: string, type: string, name: string): string =>
  `${resourceGroupId(sub, rg)}/providers/${ns}/${type}/${name}`;

export function resourceGroupNotFound(rg: string): ArmError {
  return new ArmError(404, 'ResourceGroupNotFound', `Resource group '${rg}' could not be found.`);
}

/** ARM's generic 404 for a resource (or child resource) that does not exist. */
export function resourceNotFound(typePath: string, rg: string): ArmError {
  return new ArmError(
    404,
    'ResourceNotFound',
    `The Resource '${typePath}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );
}

export function subscriptionNotFound(sub: string): ArmError {
  return new ArmError(404, 'SubscriptionNotFound', `The subscription '${sub}' could not be found.`);
}

export function invalidRequestContent(message: string): ArmError {
  return new ArmError(400, 'InvalidRequestContent', message);
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The request body as an object, or ARM's 400 when it is missing or not an object. */
export function requireBody(req: ArmRequest): Record<string, unknown> {
  if (!isObject(req.body)) {
    throw invalidRequestContent('The request content was invalid and could not be deserialized: the body must be a JSON object.');
  }
  return req.body;
}

export function etag(): string {
  return `"${Array.from({ length: 4 }, () =>
    Math.floor(Math.random() * 0xffffffff)
      .toString(16)
      .padStart(8, '0'),
  ).join('-')}"`;
}

export function systemData(at: string): Record<string, string> {
  return {
    createdBy: 'twin-user@example.com',
    createdByType: 'User',
    createdAt: at,
    lastModifiedBy: 'twin-user@example.com',
    lastModifiedByType: 'User',
    lastModifiedAt: at,
  };
}

/** Path parameters of an ARM route, by name (the router guarantees they exist). */
export function pathParams(req: ArmRequest): { sub: string; rg: string; name: string; location: string } {
  const p = req.params;
  return { sub: p.subscriptionId ?? '', rg: p.resourceGroupName ?? '', name: p.accountName ?? '', location: p.location ?? '' };
}
