import { BullModule, getQueueToken } from '@nestjs/bullmq';
import { DynamicModule, Module } from '@nestjs/common';
import { OrderConfirmationsProcessor } from './order-confirmations.processor';
import { ORDER_CONFIRMATIONS, ORDER_CONFIRMATIONS_QUEUE } from './order-confirmations.queue';
import { OrdersModule } from './orders.module';

/**
 * The sample's BullMQ part: the `order-confirmations` queue and its processor, on the Redis at `redisUrl`.
 * main.ts adds it only when it found a Redis; without it the orders service places orders unconfirmed.
 * Global, so that OrdersService gets the queue (as {@link ORDER_CONFIRMATIONS}) without OrdersModule
 * depending on Redis.
 */
@Module({})
export class OrderConfirmationsModule {
  static register(redisUrl: string): DynamicModule {
    return {
      module: OrderConfirmationsModule,
      global: true,
      imports: [BullModule.forRoot({ connection: redisConnection(redisUrl) }), BullModule.registerQueue({ name: ORDER_CONFIRMATIONS_QUEUE }), OrdersModule],
      providers: [{ provide: ORDER_CONFIRMATIONS, useExisting: getQueueToken(ORDER_CONFIRMATIONS_QUEUE) }, OrderConfirmationsProcessor],
      exports: [ORDER_CONFIRMATIONS],
    };
  }
}

/** ioredis options from a `redis://[user:password@]host[:port][/db]` (or `rediss://`) URL. */
export function redisConnection(url: string): { host: string; port: number; username?: string; password?: string; db?: number; tls?: object } {
  const parsed = new URL(url);
  const db = Number(parsed.pathname.slice(1));
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: Number(parsed.port || 6379),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(db ? { db } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}
