import { isSecretKey, REDACTED, redactSecrets } from '../redaction/secret-redaction';

/** Details made safe to serve: the copy, and what had to be replaced (empty when nothing). */
export interface JsonSafeDetails {
  details: Record<string, unknown>;
  replaced: string[];
}

const MAX_DEPTH = 8;
const MAX_KEYS = 100;

/**
 * Copies an indicator's details into a value `JSON.stringify` can always write, whatever the check
 * returned: a circular reference, a BigInt, a getter or `toJSON()` that throws, a too-deep structure
 * each become a string that says what was there ("[unserializable: …]"), and every replacement is
 * listed in `replaced` (for one log line). Strings lose their credentials (see `redactSecrets`), and
 * values under secret-looking keys are masked. Errors become their message, without the stack.
 */
export function toJsonSafeDetails(details: Record<string, unknown>): JsonSafeDetails {
  const replaced: string[] = [];
  let copy: unknown;
  try {
    copy = copyValue(details, '', [], replaced);
  } catch (error) {
    // A Proxy whose traps throw, for one: nothing of it can be read safely.
    replaced.push(`(details): reading them threw ${describeError(error)}`);
    copy = { message: `[unserializable: reading the details threw ${describeError(error)}]` };
  }
  const safe = typeof copy === 'object' && copy !== null && !Array.isArray(copy) ? (copy as Record<string, unknown>) : { value: copy };
  return { details: safe, replaced };
}

function copyValue(value: unknown, path: string, ancestors: object[], replaced: string[]): unknown {
  const unserializable = (what: string) => {
    replaced.push(`${path || '(details)'}: ${what}`);
    return `[unserializable: ${what}]`;
  };
  switch (typeof value) {
    case 'string':
      return redactSecrets(value);
    case 'number':
    case 'boolean':
    case 'undefined':
      return value;
    case 'bigint':
      return unserializable(`BigInt ${value.toString()}`);
    case 'function':
    case 'symbol':
      // JSON leaves these out; so does the copy.
      return undefined;
  }
  if (value === null) return null;
  try {
    return copyObject(value as object, path, ancestors, replaced, unserializable);
  } catch (error) {
    // A Proxy whose traps throw, for one: nothing of it can be read safely.
    return unserializable(`reading it threw ${describeError(error)}`);
  }
}

function copyObject(object: object, path: string, ancestors: object[], replaced: string[], unserializable: (what: string) => string): unknown {
  if (ancestors.includes(object)) return unserializable('circular reference');
  if (ancestors.length >= MAX_DEPTH) return unserializable(`nested deeper than ${MAX_DEPTH} levels`);
  if (object instanceof Error) return redactSecrets(object.message || object.name);
  const toJson = (object as { toJSON?: unknown }).toJSON;
  if (typeof toJson === 'function') {
    let json: unknown;
    try {
      json = toJson.call(object);
    } catch (error) {
      return unserializable(`toJSON() threw ${describeError(error)}`);
    }
    return json === object ? unserializable('toJSON() returned itself') : copyValue(json, path, [...ancestors, object], replaced);
  }
  const inner = [...ancestors, object];
  if (Array.isArray(object)) {
    const items = object.slice(0, MAX_KEYS).map((item, i) => copyValue(item, `${path}[${i}]`, inner, replaced));
    if (object.length > MAX_KEYS) items.push(`[${object.length - MAX_KEYS} more items]`);
    return items;
  }
  const result: Record<string, unknown> = {};
  const keys = Object.keys(object);
  for (const key of keys.slice(0, MAX_KEYS)) {
    const childPath = path ? `${path}.${key}` : key;
    if (isSecretKey(key)) {
      result[key] = REDACTED;
      continue;
    }
    let child: unknown;
    try {
      child = (object as Record<string, unknown>)[key];
    } catch (error) {
      replaced.push(`${childPath}: reading it threw ${describeError(error)}`);
      result[key] = `[unserializable: reading it threw ${describeError(error)}]`;
      continue;
    }
    const copied = copyValue(child, childPath, inner, replaced);
    if (copied !== undefined) result[key] = copied;
  }
  if (keys.length > MAX_KEYS) result['…'] = `[${keys.length - MAX_KEYS} more keys]`;
  return result;
}

function describeError(error: unknown): string {
  try {
    const message = error instanceof Error ? error.message : String(error);
    return `"${redactSecrets(message)}"`;
  } catch {
    return 'an unprintable error';
  }
}
