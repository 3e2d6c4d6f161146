import type { RouteBinding } from '../../../functions/api/routes.ts';

export type RouteMatch =
  | { kind: 'matched'; route: RouteBinding; pathParameters: Record<string, string> | null }
  | { kind: 'method_not_allowed'; allowedMethods: string[] }
  | { kind: 'not_found' };

interface Resource {
  path: string;
  segments: { literal?: string; variable?: string; greedy?: boolean }[];
  routes: RouteBinding[];
}

/**
 * Matches a request path (below the stage) to a resource the way API Gateway does: the most specific resource
 * wins (a literal segment beats `{id}`, which beats `{proxy+}`), then the method is looked up on it.
 */
export function createRouter(routes: readonly RouteBinding[]) {
  const resources = new Map<string, Resource>();
  for (const route of routes) {
    const resource = resources.get(route.path) ?? { path: route.path, segments: parseTemplate(route.path), routes: [] };
    resource.routes.push(route);
    resources.set(route.path, resource);
  }

  return {
    /** The resource a path falls on, with its path parameters (API Gateway's `resource` and `pathParameters`). */
    resourceFor(path: string): { resource: Resource; pathParameters: Record<string, string> | null } | undefined {
      const segments = splitPath(path);
      let best: { resource: Resource; pathParameters: Record<string, string> | null; score: number[] } | undefined;
      for (const resource of resources.values()) {
        const matched = matchSegments(resource.segments, segments);
        if (matched && (best === undefined || compareScores(matched.score, best.score) > 0)) best = { resource, ...matched };
      }
      return best;
    },

    match(method: string, path: string): RouteMatch {
      const found = this.resourceFor(path);
      if (found === undefined) return { kind: 'not_found' };
      const route = found.resource.routes.find((candidate) => candidate.method === method);
      if (route === undefined) return { kind: 'method_not_allowed', allowedMethods: found.resource.routes.map((r) => r.method) };
      return { kind: 'matched', route, pathParameters: found.pathParameters };
    },
  };
}

function parseTemplate(template: string): Resource['segments'] {
  return splitPath(template).map((segment) => {
    const variable = /^\{([^}+]+)(\+?)\}$/.exec(segment);
    if (variable === null) return { literal: segment };
    return { variable: variable[1]!, greedy: variable[2] === '+' };
  });
}

function splitPath(path: string): string[] {
  return path.split('/').filter((segment) => segment.length > 0);
}

function matchSegments(
  template: Resource['segments'],
  path: string[],
): { pathParameters: Record<string, string> | null; score: number[] } | undefined {
  const parameters: Record<string, string> = {};
  const score: number[] = [];
  for (const [index, segment] of template.entries()) {
    if (segment.greedy) {
      const rest = path.slice(index);
      if (rest.length === 0) return undefined;
      parameters[segment.variable!] = rest.map(decodeSegment).join('/');
      score.push(0);
      return { pathParameters: parameters, score };
    }
    const actual = path[index];
    if (actual === undefined) return undefined;
    if (segment.literal !== undefined) {
      if (segment.literal !== actual) return undefined;
      score.push(2);
    } else {
      parameters[segment.variable!] = decodeSegment(actual);
      score.push(1);
    }
  }
  if (path.length !== template.length) return undefined;
  return { pathParameters: Object.keys(parameters).length > 0 ? parameters : null, score };
}

function compareScores(a: number[], b: number[]): number {
  for (let index = 0; index < Math.max(a.length, b.length); index++) {
    const difference = (a[index] ?? -1) - (b[index] ?? -1);
    if (difference !== 0) return difference;
  }
  return 0;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
