/**
 * Thrown at boot when an option of `ObservabilityModule` is invalid, and when two metric
 * declarations clash. The message names the option (or metric), what it expects and what it got.
 *
 * @example
 * // ObservabilityConfigError: Invalid option "metrics.path": expected a string that starts with "/", got 42.
 */
export class ObservabilityConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ObservabilityConfigError';
  }

  /** Builds the standard "invalid option" message. */
  static invalidOption(option: string, expected: string, got: unknown): ObservabilityConfigError {
    return new ObservabilityConfigError(
      `Invalid option "${option}": expected ${expected}, got ${describe(got)}.`,
    );
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `an array (${JSON.stringify(value)})`;
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}
