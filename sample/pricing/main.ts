import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { AddressInfo } from 'node:net';
import { ObservabilityLogger, startObservabilitySdk } from '../../lib';
import { PricingAppModule } from './pricing.module';
import { sampleVersion } from '../sample-version';

/**
 * The pricing service: the sample's second process. The orders service starts it (`npm start` runs
 * both) and calls it with `fetch()` when it creates an order; the `traceparent` header that the library
 * adds makes its server span a child of the orders trace. It also runs on its own:
 * `PORT=3001 node dist-sample/sample/pricing/main.js`.
 */
const sdk = startObservabilitySdk({
  serviceName: 'pricing-sample',
  serviceVersion: sampleVersion(),
  exporter: process.env.OTEL_TRACES_EXPORTER ? undefined : process.env.OTEL_EXPORTER_OTLP_ENDPOINT ? 'otlp' : 'console',
});

/** A message to the orders process that started this one (over the IPC channel of `fork()`). */
export interface PricingReadyMessage {
  type: 'pricing-ready';
  port: number;
}

async function bootstrap(): Promise<void> {
  const port = Number(process.env.PORT ?? 3001);
  const host = process.env.HOST ?? '127.0.0.1';
  const adapter = process.env.HTTP_ADAPTER === 'fastify' ? new FastifyAdapter() : new ExpressAdapter();
  const app = await NestFactory.create(PricingAppModule, adapter, { logger: new ObservabilityLogger({ prefix: 'Pricing' }) });
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  await app.listen(port, host);
  const actualPort = (app.getHttpServer().address() as AddressInfo).port;
  const logger = new Logger('PricingSample');
  logger.log(`Pricing service serving at http://${host}:${actualPort}/prices/:item  (metrics: /metrics, health: /health/*; traces go to ${sdk.destination})`);

  if (process.send) {
    // Started by the orders process: tell it the port, and never outlive it (even if it was killed).
    process.send({ type: 'pricing-ready', port: actualPort } satisfies PricingReadyMessage);
    // SIGTERM goes through Nest's shutdown hooks, which ignore a second signal while one is handled.
    process.once('disconnect', () => {
      logger.warn('The orders process is gone; shutting down.');
      process.kill(process.pid, 'SIGTERM');
    });
  }
}

bootstrap().catch((error: unknown) => {
  new Logger('PricingSample').error(`The pricing service failed to start: ${String((error as Error)?.stack ?? error)}`);
  process.exit(1);
});
