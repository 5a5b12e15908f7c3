// A Nest 11 application written the way a CommonJS user without a compiler would: plain
// JavaScript, `require()`, decorators applied by hand. It proves that the packed build of
// nestjs-observability works on Nest 11 and that @Counted()/@Timed() work on
// programmatically decorated methods.
'use strict';
require('reflect-metadata');
const { Controller, Get, Inject, Injectable, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { Counted, ObservabilityModule, Timed } = require('nestjs-observability');

/** Applies method decorators like TypeScript does: last listed runs first. */
function decorateMethod(cls, key, ...decorators) {
  let descriptor = Object.getOwnPropertyDescriptor(cls.prototype, key);
  for (const decorator of [...decorators].reverse()) {
    descriptor = decorator(cls.prototype, key, descriptor) ?? descriptor;
  }
  Object.defineProperty(cls.prototype, key, descriptor);
}

class GreetingService {
  greet() {
    return { message: 'hello' };
  }
}
decorateMethod(GreetingService, 'greet', Counted());
Injectable()(GreetingService);

class HelloController {
  constructor(greetings) {
    this.greetings = greetings;
  }

  hello() {
    return this.greetings.greet();
  }
}
decorateMethod(HelloController, 'hello', Get(), Counted(), Timed());
Inject(GreetingService)(HelloController, undefined, 0);
Controller('hello')(HelloController);

class AppModule {}
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

async function main() {
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
  // process.exit(0) after the shutdown hooks ran, instead of re-raising the signal.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
  console.log(`LISTENING ${app.getHttpServer().address().port}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
