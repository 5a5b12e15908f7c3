/**
 * Metric names in a PromQL expression, found by a small tokenizer (Prometheus 2.42 has no API that parses
 * an expression): string literals, label matchers `{…}`, ranges `[…]`, label lists after
 * `by`/`without`/`on`/`ignoring`/`group_left`/`group_right`, `offset` durations and numbers are removed;
 * what remains is a metric name unless a `(` follows it (function, aggregation) or it is a keyword.
 * Selectors by `{__name__=~"…"}` have no name to check (run the query to see that they match).
 */
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'and', 'or', 'unless', 'atan2', 'inf', 'nan']);

export function metricNames(expr: string): string[] {
  let s = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/#[^\n]*/g, ' ')
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\[[^\]]*\]/g, '[]')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, ' ')
    .replace(/\boffset\s+-?[0-9a-zA-Z]+/gi, ' ')
    .replace(/@\s*[0-9.]+/g, ' ');
  s = s.replace(/(^|[^a-zA-Z0-9_:.])(?:0x[0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/g, '$1 ');
  const names = new Set<string>();
  for (const match of s.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const rest = s.slice(match.index! + match[0].length);
    if (/^\s*\(/.test(rest) || KEYWORDS.has(match[0].toLowerCase())) continue;
    names.add(match[0]);
  }
  return [...names];
}

/**
 * A Grafana query made evaluable by Prometheus: `$__rate_interval` → `1m`, `$__interval` → `15s`,
 * `$__range` → `5m`, every other template variable (`$service`, `${instance}`, `${x:regex}`) → `.*`
 * (all dashboard variables are used inside `=~` matchers).
 */
export function substituteGrafanaVariables(expr: string): string {
  return expr
    .replace(/\$\{?__rate_interval\}?/g, '1m')
    .replace(/\$\{?__interval\}?/g, '15s')
    .replace(/\$\{?__range\}?/g, '5m')
    .replace(/\$\{[a-zA-Z_][a-zA-Z0-9_]*(?::[a-z]+)?\}|\$[a-zA-Z_][a-zA-Z0-9_]*/g, '.*');
}
