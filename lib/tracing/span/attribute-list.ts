import { diag } from '@opentelemetry/api';

/**
 * Attributes kept as one flat array (`[key0, value0, key1, value1, …]`) instead of an object: one
 * allocation per span, no hidden-class transitions, and the order the encoder writes. The rules are the
 * SDK's (`maybeAddAttribute`, `cleanAttributes` in @opentelemetry/core): `undefined` is skipped, an empty
 * key or a value that is not an OTLP AnyValue is refused with a warning, a new key beyond `countLimit`
 * is dropped and counted, strings and byte arrays are cut to `lengthLimit` (deeply, in arrays and maps).
 */
export class AttributeList {
  items: unknown[] = [];
  dropped = 0;

  constructor(
    private readonly countLimit: number,
    private readonly lengthLimit: number,
  ) {}

  get count(): number {
    return this.items.length >> 1;
  }

  /** `Span.setAttribute`'s rules: returns false when the count limit dropped it. */
  set(key: string, value: unknown, simple = false): void {
    if (value === undefined) return;
    if (typeof key !== 'string' || key.length === 0) {
      diag.warn(`Invalid attribute key: ${String(key)}`);
      return;
    }
    const items = this.items;
    let at = -1;
    for (let i = 0; i < items.length; i += 2) {
      if (items[i] === key) {
        at = i;
        break;
      }
    }
    if (at === -1 && items.length >> 1 >= this.countLimit) {
      if (this.dropped++ === 0) diag.warn('Dropping extra attributes.');
      return;
    }
    if (!(simple ? isSimpleValue(value) : isAnyValue(value, null))) {
      diag.warn(`Invalid attribute value set for key: ${key}`);
      return;
    }
    const kept = truncate(value, this.lengthLimit);
    if (at === -1) items.push(key, kept);
    else items[at + 1] = kept;
  }

  /**
   * Pairs the module made itself (`[key, value, …]`: distinct non-empty keys, strings and numbers), kept
   * as `set()` of each in turn would keep them, without its checks when no limit can apply: on an empty
   * list the array is taken as it is (one array per span instead of a grown copy); otherwise existing
   * keys are overwritten in place and new ones appended.
   */
  adopt(pairs: unknown[]): void {
    const items = this.items;
    if (this.lengthLimit !== Infinity || (items.length + pairs.length) >> 1 > this.countLimit) {
      for (let i = 0; i < pairs.length; i += 2) this.set(pairs[i] as string, pairs[i + 1], true);
      return;
    }
    if (items.length === 0) {
      this.items = pairs;
      return;
    }
    const existing = items.length;
    for (let i = 0; i < pairs.length; i += 2) {
      const key = pairs[i];
      let j = 0;
      while (j < existing && items[j] !== key) j += 2;
      if (j < existing) items[j + 1] = pairs[i + 1];
      else items.push(key, pairs[i + 1]);
    }
  }

  /**
   * `cleanAttributes`' rules, for the attributes given with `startSpan`, an event or a link: refused
   * entries count as dropped too.
   */
  addAll(attributes: Record<string, unknown> | undefined, simple = false): void {
    if (typeof attributes !== 'object' || attributes === null) return;
    for (const key of Object.keys(attributes)) {
      const value = attributes[key];
      if (value === undefined) continue;
      if (this.items.length >> 1 >= this.countLimit || key.length === 0 || !(simple ? isSimpleValue(value) : isAnyValue(value, null))) {
        if (key.length === 0) diag.warn(`Invalid attribute key: ${key}`);
        this.dropped++;
        continue;
      }
      this.items.push(key, truncate(value, this.lengthLimit));
    }
  }
}

/** An OTLP AnyValue: string, number, boolean, null, bytes, arrays and plain maps of them, no cycles. */
function isAnyValue(value: unknown, seen: Set<object> | null): boolean {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return true;
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null || value instanceof Uint8Array) return true;
  const object = value as object;
  if (seen?.has(object)) return false;
  // The set is made only for a nested value: the common scalar costs nothing.
  const visited = seen ?? new Set<object>();
  visited.add(object);
  let ok = true;
  if (Array.isArray(object)) {
    for (const item of object) if (item !== undefined && !isAnyValue(item, visited)) ok = false;
  } else {
    const ctor = (object as { constructor?: unknown }).constructor;
    if (ctor !== Object && ctor !== undefined) ok = false;
    else for (const key of Object.keys(object)) {
      const item = (object as Record<string, unknown>)[key];
      if (item !== undefined && !isAnyValue(item, visited)) ok = false;
    }
  }
  visited.delete(object);
  return ok;
}

/** Events' attributes: primitives and homogeneous arrays of them (the SDK's `isSimpleAttributeValue`). */
function isSimpleValue(value: unknown): boolean {
  if (!Array.isArray(value)) return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
  let type: string | undefined;
  for (const item of value) {
    if (item == null) continue;
    const t = typeof item;
    if (type === undefined) {
      if (t !== 'string' && t !== 'number' && t !== 'boolean') return false;
      type = t;
    } else if (t !== type) return false;
  }
  return true;
}

/** The SDK's `copyAndTruncAnyValue`: cut strings and bytes, copy arrays and maps. */
function truncate(value: unknown, limit: number): unknown {
  if (typeof value === 'string') return value.length <= limit ? value : value.substring(0, limit);
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Uint8Array) return value.length <= limit ? value : value.slice(0, limit);
  if (Array.isArray(value)) return value.map((item) => truncate(item, limit));
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    if (item !== undefined) copy[key] = truncate(item, limit);
  }
  return copy;
}
