import { ROOT_CONTEXT, SamplingDecision, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace';
import { ObservabilitySampler, SamplingPolicy } from '../../lib';
import { UNTRUSTED_SAMPLED_FLAG } from '../../lib/tracing/sampling/observability.sampler';
import { createContextKey } from '@opentelemetry/api';
import { UnsampledSpan } from '../../lib/tracing/sampling/unsampled.span';
import { PresetTraceIdGenerator } from '../../lib/tracing/sampling/preset-trace-id.generator';
import { randomUint32, traceIdAccumulation, traceIdWithAccumulation } from '../../lib/tracing/sampling/trace-ids';

const decide = (sampler: { shouldSample: (...args: any[]) => { decision: SamplingDecision } }, context: any, traceId: string) =>
  sampler.shouldSample(context, traceId, 'span', SpanKind.SERVER, {}, []).decision;

describe('SamplingPolicy and ObservabilitySampler', () => {
  it('make trace ids with a chosen accumulation, valid and with OpenTelemetry\'s decision', () => {
    for (const ratio of [0, 0.1, 0.5, 1]) {
      const otel = new TraceIdRatioBasedSampler(ratio);
      const policy = new SamplingPolicy(ratio, true);
      const wrong: string[] = [];
      for (let i = 0; i < 2000; i++) {
        const accumulation = i === 0 ? 0 : randomUint32();
        const traceId = traceIdWithAccumulation(accumulation);
        const sampled = decide(otel, ROOT_CONTEXT, traceId) === SamplingDecision.RECORD_AND_SAMPLED;
        const ok = /^[0-9a-f]{32}$/.test(traceId) && traceId !== '0'.repeat(32) && traceIdAccumulation(traceId) === accumulation;
        if (!ok || policy.samplesAccumulation(accumulation) !== sampled) wrong.push(`${ratio} ${accumulation} ${traceId}`);
      }
      expect(wrong).toEqual([]);
    }
  });

  it('decide as ParentBased(TraceIdRatioBased) for new traces and remote and local parents', () => {
    const ours = new ObservabilitySampler(new SamplingPolicy(0.25, true));
    const otel = new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.25) });
    const wrong: string[] = [];
    for (let i = 0; i < 4000; i++) {
      const traceId = traceIdWithAccumulation(randomUint32());
      const kind = i % 5;
      const context =
        kind === 0 ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId: '00f067aa0ba902b7', traceFlags: kind % 2, isRemote: kind < 3 });
      if (decide(ours, context, traceId) !== decide(otel, context, traceId)) wrong.push(`${kind} ${traceId}`);
    }
    expect(wrong).toEqual([]);
  });

  it('apply the ratio to a remote sampled parent in a context marked untrusted, as ParentBased(remoteParentSampled: ratio)', () => {
    const ours = new ObservabilitySampler(new SamplingPolicy(0.1, true));
    const ratio = new TraceIdRatioBasedSampler(0.1);
    const otel = new ParentBasedSampler({ root: ratio, remoteParentSampled: ratio });
    let sampled = 0;
    for (let i = 0; i < 2000; i++) {
      const traceId = traceIdWithAccumulation(randomUint32());
      const context = trace
        .setSpanContext(ROOT_CONTEXT, { traceId, spanId: '00f067aa0ba902b7', traceFlags: 1, isRemote: true })
        .setValue(UNTRUSTED_SAMPLED_FLAG, true);
      const decision = decide(ours, context, traceId);
      if (decision !== decide(otel, context, traceId)) throw new Error(`differs on ${traceId}`);
      if (decision === SamplingDecision.RECORD_AND_SAMPLED) sampled++;
    }
    expect(sampled).toBeGreaterThan(100);
    expect(sampled).toBeLessThan(300);
  });

  it('read OTEL_TRACES_SAMPLER, and give up on samplers they cannot express', () => {
    expect(SamplingPolicy.fromEnvironment(0.2, {})).toMatchObject({ ratio: 0.2, parentBased: true });
    expect(SamplingPolicy.fromEnvironment(undefined, { OTEL_TRACES_SAMPLER_ARG: '0.3' })).toMatchObject({ ratio: 0.3, parentBased: true });
    expect(SamplingPolicy.fromEnvironment(0.2, { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.05' })).toMatchObject({ ratio: 0.05, parentBased: false });
    expect(SamplingPolicy.fromEnvironment(0.2, { OTEL_TRACES_SAMPLER: 'parentbased_always_off' })).toMatchObject({ ratio: 0, parentBased: true });
    expect(SamplingPolicy.fromEnvironment(0.2, { OTEL_TRACES_SAMPLER: 'always_on' })).toMatchObject({ ratio: 1, parentBased: false });
    expect(SamplingPolicy.fromEnvironment(0.2, { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '7' })).toMatchObject({ ratio: 1 });
    expect(SamplingPolicy.fromEnvironment(0.2, { OTEL_TRACES_SAMPLER: 'jaeger_remote' })).toBeNull();
  });

  it('hand a preset trace id to exactly one span', () => {
    const ids = new PresetTraceIdGenerator();
    ids.presetNext('0af7651916cd43dd8448eb211c80319c');
    expect(ids.generateTraceId()).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(ids.generateTraceId()).not.toBe('0af7651916cd43dd8448eb211c80319c');
    ids.presetNext('0af7651916cd43dd8448eb211c80319c');
    ids.clearPreset();
    expect(ids.generateTraceId()).not.toBe('0af7651916cd43dd8448eb211c80319c');
    expect(ids.generateSpanId()).toMatch(/^[0-9a-f]{16}$/);
  });

  it('take the fast path\'s decision for the preset id it handed out, once, and decide every other id by the policy', () => {
    // Ratio 0: the policy samples nothing, so SAMPLED can only come from the hand-over.
    const ids = new PresetTraceIdGenerator();
    const sampler = new ObservabilitySampler(new SamplingPolicy(0, true), ids);
    const preset = '0af7651916cd43dd8448eb211c80319c';
    expect(decide(sampler, ROOT_CONTEXT, preset)).toBe(SamplingDecision.NOT_RECORD);
    ids.presetNext(preset);
    expect(ids.generateTraceId()).toBe(preset);
    expect(decide(sampler, ROOT_CONTEXT, '4bf92f3577b34da6a3ce929d0e0e4736')).toBe(SamplingDecision.NOT_RECORD);
    expect(decide(sampler, ROOT_CONTEXT, preset)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide(sampler, ROOT_CONTEXT, preset)).toBe(SamplingDecision.NOT_RECORD);
  });

  it('UnsampledSpan is its own context: the span under the API key, the parent context\'s values, ids made once and on demand', () => {
    const key = createContextKey('test key');
    const other = createContextKey('other key');
    const parent = ROOT_CONTEXT.setValue(key, 'parent value');
    const span = new UnsampledSpan(0x1234abcd, undefined, parent);
    expect(trace.getSpan(span)).toBe(span);
    expect(span.getValue(key)).toBe('parent value');
    const derived = span.setValue(other, 1);
    expect(trace.getSpan(derived)).toBe(span);
    expect([derived.getValue(key), derived.getValue(other)]).toEqual(['parent value', 1]);
    expect(trace.getSpan(span.deleteValue(key))).toBe(span);
    expect(span.deleteValue(key).getValue(key)).toBeUndefined();
    const ids = span.spanContext();
    expect(span.spanContext()).toBe(ids);
    expect(traceIdAccumulation(ids.traceId)).toBe(0x1234abcd);
    expect(ids.traceFlags).toBe(0);
    expect(span.isRecording()).toBe(false);
    const remote = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 0, isRemote: true };
    const child = new UnsampledSpan(0, remote).spanContext();
    expect(child.traceId).toBe(remote.traceId);
    expect(child.spanId).not.toBe(remote.spanId);
  });

  it("UnsampledSpan's flags cost no ids: exemplars and @Timed() read traceFlags of every request; the ids come on first read, once", () => {
    const random = jest.spyOn(Math, 'random');
    try {
      const span = new UnsampledSpan(0x1234abcd);
      expect(span.spanContext().traceFlags).toBe(TraceFlags.NONE);
      expect(random).not.toHaveBeenCalled();
      const { traceId, spanId } = span.spanContext();
      expect(traceIdAccumulation(traceId)).toBe(0x1234abcd);
      expect(spanId).toMatch(/^[0-9a-f]{16}$/);
      expect([span.spanContext().traceId, span.spanContext().spanId]).toEqual([traceId, spanId]);
      expect(JSON.parse(JSON.stringify(span.spanContext()))).toEqual({ traceId, spanId, traceFlags: 0 });
      expect(trace.isSpanContextValid(span.spanContext())).toBe(true);
    } finally {
      random.mockRestore();
    }
  });
});
