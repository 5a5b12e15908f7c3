import { down, HealthCheckOutcome, ObservabilityHealthIndicator, up } from '../health/health-indicator.interface';

/** What `RedisConnectionHealth` needs of a Redis client: `ping()` (ioredis, node-redis). */
export interface PingableRedis {
  ping(): Promise<unknown>;
}

/**
 * A base for a Redis-connection indicator: `up` with the round trip in ms when `PING` answers `PONG`,
 * `down` with the error otherwise (a client that queues commands while disconnected is `down` at the
 * indicator's timeout). Extend it in a class with `@HealthIndicator()`; the client is yours: a BullMQ
 * queue's (`await queue.client`), an ioredis instance you provide, a microservice client's.
 *
 * @example
 * @HealthIndicator('redis', { timeoutMs: 1000 })
 * export class RedisHealth extends RedisConnectionHealth {
 *   constructor(@InjectQueue('emails') queue: Queue) {
 *     super(() => queue.client);
 *   }
 * }
 */
export abstract class RedisConnectionHealth implements ObservabilityHealthIndicator {
  /** `client`: the client, or a function that returns it (or a Promise of it), called at each check. */
  protected constructor(private readonly client: PingableRedis | (() => PingableRedis | Promise<PingableRedis>)) {}

  async check(signal: AbortSignal): Promise<HealthCheckOutcome> {
    const started = performance.now();
    try {
      const client = typeof this.client === 'function' ? await this.client() : this.client;
      const answer = await client.ping();
      signal.throwIfAborted();
      const latencyMs = Math.round((performance.now() - started) * 10) / 10;
      return answer === 'PONG' ? up({ latencyMs }) : down({ latencyMs, reason: `PING answered ${String(answer)}` });
    } catch (error) {
      if (signal.aborted) throw error;
      return down({ reason: error instanceof Error ? error.message : String(error) });
    }
  }
}
