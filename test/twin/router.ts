// Routes ARM paths to handlers. Literal segments match case-insensitively (ARM treats
// `resourcegroups` and `resourceGroups` alike); `{name}` segments capture the decoded value.
import type { ArmRequest, ArmResponse } from './arm.js';

export type Handler = (req: ArmRequest) => ArmResponse | Promise<ArmResponse>;

export interface Route {
  method: string;
  /** e.g. /subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName} */
  pattern: string;
  /** The REST spec's operationId, e.g. Accounts_Create: the name faults and latencies are keyed by. */
  operationId: string;
  /** api-versions this operation answers; ARM rejects any other. */
  apiVersions: readonly string[];
  handler: Handler;
}

interface CompiledRoute extends Route {
  segments: { literal?: string; param?: string }[];
}

export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

export class Router {
  private readonly routes: CompiledRoute[] = [];

  add(...routes: Route[]): void {
    for (const route of routes) {
      const segments = route.pattern
        .split('/')
        .filter(Boolean)
        .map((s) => {
          const m = /^\{(\w+)\}$/.exec(s);
          return m ? { param: m[1] } : { literal: s.toLowerCase() };
        });
      this.routes.push({ ...route, segments });
    }
  }

  /** The route for method + path; `pathMatched` says whether any method matched the path. */
  match(method: string, pathname: string): { found?: RouteMatch; pathMatched: boolean } {
    const parts = pathname.split('/').filter(Boolean);
    let pathMatched = false;
    for (const route of this.routes) {
      const params = matchSegments(route.segments, parts);
      if (!params) continue;
      pathMatched = true;
      if (route.method === method) return { found: { route, params }, pathMatched };
    }
    return { pathMatched };
  }
}

function matchSegments(segments: CompiledRoute['segments'], parts: string[]): Record<string, string> | undefined {
  if (segments.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    let part: string;
    try {
      part = decodeURIComponent(parts[i]!);
    } catch {
      return undefined;
    }
    if (seg.param) params[seg.param] = part;
    else if (seg.literal !== part.toLowerCase()) return undefined;
  }
  return params;
}
