import { exposedNames } from '../exposed-names';

/** One metric family of `PrometheusSerializer` output: its name, type, metadata lines and sample block. */
export interface SerializedFamily {
  name: string;
  type: string;
  /** `# HELP`, `# UNIT`, `# TYPE` lines, without their line feeds. */
  metadata: string[];
  /** The sample lines, each ending with a line feed. */
  samples: string;
}

const FAMILY_START = /^(?=# HELP )/m;

/**
 * Splits `PrometheusSerializer` output into its families. The serializer writes each family as one block that
 * starts with `# HELP` (then `# UNIT`, `# TYPE`, samples); other comments (`# no registered metrics`) are dropped.
 * Only metadata lines are parsed: sample lines are kept as one block.
 */
export function splitFamilies(text: string): SerializedFamily[] {
  const families: SerializedFamily[] = [];
  for (const block of text.split(FAMILY_START)) {
    if (!block.startsWith('# HELP ')) continue;
    const family: SerializedFamily = { name: metadataName(block), type: 'untyped', metadata: [], samples: '' };
    let at = 0;
    while (at < block.length && block.startsWith('# ', at)) {
      const end = lineEnd(block, at);
      const line = block.slice(at, end);
      at = end + 1;
      if (line.startsWith('# HELP ') || line.startsWith('# UNIT ') || line.startsWith('# TYPE ')) {
        if (line.startsWith('# TYPE ')) family.type = line.slice(8 + family.name.length).trim();
        family.metadata.push(line);
      }
    }
    // Comments after the samples (`# no registered metrics` closes the output) are not valid OpenMetrics.
    const samples = block
      .slice(at)
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'))
      .join('\n');
    family.samples = samples ? `${samples}\n` : '';
    families.push(family);
  }
  return families;
}

/** Every name a family puts in an exposition, in either format: from its name and type, as Prometheus derives them. */
export function namesOf(family: SerializedFamily): string[] {
  return exposedNames(family.type, family.name);
}

/**
 * Writes families in the Prometheus text format (as serialized) or in OpenMetrics: there, a counter family is
 * named without `_total` in its metadata (its samples keep it), and `"` is escaped in HELP. `# EOF` is the caller's.
 */
export function writeFamilies(families: SerializedFamily[], openMetrics: boolean): string {
  let out = '';
  for (const family of families) {
    for (const line of family.metadata) out += (openMetrics ? toOpenMetricsMetadata(line, family) : line) + '\n';
    out += family.samples;
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
  const end = line.slice(7).search(/[ \n]/);
  return end === -1 ? line.slice(7) : line.slice(7, 7 + end);
}

function lineEnd(text: string, from: number): number {
  const end = text.indexOf('\n', from);
  return end === -1 ? text.length : end;
}

/** `name` without a trailing `_total`. */
export function stripTotal(name: string): string {
  return name.endsWith('_total') ? name.slice(0, -6) : name;
}
