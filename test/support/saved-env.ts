/**
 * Remembers some `process.env` variables so that a spec which sets them (for the process-wide SDK) can put
 * them back after each test: a variable that was unset is deleted again, not left as "undefined".
 *
 * @example
 * const env = saveEnv(['OTEL_EXPORTER_OTLP_ENDPOINT']);
 * afterEach(() => env.restore());
 */
export interface SavedEnv {
  /** Puts every saved variable back as it was when `saveEnv()` was called. */
  restore(): void;
}

export function saveEnv(names: readonly string[]): SavedEnv {
  const saved = Object.fromEntries(names.map((k) => [k, process.env[k]]));
  return {
    restore() {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    },
  };
}
