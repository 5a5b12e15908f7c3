import { Controller, Get, Header, Inject, NotFoundException, Res, Type } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { NEST_PATH_METADATA, OBSERVABILITY_ENDPOINT_METADATA, OBSERVABILITY_RESOLVED_OPTIONS } from '../observability.constants';
import { HealthProbe, ResolvedObservabilityOptions } from '../observability-options.interface';
import { HealthProbeService } from './health-probe.service';

const PROBES: HealthProbe[] = ['liveness', 'readiness', 'startup'];

/**
 * The probe endpoints. The answer is written directly (`@Res()`), so a global interceptor that
 * maps results cannot change the Terminus body, and a down probe is a 503, never a 500.
 */
@Controller()
export class ObservabilityHealthController {
  constructor(
    protected readonly probes: HealthProbeService,
    protected readonly adapterHost: HttpAdapterHost,
    @Inject(OBSERVABILITY_RESOLVED_OPTIONS) protected readonly options: ResolvedObservabilityOptions,
  ) {}

  /** Answers one probe. */
  protected async respond(probe: HealthProbe, response: unknown): Promise<void> {
    // With a management port, the probes are served there only (forRootAsync still registers this controller).
    if (!this.options.health.enabled || this.options.management.enabled) throw new NotFoundException();
    const report = await this.probes.run(probe);
    this.adapterHost.httpAdapter.reply(response, report.body, report.httpStatus);
  }
}

/**
 * A fresh controller class per module instance, with one handler per probe, so that the paths
 * (known once async options resolve) never leak between two apps in one process.
 */
export function createHealthControllerClass(): Type<ObservabilityHealthController> {
  class HealthController extends ObservabilityHealthController {}
  for (const probe of PROBES) {
    const handler = function (this: HealthController, response: unknown) {
      return this.respond(probe, response);
    };
    Object.defineProperty(handler, 'name', { value: probe });
    Object.defineProperty(HealthController.prototype, probe, { value: handler, writable: true, configurable: true });
    Res()(HealthController.prototype, probe, 0);
  }
  Reflect.defineMetadata(OBSERVABILITY_ENDPOINT_METADATA, true, HealthController);
  return HealthController;
}

/** Applies the resolved prefix and probe paths to a class from `createHealthControllerClass()`. */
export function configureHealthController(controller: Type<ObservabilityHealthController>, options: ResolvedObservabilityOptions): void {
  Reflect.defineMetadata(NEST_PATH_METADATA, options.health.path, controller);
  for (const probe of PROBES) {
    const descriptor = Object.getOwnPropertyDescriptor(controller.prototype, probe)!;
    Get(options.health.probePaths[probe])(controller.prototype, probe, descriptor);
    Header('Cache-Control', 'no-store')(controller.prototype, probe, descriptor);
  }
}
