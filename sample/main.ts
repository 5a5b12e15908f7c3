import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';

/** Starts the sample on Express (default) or Fastify (`HTTP_ADAPTER=fastify`). */
async function bootstrap(): Promise<void> {
  const port = Number(process.env.PORT ?? 3000);
  const host = process.env.HOST ?? '127.0.0.1';
  const adapter = process.env.HTTP_ADAPTER === 'fastify' ? new FastifyAdapter() : new ExpressAdapter();
  const app = await NestFactory.create(AppModule, adapter);
  // Nest's shutdown hooks close the server and the module cleanly on SIGTERM; never process.exit().
  app.enableShutdownHooks();
  await app.listen(port, host);
  const base = `http://${host}:${port}`;
  const logger = new Logger('Sample');
  logger.log(`Orders sample (${process.env.HTTP_ADAPTER === 'fastify' ? 'fastify' : 'express'}) listening on ${base}`);
  logger.log(`Try: curl -X POST ${base}/orders -H 'content-type: application/json' -d '{"item":"book","quantity":2}'`);
  logger.log(`     curl ${base}/orders/1   |   curl ${base}/orders/fail (fails on purpose)`);
  logger.log(`Metrics: ${base}/metrics  (OpenMetrics: curl -H 'Accept: application/openmetrics-text' ${base}/metrics)`);
}

void bootstrap();
