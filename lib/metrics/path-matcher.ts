import { normalizeRequestPath } from '../instrumentation/observability-endpoint.matcher';

/**
 * Matches request paths against a list of exact paths and `/prefix/*` subtrees (the prefix included), as routers match
 * them: case, doubled and trailing slashes ignored (Express routes `/Internal/` like `/internal`).
 *
 * @example
 * new PathMatcher(['/internal', '/admin/*']).matches('/Admin/users') // true
 */
export class PathMatcher {
  private readonly exact: Set<string>;
  private readonly prefixes: string[];
  private readonly empty: boolean;

  constructor(patterns: readonly string[]) {
    this.exact = new Set(patterns.filter((p) => !p.endsWith('/*')).map(normalizeRequestPath));
    // `/admin/*` covers `/admin` itself and everything below it; `/*` covers every path.
    const bases = patterns.filter((p) => p.endsWith('/*')).map((p) => normalizeRequestPath(p.slice(0, -2) || '/'));
    for (const base of bases) this.exact.add(base);
    this.prefixes = bases.map((base) => (base === '/' ? '/' : `${base}/`));
    this.empty = patterns.length === 0;
  }

  matches(path: string): boolean {
    if (this.empty) return false;
    const normalized = normalizeRequestPath(path);
    if (this.exact.has(normalized)) return true;
    for (let i = 0; i < this.prefixes.length; i++) {
      if (normalized.startsWith(this.prefixes[i])) return true;
    }
    return false;
  }
}
