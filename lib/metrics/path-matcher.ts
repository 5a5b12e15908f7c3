/**
 * Matches request paths against a list of exact paths and `/prefix/*` subtrees.
 *
 * @example
 * new PathMatcher(['/metrics', '/health/*']).matches('/health/live') // true
 */
export class PathMatcher {
  private readonly exact: Set<string>;
  private readonly prefixes: string[];

  constructor(patterns: readonly string[]) {
    this.exact = new Set(patterns.filter((p) => !p.endsWith('/*')).map(trimSlash));
    this.prefixes = patterns.filter((p) => p.endsWith('/*')).map((p) => p.slice(0, -1));
  }

  matches(path: string): boolean {
    if (this.exact.has(path) || this.exact.has(trimSlash(path))) return true;
    for (let i = 0; i < this.prefixes.length; i++) {
      if (path.startsWith(this.prefixes[i])) return true;
    }
    return false;
  }
}

function trimSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}
