/**
 * Route declarations: a method, a pattern over the raw request path, the GitHub
 * documentation page (it becomes `documentation_url` in errors), and a handler.
 * Captured segments are percent-decoded before the handler sees them, so a ref sent as
 * `heads%2Fmain` (as octokit sends it) and one sent as `heads/main` are the same.
 */
import type { ApiResponse } from './http.js';
import type { Backend } from './model.js';

export type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface RouteContext {
  /** Decoded captures of the route's pattern. */
  readonly params: readonly string[];
  readonly url: URL;
  readonly body: unknown;
  /** The request's Accept header ('' when absent). */
  readonly accept: string;
  readonly backend: Backend;
}

export interface Route {
  readonly method: Method;
  readonly pattern: RegExp;
  readonly docs: string;
  handle(context: RouteContext): Promise<ApiResponse>;
}

/** A route's captures, in order, as strings (a missing capture reads as ''). */
export function param(context: RouteContext, index: number): string {
  return context.params[index] ?? '';
}

export interface RouteMatch {
  readonly route: Route;
  readonly params: readonly string[];
}

/**
 * The route for `method` and the raw `pathname`, or, when the path matches no route,
 * null. A path that matches only under another method is a 404 too, as on GitHub.
 */
export function matchRoute(routes: readonly Route[], method: string, pathname: string): RouteMatch | null {
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname;
  for (const route of routes) {
    if (route.method !== method) continue;
    const match = route.pattern.exec(path);
    if (!match) continue;
    try {
      return { route, params: match.slice(1).map((segment) => decodeURIComponent(segment ?? '')) };
    } catch {
      // Not valid percent-encoding: no resource has that name.
      return null;
    }
  }
  return null;
}

/** `/repos/{owner}/{repo}` followed by `rest` (a pattern source), anchored. */
export const repoPath = (rest = ''): RegExp => new RegExp(`^/repos/([^/]+)/([^/]+)${rest}$`);
