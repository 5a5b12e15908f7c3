/** A logger for `startObservabilitySdk({ logger })` that keeps what it is told. */
export function captureLogger() {
  const infos: string[] = [];
  const warnings: string[] = [];
  return { infos, warnings, log: (m: string) => void infos.push(m), warn: (m: string) => void warnings.push(m) };
}
