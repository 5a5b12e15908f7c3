import { randomSpanId, randomUint32, traceIdWithAccumulation } from './trace-ids';

/**
 * The SDK's `IdGenerator` (same shape as OpenTelemetry's `RandomIdGenerator`), with one addition: the
 * request fast path, having decided "sampled" on a trace id it drew itself, hands that id over for the
 * `startSpan()` it calls next, so that the SDK's span carries the very id the decision was taken on.
 * The hand-over is synchronous (set, `startSpan`, cleared), so no other span can take it.
 */
export class PresetTraceIdGenerator {
  private preset: string | undefined;
  private handedOut: string | undefined;

  /** The next `generateTraceId()` returns `traceId`. */
  presetNext(traceId: string): void {
    this.preset = traceId;
  }

  /** Drops a preset id that no `startSpan()` used (e.g. tracing suppressed in that context). */
  clearPreset(): void {
    this.preset = undefined;
    // The listener calls this right after its startSpan(): nothing of that call may outlive it.
    this.handedOut = undefined;
  }

  generateTraceId(): string {
    const preset = this.preset;
    if (preset !== undefined) {
      this.preset = undefined;
      this.handedOut = preset;
      return preset;
    }
    return traceIdWithAccumulation(randomUint32());
  }

  /**
   * Whether `traceId` is the preset id just handed to `startSpan()`, which the fast path already
   * decided to sample (the sampler runs right after, in the same call): it need not decide again.
   * Answers once.
   */
  takeDecided(traceId: string): boolean {
    if (this.handedOut === undefined || this.handedOut !== traceId) return false;
    this.handedOut = undefined;
    return true;
  }

  generateSpanId(): string {
    return randomSpanId();
  }
}
