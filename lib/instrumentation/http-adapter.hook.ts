import { Inject, Injectable, Logger, OnModuleInit, Optional } from '@nestjs/common';
import { ApplicationConfig, DiscoveryService, HttpAdapterHost, MetadataScanner } from '@nestjs/core';
import { OBSERVABILITY_RESOLVED_OPTIONS } from '../observability.constants';
import type { ResolvedObservabilityOptions } from '../observability-options.interface';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HTTP_EXCHANGE, HttpExchange, HttpExchangeListener } from './http-exchange.interface';
import { checkEndpointRouteClashes } from './endpoint-route-clash.checker';
import { readRoute } from './http-route';
import { explainManagementPortClash } from './management-port-clash';
import { ObservabilityEndpointMatcher, requestPath } from './observability-endpoint.matcher';

/** Injection token of the `HttpExchangeListener[]` that the enabled parts contribute. */
export const HTTP_EXCHANGE_LISTENERS = Symbol('nestjs-observability:http-exchange-listeners');

type RequestHook = (req: any, res: any, done: (err?: unknown) => void) => unknown;

interface HookableAdapter {
  getType(): string;
  setOnRequestHook?(hook: RequestHook): void;
  onRequestHook?: RequestHook;
}

/**
 * Observes every HTTP request at the cheapest point that still covers all of it: the request
 * hook that Nest's Express and Fastify adapters run before any middleware (body parsing, Nest
 * middleware, guards, pipes, handler, exception filters). No Nest interceptor or middleware is
 * added to the request path. The response side listens for the socket-level `close` event, so
 * the status is the final one and aborted requests are seen too.
 */
@Injectable()
export class HttpAdapterHook implements OnModuleInit {
  private readonly logger = new Logger('ObservabilityModule');

  constructor(
    @Inject(HTTP_EXCHANGE_LISTENERS) private readonly listeners: HttpExchangeListener[],
    @Optional() private readonly adapterHost?: HttpAdapterHost,
    @Optional() private readonly appConfig?: ApplicationConfig,
    @Optional() @Inject(OBSERVABILITY_RESOLVED_OPTIONS) private readonly options?: ResolvedObservabilityOptions,
    @Optional() discovery?: DiscoveryService,
    @Optional() scanner?: MetadataScanner,
  ) {
    // Now, not at init: Fastify registers the routes before init hooks run, and refuses a duplicate with an error of its own.
    // Under Test.createTestingModule() the adapter is not known yet: routes are then compared as Express does, in any case.
    if (options && discovery && scanner) {
      checkEndpointRouteClashes(options, discovery, scanner, (adapterHost?.httpAdapter?.getType?.() ?? 'express') !== 'fastify');
    }
  }

  onModuleInit(): void {
    const adapter = this.adapterHost?.httpAdapter as unknown as (HookableAdapter & { getHttpServer?(): unknown }) | undefined;
    if (!adapter) return;
    const type = adapter.getType();
    this.checkAppServer(adapter);
    if (this.listeners.length === 0) return;
    if ((type !== 'express' && type !== 'fastify') || typeof adapter.setOnRequestHook !== 'function') {
      this.logger.warn(
        `HTTP metrics and server spans need the Express or Fastify adapter of Nest 11 or 12 (its request hook); ` +
          `"${type}" requests are not observed.`,
      );
      return;
    }
    // Read now, not in the constructor: setGlobalPrefix() and enableVersioning() run between create() and init().
    const own = this.options ? ObservabilityEndpointMatcher.create(this.options, this.appConfig) : undefined;
    const observe = this.createObserver(type === 'fastify', own);
    // Keep a hook someone else installed: ours observes, then hands over to it.
    const previous = adapter.onRequestHook;
    adapter.setOnRequestHook(
      previous
        ? function (this: unknown, req, res, done) {
            observe(req, res, () => previous.call(this, req, res, done));
          }
        : (req, res, done) => observe(req, res, done),
    );
  }

  /** The app on the management port: says so when app.listen() fails (an app route on a module endpoint is refused above). */
  private checkAppServer(adapter: { getHttpServer?(): unknown }): void {
    const options = this.options;
    if (options?.management.enabled) explainManagementPortClash(adapter.getHttpServer?.() as Parameters<typeof explainManagementPortClash>[0], options.management.port);
  }

  private createObserver(fastify: boolean, own?: ObservabilityEndpointMatcher) {
    const listeners = this.listeners;
    const onRequest = listeners.filter((l) => typeof l.onRequest === 'function');
    return (request: any, reply: any, next: () => void): void => {
      const raw: IncomingMessage = fastify ? request.raw : request;
      const response: ServerResponse = fastify ? reply.raw : reply;
      const path = requestPath(raw.url ?? '/');
      // The module's own endpoints are never the app's traffic: no metrics, no span (Fastify already routed it).
      if (own?.matches(path, fastify ? request.routeOptions?.url : undefined)) return next();
      const exchange: HttpExchange = {
        start: performance.now(),
        method: raw.method ?? 'GET',
        path,
        request,
        raw,
        headers: raw.headers,
        fastify,
        response,
        route: undefined,
        routeDetail: undefined,
        aborted: undefined,
        span: undefined,
        run: undefined,
      };
      request[HTTP_EXCHANGE] = exchange;
      try {
        for (let i = 0; i < onRequest.length; i++) onRequest[i].onRequest!(exchange);
      } catch (error) {
        // Observability must never fail the request it observes.
        this.logger.error(`An HTTP observability listener failed: ${String(error)}`);
      }
      response.once('close', () => {
        exchange.route = readRoute(exchange);
        exchange.aborted = !response.writableFinished;
        for (let i = 0; i < listeners.length; i++) {
          try {
            listeners[i].onResponse(exchange);
          } catch (error) {
            this.logger.error(`An HTTP observability listener failed: ${String(error)}`);
          }
        }
      });
      if (exchange.run === undefined) next();
      else exchange.run(next);
    };
  }
}
