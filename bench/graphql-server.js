'use strict';
/**
 * The GraphQL service bench/graphql.js loads: `POST /graphql` `query OrderById { orderById(id: "1") { id total } }`
 * against a schema-first resolver, through `@nestjs/graphql`.
 *
 *   BENCH_CONFIG  = bare | metrics | http   (metrics: ObservabilityModule with `tracing: false`; http: also `graphql: false`)
 *   BENCH_DRIVER  = apollo | mercurius
 *   BENCH_ADAPTER = express | fastify    (Mercurius: fastify only)
 *
 * Listens on 127.0.0.1 (a port from the OS), sends `{ port, pid }` over IPC when ready, exits on `'exit'`.
 */
require('reflect-metadata');
const configName = process.env.BENCH_CONFIG ?? 'bare';
const driverName = process.env.BENCH_DRIVER ?? 'apollo';
const adapterName = process.env.BENCH_ADAPTER ?? 'express';
const CONFIGS = { bare: null, metrics: { tracing: false }, http: { tracing: false, graphql: false } };
if (!(configName in CONFIGS)) throw new Error(`unknown BENCH_CONFIG ${configName}`);

const { Injectable, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { GraphQLModule, Resolver, Query, Args } = require('@nestjs/graphql');
const { decorateMethod } = require('./lib/decorate');
const { serveBenchIpc, runServer } = require('./lib/server-ipc');
const lib = CONFIGS[configName] ? require('../dist') : null;

const typeDefs = `
  type Order { id: ID!, total: Float! }
  type Query { orderById(id: ID!): Order }
`;

class OrdersResolver {
  orderById(id) {
    return { id, total: 42 };
  }
}
// As tsc does: the parameter decorator first, then the method's.
Args('id')(OrdersResolver.prototype, 'orderById', 0);
decorateMethod(OrdersResolver, 'orderById', [Query('orderById')]);
Reflect.decorate([Resolver('Order'), Injectable()], OrdersResolver);

function graphqlModule() {
  if (driverName === 'mercurius') {
    const { MercuriusDriver } = require('@nestjs/mercurius');
    return GraphQLModule.forRoot({ driver: MercuriusDriver, typeDefs, path: '/graphql' });
  }
  const { ApolloDriver } = require('@nestjs/apollo');
  return GraphQLModule.forRoot({ driver: ApolloDriver, typeDefs, path: '/graphql' });
}

class AppModule {}
Reflect.decorate(
  [Module({ imports: [...(lib ? [lib.ObservabilityModule.forRoot(CONFIGS[configName])] : []), graphqlModule()], providers: [OrdersResolver] })],
  AppModule,
);

async function main() {
  let adapter;
  if (adapterName === 'fastify') {
    const { FastifyAdapter } = require('@nestjs/platform-fastify');
    adapter = new FastifyAdapter();
  }
  const app = adapter ? await NestFactory.create(AppModule, adapter, { logger: ['error', 'warn'] }) : await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
  await app.listen(0, '127.0.0.1');
  serveBenchIpc(app);
}

runServer(main);
