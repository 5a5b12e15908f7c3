import { Inject, Injectable } from '@nestjs/common';
import type { Tracer } from '@opentelemetry/api';
import { OBSERVABILITY_TRACER } from '../observability.constants';
import { InstrumentationSpec, InvocationListener, MethodInstrumenter } from '../instrumentation/instrumentation-spec.interface';
import { createSpanListener } from './span-listener';
import { TracedOptions } from './traced.decorator';

/** Turns `@Traced()` specs into span listeners. Outer to the metrics layers, so their exemplars see the span. */
@Injectable()
export class TracedInstrumenter implements MethodInstrumenter {
  readonly kinds = ['traced'] as const;
  readonly order = 100;

  constructor(@Inject(OBSERVABILITY_TRACER) private readonly tracer: Tracer) {}

  createListener(spec: InstrumentationSpec): InvocationListener<any> {
    const options = spec.options as TracedOptions;
    return createSpanListener(this.tracer, options.name ?? `${spec.className}.${spec.methodName}`, options);
  }
}
