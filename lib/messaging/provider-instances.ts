import type { DiscoveryService } from '@nestjs/core';

/**
 * Calls `instrument` for each provider instance in the container that `matches`: the instances of static
 * (not request-scoped) providers, created by now (call it from `onModuleInit` or later). The one walk the
 * producer-side instrumenters (microservice clients, BullMQ queues and flow producers) share.
 *
 * @example
 * instrumentProviders(discovery, (i): i is Queue => isQueue(i), (queue) => wrap(queue));
 */
export function instrumentProviders<T extends object>(discovery: DiscoveryService, matches: (instance: object) => instance is T, instrument: (instance: T) => void): void {
  for (const wrapper of discovery.getProviders()) {
    const instance: unknown = wrapper.isDependencyTreeStatic() ? wrapper.instance : undefined;
    if (typeof instance === 'object' && instance !== null && matches(instance)) instrument(instance);
  }
}
