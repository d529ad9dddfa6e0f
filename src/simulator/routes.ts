/** Data-plane route matching (aoai-data-plane.md §3.1): dated routes carry the deployment in the path, v1 in the body. */
import type { Operation } from './cost.js';

export type Route =
  | { kind: 'dated'; operation: Operation; deployment: string; apiVersion: string }
  | { kind: 'v1'; operation: Operation }
  | { kind: 'models' }
  | { kind: 'not-found' };

const DATED = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|embeddings)\/?$/;
const V1 = /^\/openai\/v1\/(chat\/completions|embeddings)\/?$/;

function operationOf(segment: string): Operation {
  return segment === 'embeddings' ? 'embeddings' : 'chat';
}

export function matchRoute(method: string, url: URL): Route {
  const path = url.pathname;
  if (method === 'GET' && /^\/openai\/v1\/models\/?$/.test(path)) return { kind: 'models' };
  if (method !== 'POST') return { kind: 'not-found' };
  const dated = DATED.exec(path);
  if (dated) {
    const apiVersion = url.searchParams.get('api-version');
    if (!apiVersion) return { kind: 'not-found' };
    let deployment: string;
    try {
      deployment = decodeURIComponent(dated[1]!);
    } catch {
      return { kind: 'not-found' };
    }
    return { kind: 'dated', operation: operationOf(dated[2]!), deployment, apiVersion };
  }
  const v1 = V1.exec(path);
  if (v1) return { kind: 'v1', operation: operationOf(v1[1]!) };
  return { kind: 'not-found' };
}
