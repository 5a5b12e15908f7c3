import { Inject, Injectable } from '@nestjs/common';
import type { Attributes, Tracer } from '@opentelemetry/api';
import { OBSERVABILITY_TRACER } from '../observability.constants';
import { InstrumentationCallbackFailures } from '../instrumentation/callback-failures';
import { InstrumentationSpec, InvocationListener, MethodInstrumenter } from '../instrumentation/instrumentation-spec.interface';
import { createSpanListener, SpanState } from './span-listener';
import { TracedOptions } from './traced.decorator';

/** Turns `@Traced()` specs, and the span of `@Observed()` ones, into span listeners. Outer to the metrics layers, so their exemplars see the span. */
@Injectable()
export class TracedInstrumenter implements MethodInstrumenter {
  readonly kinds = ['traced', 'observed'] as const;
  readonly order = 100;

  constructor(
    @Inject(OBSERVABILITY_TRACER) private readonly tracer: Tracer,
    private readonly failures: InstrumentationCallbackFailures,
  ) {}

  createListener(spec: InstrumentationSpec): InvocationListener<any> {
    return this.spanListener(spec, spec.options as TracedOptions, spec.kind === 'observed' ? 'Observed' : 'Traced');
  }

  /** The span listener of a spec, with its callbacks guarded: a throwing one is counted, never felt by the call. */
  spanListener(spec: InstrumentationSpec, options: TracedOptions, decorator: string): InvocationListener<SpanState> {
    const name = options.name ?? `${spec.className}.${spec.methodName}`;
    const { attributes, argsToAttributes, onResult } = options;
    const derive = typeof attributes === 'function' ? attributes : argsToAttributes ? (args: unknown[]) => argsToAttributes(...args) : undefined;
    const listener = createSpanListener(this.tracer, name, {
      kind: options.kind,
      attributes: typeof attributes === 'function' ? undefined : attributes,
      argsToAttributes: derive ? this.guarded(spec, decorator, typeof attributes === 'function' ? 'attributes' : 'argsToAttributes', derive) : undefined,
    });
    if (onResult === undefined) return listener;
    const site = this.failures.site(decorator, 'onResult', spec.className, spec.methodName);
    const end = listener.end;
    return {
      ...listener,
      end: (state, error, failed, value) => {
        if (!failed && state !== null && state.span.isRecording()) {
          try {
            onResult(value, state.span);
          } catch (callbackError) {
            this.failures.record(site, callbackError);
          }
        }
        end(state, error, failed, value);
      },
    };
  }

  private guarded(spec: InstrumentationSpec, decorator: string, callback: string, derive: (args: unknown[]) => Attributes) {
    const site = this.failures.site(decorator, callback, spec.className, spec.methodName);
    return (...args: unknown[]): Attributes => {
      try {
        return derive(args);
      } catch (error) {
        this.failures.record(site, error);
        return {};
      }
    };
  }
}
