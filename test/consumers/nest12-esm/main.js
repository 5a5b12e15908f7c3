// A Nest 12 application written the way an ESM user without a compiler would: plain
// JavaScript, `import` statements, decorators applied by hand. It proves that the packed
// CommonJS build of nestjs-observability loads (through require(esm)) next to an
// ESM-only Nest and that @Counted()/@Timed() work on programmatically decorated methods.
import 'reflect-metadata';
import { Controller, Get, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { metrics } from '@opentelemetry/api';
import { Counted, ObservabilityModule, Timed } from 'nestjs-observability';

/** Applies method decorators like TypeScript does: last listed runs first. */
function decorateMethod(cls, key, ...decorators) {
  let descriptor = Object.getOwnPropertyDescriptor(cls.prototype, key);
  for (const decorator of [...decorators].reverse()) {
    descriptor = decorator(cls.prototype, key, descriptor) ?? descriptor;
  }
  Object.defineProperty(cls.prototype, key, descriptor);
}

export class GreetingService {
  // An OpenTelemetry-API counter: the preloaded SDK's MeterProvider renders it on the module's /metrics.
  sent = metrics.getMeter('consumer').createCounter('greetings.sent', { unit: '{greeting}', description: 'Greetings sent' });

  greet() {
    this.sent.add(1);
    return { message: 'hello' };
  }
}
decorateMethod(GreetingService, 'greet', Counted());
Injectable()(GreetingService);

export class HelloController {
  constructor(greetings) {
    this.greetings = greetings;
  }

  hello() {
    return this.greetings.greet();
  }
}
decorateMethod(HelloController, 'hello', Get(), Counted(), Timed());
Reflect.defineMetadata('design:paramtypes', [GreetingService], HelloController);
Controller('hello')(HelloController);

export class AppModule {}
Module({
  imports: [
    ObservabilityModule.forRoot({
      metrics: { defaultLabels: { service: 'consumer' } },
      // MANAGEMENT_PORT moves /metrics and the probes to a port of their own.
      management: process.env.MANAGEMENT_PORT ? { port: Number(process.env.MANAGEMENT_PORT), host: '127.0.0.1' } : false,
    }),
  ],
  controllers: [HelloController],
  providers: [GreetingService],
})(AppModule);

const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
// process.exit(0) after the shutdown hooks ran, instead of re-raising the signal.
app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
console.log(`LISTENING ${app.getHttpServer().address().port}`);
