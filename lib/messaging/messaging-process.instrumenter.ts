import { Inject, Injectable } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { ResolvedObservabilityOptions } from '../observability-options.interface';
import { createInstrumentationDecorator } from '../instrumentation/instrument-method.decorator';
import { InstrumentationSpec, InvocationListener, MethodInstrumenter } from '../instrumentation/instrumentation-spec.interface';
import { INSTRUMENTATION_METADATA, OBSERVABILITY_RESOLVED_OPTIONS } from '../observability.constants';
import { ownerOf } from '../tracing/handler-tracing.installer';
import { isRpcContext, RpcContextForwarder } from './rpc-context.forwarder';
import { contextSystem, destinationOfContext } from './messaging-transport';
import { MessagingMetrics } from './messaging-metrics';

/** The instrumentation kind of a microservice handler's `messaging_process_duration_seconds`. */
export const MESSAGING_PROCESS_KIND = 'messagingProcess';
const PATTERN_METADATA = 'microservices:pattern';

interface ProcessState {
  system: string;
  destination: string;
  started: number;
}

/**
 * `messaging_process_duration_seconds` of every `@MessagePattern()` / `@EventPattern()` handler that
 * receives a Redis, NATS or RabbitMQ message (other transports are not messaging systems and record
 * nothing). It gives the handlers their dispatcher at provider-creation time, as `HandlerTracingInstaller`
 * does for spans, and measures until the handler's result settles (a Promise, an Observable).
 */
@Injectable()
export class MessagingProcessInstrumenter implements MethodInstrumenter {
  readonly kinds: readonly string[] = [MESSAGING_PROCESS_KIND];
  // Innermost among the module's layers, like method metrics: the handler's own time.
  readonly order = 20;

  constructor(
    discovery: DiscoveryService,
    scanner: MetadataScanner,
    @Inject(OBSERVABILITY_RESOLVED_OPTIONS) options: ResolvedObservabilityOptions,
    private readonly metrics: MessagingMetrics,
  ) {
    if (!options.metrics.enabled) return;
    for (const wrapper of discovery.getControllers()) {
      const prototype = (wrapper.metatype as { prototype?: Record<string, unknown> } | null)?.prototype;
      if (!prototype) continue;
      for (const name of scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name] as object;
        if (Reflect.getMetadata(PATTERN_METADATA, handler) === undefined) continue;
        metrics.use();
        const specs: InstrumentationSpec[] = Reflect.getMetadata(INSTRUMENTATION_METADATA, handler) ?? [];
        if (specs.some((s) => s.kind === MESSAGING_PROCESS_KIND)) continue;
        const owner = ownerOf(prototype, name);
        const descriptor = Object.getOwnPropertyDescriptor(owner, name)!;
        createInstrumentationDecorator(MESSAGING_PROCESS_KIND, { auto: true })(owner, name, descriptor);
        RpcContextForwarder.on(descriptor.value);
        Object.defineProperty(owner, name, descriptor);
      }
    }
  }

  createListener(spec: InstrumentationSpec, instance: object): InvocationListener<ProcessState | null> {
    const metrics = this.metrics;
    const forwarder = RpcContextForwarder.of((instance as Record<string, unknown>)[spec.methodName]);
    return {
      start(_thisArg, args) {
        const rpcContext = forwarder ? forwarder.rpcContext(args) : args.find(isRpcContext);
        const system = contextSystem(rpcContext);
        if (system === null) return null;
        return { system, destination: destinationOfContext(rpcContext) ?? '', started: performance.now() };
      },
      end(state, _error, failed) {
        if (state !== null) metrics.observeProcess(state.system, state.destination, (performance.now() - state.started) / 1000, failed);
      },
    };
  }
}
