import { Inject, Injectable, Logger, NotFoundException, Optional } from '@nestjs/common';
import { Counter as OtelCounter, metrics } from '@opentelemetry/api';
import type { Queue } from 'bullmq';
import { Counter, Gauge } from 'prom-client';
import { Counted, InjectMetric, Timed, Traced } from '../../lib';
import { Order } from './order.entity';
import { ConfirmOrderJob, ORDER_CONFIRMATIONS } from './order-confirmations.queue';
import { OrdersRepository } from './orders.repository';
import { PricingClient } from './pricing.client';

/** Raised when the warehouse refuses an order; the sample's "fails on purpose" path. */
export class OutOfStockError extends Error {
  constructor(item: string) {
    super(`${item} is out of stock`);
  }
}

/** Business logic of the sample: every public method is counted and timed. */
@Injectable()
export class OrdersService {
  /**
   * The business metric, recorded through the OpenTelemetry metrics API: `orders_placed_total` on /metrics (and over
   * OTLP when metrics are pushed). Created here, at DI time: main.ts started the SDK, and its MeterProvider, first.
   */
  private readonly placed: OtelCounter = metrics.getMeter('orders-sample').createCounter('orders.placed', {
    unit: '{order}',
    description: 'Orders placed, by item.',
  });

  constructor(
    private readonly repository: OrdersRepository,
    private readonly pricing: PricingClient,
    @InjectMetric('orders_items_total') private readonly items: Counter<'item'>,
    @InjectMetric('orders_stored') private readonly stored: Gauge,
    // Absent when the sample runs without Redis: orders are then placed and stay unconfirmed.
    @Optional() @Inject(ORDER_CONFIRMATIONS) private readonly confirmations?: Queue<ConfirmOrderJob>,
  ) {}

  private readonly logger = new Logger('OrdersService');

  @Traced({ argsToAttributes: (item: string, quantity: number) => ({ 'order.item': item, 'order.quantity': quantity }) })
  @Counted()
  @Timed()
  async create(item: string, quantity: number): Promise<Order> {
    if (item === 'unobtainium') throw new OutOfStockError(item);
    // An HTTP call to the pricing service, a second process: the trace continues there.
    const { unitPriceCents, currency } = await this.pricing.quote(item);
    const order = await this.repository.insert(item, quantity, { unitPriceCents, currency });
    this.items.inc({ item }, quantity);
    this.placed.add(1, { item });
    this.stored.set(this.repository.count());
    await this.enqueueConfirmation(order);
    return order;
  }

  @Traced()
  @Counted()
  @Timed()
  async get(id: string): Promise<Order> {
    const order = await this.repository.findById(id);
    if (!order) throw new NotFoundException(`Order ${id} not found`);
    return order;
  }

  /** Adds the `confirm` job (a PRODUCER span in this trace); the order is placed even if Redis refuses it. */
  private async enqueueConfirmation(order: Order): Promise<void> {
    if (!this.confirmations) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      const added = this.confirmations.add(
        'confirm',
        { orderId: order.id, item: order.item, quantity: order.quantity },
        { attempts: 3, backoff: { type: 'exponential', delay: 200 }, removeOnComplete: true, removeOnFail: 100 },
      );
      // With Redis gone, BullMQ waits for it to come back: the request does not wait that long.
      const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('Redis did not answer within 2 s')), 2000)));
      await Promise.race([added, late]);
    } catch (error) {
      this.logger.warn(`Order ${order.id} was placed but its confirmation could not be queued: ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }
}
