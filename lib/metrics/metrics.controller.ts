import { Controller, Get, Inject, Logger, NotFoundException, Req, Res, Type } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import { NEST_PATH_METADATA, OBSERVABILITY_ENDPOINT_METADATA, OBSERVABILITY_RESOLVED_OPTIONS } from '../observability.constants';
import { ResolvedObservabilityOptions } from '../observability-options.interface';
import { CONTENT_TYPES, negotiateFormat } from './metrics.renderer';
import { MetricsService } from './metrics.service';

/**
 * The scrape endpoint, on @willsoto/nestjs-prometheus's controller. It serves the module's own
 * Registry, negotiates OpenMetrics from the `Accept` header, and writes the response itself
 * (`@Res()` without passthrough), so a global interceptor that maps results, such as a
 * `{ data: ... }` wrapper, cannot alter the exposition.
 */
@Controller()
export class ObservabilityMetricsController extends PrometheusController {
  private readonly logger = new Logger('ObservabilityModule');

  constructor(
    private readonly metrics: MetricsService,
    private readonly adapterHost: HttpAdapterHost,
    @Inject(OBSERVABILITY_RESOLVED_OPTIONS) private readonly options: ResolvedObservabilityOptions,
  ) {
    super();
  }

  @Get()
  // @ts-expect-error The base signature returns the body; this one writes it itself (see the class comment).
  override async index(@Req() request: any, @Res() response?: any): Promise<void> {
    if (!this.options.metrics.enabled) throw new NotFoundException();
    const adapter = this.adapterHost.httpAdapter;
    const headers = (request.headers ?? request.raw?.headers ?? {}) as Record<string, string | string[] | undefined>;
    const format = negotiateFormat(headers.accept);
    try {
      const body = await this.metrics.render(format);
      adapter.setHeader(response, 'Content-Type', CONTENT_TYPES[format]);
      adapter.reply(response, body, 200);
    } catch (error) {
      // A failing custom collect() must not take the endpoint down silently.
      this.logger.error(`Rendering /metrics failed: ${(error as Error)?.stack ?? String(error)}`);
      adapter.setHeader(response, 'Content-Type', 'text/plain; charset=utf-8');
      adapter.reply(response, `# metrics collection failed: ${String((error as Error)?.message ?? error)}\n`, 500);
    }
  }
}

/**
 * A fresh controller class per module instance, so that its path (known only once async
 * options resolve) and the user's decorators never leak between two apps in one process.
 */
export function createMetricsControllerClass(): Type<ObservabilityMetricsController> {
  class MetricsController extends ObservabilityMetricsController {}
  Reflect.defineMetadata(OBSERVABILITY_ENDPOINT_METADATA, true, MetricsController);
  return MetricsController;
}

/** Applies the resolved path and the user's `metrics.decorators` to a controller class from `createMetricsControllerClass()`. */
export function configureMetricsController(controller: Type<ObservabilityMetricsController>, options: ResolvedObservabilityOptions): void {
  Reflect.defineMetadata(NEST_PATH_METADATA, options.metrics.path, controller);
  // Applied to this module instance's own subclass, never to the shared base class.
  for (const decorator of options.metrics.decorators) decorator(controller);
}
