import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { ObservabilityLogger, startObservabilitySdk } from '../lib';
import { AppModule } from './app.module';
import { OrderConfirmationsModule } from './orders/order-confirmations.module';
import { PricingProcess, PricingProcessModule } from './pricing-process';
import { RedisProcess } from './redis-process';
import { sampleVersion } from './sample-version';

// Tracing starts before the app: spans go to the console, or over OTLP when an endpoint is set.
const sdk = startObservabilitySdk({
  serviceName: process.env.OTEL_SERVICE_NAME ?? 'orders-sample',
  serviceVersion: sampleVersion(),
  exporter: process.env.OTEL_TRACES_EXPORTER ? undefined : process.env.OTEL_EXPORTER_OTLP_ENDPOINT ? 'otlp' : 'console',
});

/**
 * Starts the sample on Express (default) or Fastify (`HTTP_ADAPTER=fastify`): first the pricing service
 * as a child process on `PRICING_PORT` (default PORT+1), unless `PRICING_URL` points at one already
 * running, then the orders service, which calls it. The orders service queues a confirmation job per
 * order (BullMQ) on the Redis at `REDIS_URL`, or on a `redis-server` it starts when one is on PATH, or
 * runs without that queue.
 */
async function bootstrap(): Promise<void> {
  const port = Number(process.env.PORT ?? 3000);
  const host = process.env.HOST ?? '127.0.0.1';
  let pricing: PricingProcess | undefined;
  if (!process.env.PRICING_URL) {
    pricing = await PricingProcess.start({ port: Number(process.env.PRICING_PORT ?? port + 1), host });
    process.env.PRICING_URL = pricing.url; // read by PricingClient
  }
  const redis = await findRedis();
  const adapter = process.env.HTTP_ADAPTER === 'fastify' ? new FastifyAdapter() : new ExpressAdapter();
  const imports = [
    ...(pricing ? [PricingProcessModule.register(pricing)] : []),
    ...(redis.url ? [OrderConfirmationsModule.register(redis.url)] : []),
  ];
  const root = imports.length ? { module: AppModule, imports } : AppModule;
  const app = await NestFactory.create(root, adapter, { logger: new ObservabilityLogger() });
  // On SIGTERM: readiness fails, the app drains, Nest closes, spans flush; then the process exits 0.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  await app.listen(port, host);
  const base = `http://${host}:${port}`;
  const logger = new Logger('Sample');
  logger.log(`Orders sample (${process.env.HTTP_ADAPTER === 'fastify' ? 'fastify' : 'express'}) listening on ${base}`);
  logger.log(`Try: curl -X POST ${base}/orders -H 'content-type: application/json' -d '{"item":"book","quantity":2}'`);
  logger.log(`     curl ${base}/orders/1   |   curl ${base}/orders/fail (fails on purpose)`);
  logger.log(`Metrics: ${base}/metrics  (OpenMetrics, with exemplars: curl -H 'Accept: application/openmetrics-text' ${base}/metrics)`);
  logger.log(`Health: ${base}/health/live  ${base}/health/ready  ${base}/health/startup`);
  logger.log(`Pricing service (a second process, called by POST /orders, so one trace spans both): ${process.env.PRICING_URL}/prices/book`);
  logger.log(redis.description);
  logger.log(`Traces go to ${sdk.destination}`);
}

/**
 * Where the order-confirmation queue runs: `REDIS_URL`, else a `redis-server` child when one is on PATH,
 * else nowhere (the sample boots without it; a missing Redis never fails the boot).
 */
async function findRedis(): Promise<{ url?: string; description: string }> {
  const off = 'Order confirmations (BullMQ queue "order-confirmations") are off: no Redis (set REDIS_URL or install redis-server); orders stay "placed"';
  if (process.env.REDIS_URL) {
    return { url: process.env.REDIS_URL, description: `Order confirmations: BullMQ queue "order-confirmations" on ${redactPassword(process.env.REDIS_URL)} (REDIS_URL)` };
  }
  if (!RedisProcess.onPath()) return { description: off };
  try {
    const redis = await RedisProcess.start();
    return { url: redis.url, description: `Order confirmations: BullMQ queue "order-confirmations" on ${redis.url} (a redis-server child process, pid ${redis.pid})` };
  } catch (error) {
    new Logger('Sample').warn(String((error as Error).message));
    return { description: off };
  }
}

/** The URL as it can be logged: without its password. */
function redactPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password) return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an unparsable REDIS_URL)';
  }
}

bootstrap().catch((error: unknown) => {
  new Logger('Sample').error(`The sample failed to start: ${String((error as Error)?.stack ?? error)}`);
  process.exit(1);
});
