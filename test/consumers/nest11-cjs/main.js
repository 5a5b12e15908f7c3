// A Nest 11 application written the way a CommonJS user without a compiler would: plain
// JavaScript, `require()`, decorators applied by hand. It proves that the packed build of
// nestjs-observability works on Nest 11 and that @Counted()/@Timed() work on
// programmatically decorated methods.
'use strict';
require('reflect-metadata');
const { Controller, Get, Inject, Injectable, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { EventEmitter2, EventEmitterModule, OnEvent } = require('@nestjs/event-emitter');
const { Interval, ScheduleModule } = require('@nestjs/schedule');
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

// @nestjs/schedule 6 and @nestjs/event-emitter 3 (Nest 11): the module traces and times their handlers.
class TickJob {
  tick() {}
}
decorateMethod(TickJob, 'tick', Interval(50));
Injectable()(TickJob);

class GreetingListener {
  onGreeted() {}
}
decorateMethod(GreetingListener, 'onGreeted', OnEvent('greeting.sent'));
Injectable()(GreetingListener);

class HelloController {
  constructor(greetings, events) {
    this.greetings = greetings;
    this.events = events;
  }

  hello() {
    this.events.emit('greeting.sent');
    return this.greetings.greet();
  }
}
decorateMethod(HelloController, 'hello', Get(), Counted(), Timed());
Inject(GreetingService)(HelloController, undefined, 0);
Inject(EventEmitter2)(HelloController, undefined, 1);
Controller('hello')(HelloController);

class AppModule {}
Module({
  imports: [
    ObservabilityModule.forRoot({
      metrics: { defaultLabels: { service: 'consumer' } },
      // MANAGEMENT_PORT moves /metrics and the probes to a port of their own.
      management: process.env.MANAGEMENT_PORT ? { port: Number(process.env.MANAGEMENT_PORT), host: '127.0.0.1' } : false,
    }),
    ScheduleModule.forRoot(),
    EventEmitterModule.forRoot(),
  ],
  controllers: [HelloController],
  providers: [GreetingService, TickJob, GreetingListener],
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
