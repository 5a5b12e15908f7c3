'use strict';
/**
 * The echo service of bench/websockets.js, in a process of its own: one gateway whose
 * `@SubscribeMessage('echo')` handler returns `{ event: 'echo', data }`, on socket.io
 * (`BENCH_TRANSPORT=socket.io`, Nest's default adapter) or ws (`BENCH_TRANSPORT=ws`, `WsAdapter`), with
 * no module (`BENCH_CONFIG=bare`), `ObservabilityModule.forRoot({ tracing: false })` (`metrics`) or the
 * same with `websockets: false` (`module`).
 * Sends its port to the parent over IPC; exits when the parent goes away.
 */
require('reflect-metadata');
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { SubscribeMessage, WebSocketGateway } = require('@nestjs/websockets');
const { decorateMethod } = require('./lib/decorate');

const config = process.env.BENCH_CONFIG ?? 'bare';
const transport = process.env.BENCH_TRANSPORT ?? 'socket.io';

class EchoGateway {
  echo(_client, data) {
    return { event: 'echo', data };
  }
}
decorateMethod(EchoGateway, 'echo', [SubscribeMessage('echo')]);
Reflect.decorate([WebSocketGateway()], EchoGateway);

class AppModule {}
// `module`: the same module with the WebSocket part off, to tell its own cost from the rest of the module's.
const MODULE_OPTIONS = { metrics: { tracing: false }, module: { tracing: false, websockets: false } };
const imports = config in MODULE_OPTIONS ? [require('../dist').ObservabilityModule.forRoot(MODULE_OPTIONS[config])] : [];
Reflect.decorate([Module({ imports, providers: [EchoGateway] })], AppModule);

async function main() {
  const app = await NestFactory.create(AppModule, { logger: ['error'] });
  if (transport === 'ws') app.useWebSocketAdapter(new (require('@nestjs/platform-ws').WsAdapter)(app));
  await app.listen(0, '127.0.0.1');
  process.send(app.getHttpServer().address().port);
}
process.on('disconnect', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
