/** One metric family of a text exposition: its name, type and lines (metadata and samples). */
export interface SerializedFamily {
  name: string;
  type: string;
  lines: string[];
}

/**
 * Splits `PrometheusSerializer` output into its families. The serializer writes each family as one block
 * that starts with `# HELP` (then `# UNIT`, `# TYPE`, samples); other comments are dropped.
 */
export function splitFamilies(text: string): SerializedFamily[] {
  const families: SerializedFamily[] = [];
  let current: SerializedFamily | null = null;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# HELP ')) {
      current = { name: metadataName(line), type: 'untyped', lines: [line] };
      families.push(current);
    } else if (line.startsWith('#')) {
      if (!current || !(line.startsWith('# TYPE ') || line.startsWith('# UNIT '))) continue;
      if (line.startsWith('# TYPE ')) current.type = line.slice(7 + metadataName(line).length + 1).trim();
      current.lines.push(line);
    } else if (current) {
      current.lines.push(line);
    }
  }
  return families;
}

/** Every name a family puts in an exposition: its family name, that name without `_total`, and its sample names. */
export function namesOf(family: SerializedFamily): string[] {
  const names = new Set([family.name, stripTotal(family.name)]);
  for (const line of family.lines) {
    if (line.startsWith('#')) continue;
    names.add(sampleName(line));
  }
  return [...names];
}

/**
 * Writes families in the Prometheus text format (as serialized) or in OpenMetrics: there, a counter family is
 * named without `_total` (its samples keep it), and `"` is escaped in HELP. `# EOF` is the caller's.
 */
export function writeFamilies(families: SerializedFamily[], openMetrics: boolean): string {
  let out = '';
  for (const family of families) {
    for (const line of family.lines) {
      out += (openMetrics && line.startsWith('#') ? toOpenMetricsMetadata(line, family) : line) + '\n';
    }
  }
  return out;
}

function toOpenMetricsMetadata(line: string, family: SerializedFamily): string {
  const keyword = line.slice(0, 7);
  const rest = line.slice(7 + family.name.length);
  const name = family.type === 'counter' ? stripTotal(family.name) : family.name;
  return keyword + name + (keyword === '# HELP ' ? rest.replace(/"/g, '\\"') : rest);
}

function metadataName(line: string): string {
  const end = line.indexOf(' ', 7);
  return end === -1 ? line.slice(7) : line.slice(7, end);
}

function sampleName(line: string): string {
  const brace = line.indexOf('{');
  const space = line.indexOf(' ');
  const end = brace !== -1 && (space === -1 || brace < space) ? brace : space;
  return end === -1 ? line : line.slice(0, end);
}

/** `name` without a trailing `_total`. */
export function stripTotal(name: string): string {
  return name.endsWith('_total') ? name.slice(0, -6) : name;
}
