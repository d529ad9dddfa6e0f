/**
 * The three route styles: dated `/openai/deployments/{deployment}/…?api-version=…` (2024-generation
 * clients), `/openai/v1/…` with the deployment in the body's `model` (2025+ clients), and any other
 * path, passed through unchanged.
 */

export type RouteStyle = 'deployment' | 'v1' | 'other';

export interface Route {
  style: RouteStyle;
  /** The path without the query, as the client sent it. */
  path: string;
  /** The query string including '?', or '', without credential parameters (api-key). */
  query: string;
  /** Deployment named in the path (dated routes only). */
  pathDeployment: string | undefined;
}

const deploymentPath = /^\/openai\/deployments\/([^/?]+)(\/.*)?$/;

/** The route of a request target that starts with '/'; undefined when its ".." segments climb above the root. */
export function parseRoute(rawUrl: string): Route | undefined {
  const queryStart = rawUrl.indexOf('?');
  const path = withoutDotSegments(queryStart === -1 ? rawUrl : rawUrl.slice(0, queryStart));
  if (path === undefined) return undefined;
  const query = queryStart === -1 ? '' : forwardedQuery(rawUrl.slice(queryStart));
  const dated = deploymentPath.exec(path);
  if (dated) return { style: 'deployment', path, query, pathDeployment: safeDecode(dated[1]!) };
  if (path === '/openai/v1' || path.startsWith('/openai/v1/')) return { style: 'v1', path, query, pathDeployment: undefined };
  return { style: 'other', path, query, pathDeployment: undefined };
}

/**
 * The path to request from a backend: its URL's own path prefix, then the client's path, with the
 * deployment segment renamed when the backend has BACKEND_<n>_DEPLOYMENT_NAME.
 */
export function upstreamPath(route: Route, prefix: string, deploymentName: string | undefined): string {
  let path = route.path;
  if (deploymentName !== undefined && route.style === 'deployment') {
    const rest = path.slice('/openai/deployments/'.length);
    const slash = rest.indexOf('/');
    path = `/openai/deployments/${encodeURIComponent(deploymentName)}${slash === -1 ? '' : rest.slice(slash)}`;
  }
  const base = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  return `${base}${path}${route.query}`;
}

/**
 * The path with "." and ".." segments resolved (RFC 3986 §5.2.4), also when percent-encoded (%2e), so
 * a backend with a path prefix never sees /prefix/../elsewhere; other segments keep their bytes.
 */
export function withoutDotSegments(path: string): string | undefined {
  const segments = path.split('/').slice(1);
  const kept: string[] = [];
  segments.forEach((segment, index) => {
    const dots = segment.replace(/%2e/gi, '.');
    const last = index === segments.length - 1;
    if (dots === '.' || dots === '..') {
      if (dots === '..' && kept.pop() === undefined) kept.push('\0');
      if (last) kept.push('');
    } else {
      kept.push(segment);
    }
  });
  if (kept.includes('\0')) return undefined;
  return `/${kept.join('/')}`;
}

/** Query parameters that carry a client credential: like the api-key header, never sent to a backend. */
const credentialParameters = new Set(['api-key']);

/** The client's query without credential parameters, every other parameter byte for byte. */
export function forwardedQuery(query: string): string {
  if (query.length <= 1) return query;
  const kept = query
    .slice(1)
    .split('&')
    .filter((pair) => !credentialParameters.has(parameterName(pair)));
  return kept.length > 0 ? `?${kept.join('&')}` : '';
}

function parameterName(pair: string): string {
  const separator = pair.indexOf('=');
  return safeDecode((separator === -1 ? pair : pair.slice(0, separator)).replace(/\+/g, ' '))
    .trim()
    .toLowerCase();
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
