import { Controller, Get, Inject, NotFoundException, Req, Res, Type } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import { NEST_PATH_METADATA, OBSERVABILITY_ENDPOINT_METADATA, OBSERVABILITY_RESOLVED_OPTIONS } from '../observability.constants';
import { ResolvedObservabilityOptions } from '../observability-options.interface';
import { byteLength, MetricsEndpoint, RequestHeaders } from './metrics-endpoint.service';

/**
 * The scrape endpoint on the app's port, on @willsoto/nestjs-prometheus's controller: a thin adapter
 * over `MetricsEndpoint` (the module's own Registry, `metrics.auth`, OpenMetrics negotiation from
 * `Accept`), which writes the response itself
 * (`@Res()` without passthrough), so a global interceptor that maps results, such as a
 * `{ data: ... }` wrapper, cannot alter the exposition.
 */
@Controller()
export class ObservabilityMetricsController extends PrometheusController {
  constructor(
    private readonly endpoint: MetricsEndpoint,
    private readonly adapterHost: HttpAdapterHost,
    @Inject(OBSERVABILITY_RESOLVED_OPTIONS) private readonly options: ResolvedObservabilityOptions,
  ) {
    super();
  }

  @Get()
  // The base signature returns the body; this one writes it itself (see the class comment) and resolves to
  // undefined. `Promise<any>` keeps the override assignable to the base in the shipped .d.ts, where a
  // ts-expect-error comment would not survive (a consumer compiling with skipLibCheck: false would get TS2416).
  override async index(@Req() request: any, @Res() response?: any): Promise<any> {
    // With a management port, /metrics is served there only (forRootAsync still registers this controller).
    if (!this.options.metrics.enabled || !this.options.metrics.endpoint || this.options.management.enabled) throw new NotFoundException();
    const adapter = this.adapterHost.httpAdapter;
    const answer = await this.endpoint.respond((request.headers ?? request.raw?.headers ?? {}) as RequestHeaders);
    for (const [name, value] of Object.entries(answer.headers)) adapter.setHeader(response, name, value);
    const { body } = answer;
    if (typeof body === 'string') {
      adapter.reply(response, body, answer.status);
      return;
    }
    // A large scrape comes as UTF-8 pieces (see MetricsService.renderPieces()): nothing is encoded, joined or
    // hashed (Express's ETag) in one step here. A Node response (Express) writes them one by one; Fastify's
    // reply takes one Buffer (a single copy, ~1 ms for 4 MB).
    if (response?.raw === undefined && typeof response?.write === 'function' && typeof response?.end === 'function') {
      response.statusCode = answer.status;
      response.setHeader('Content-Length', String(byteLength(body)));
      for (const piece of body) response.write(piece);
      response.end();
      return;
    }
    adapter.reply(response, Buffer.concat(body as Buffer[]), answer.status);
  }
}

/**
 * `@Res()` without options stores no passthrough flag, so the one of the base class's
 * `@Res({ passthrough: true })` was inherited: Nest then sent the handler's result (or an interceptor's
 * `{ data: … }`) after the response was written, logging ERR_HTTP_HEADERS_SENT on Express on every 401
 * and every scrape under a mapping interceptor. This handler writes its response: no passthrough.
 * (The key is Nest's RESPONSE_PASSTHROUGH_METADATA, the same in Nest 11 and 12.)
 */
Reflect.defineMetadata('__responsePassthrough__', false, ObservabilityMetricsController, 'index');

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
