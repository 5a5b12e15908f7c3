import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import type { Job } from 'bullmq';
import { ConfirmOrderJob, ORDER_CONFIRMATIONS_QUEUE } from './order-confirmations.queue';
import { OrdersRepository } from './orders.repository';

/**
 * Confirms the orders placed, off the request path: a BullMQ worker. The library gives each attempt a
 * CONSUMER span, in the trace of the POST /orders that enqueued the job, and its metrics.
 */
@Processor(ORDER_CONFIRMATIONS_QUEUE)
export class OrderConfirmationsProcessor extends WorkerHost {
  private readonly logger = new Logger('OrderConfirmations');

  constructor(private readonly repository: OrdersRepository) {
    super();
  }

  async process(job: Job<ConfirmOrderJob>): Promise<{ confirmedAt: string }> {
    const order = await this.repository.confirm(job.data.orderId);
    // An unknown order is a failed attempt (BullMQ retries it), not a silent success.
    if (!order) throw new Error(`Order ${job.data.orderId} not found`);
    this.logger.log(`Order ${order.id} confirmed (${job.data.quantity} × ${job.data.item})`);
    return { confirmedAt: order.confirmedAt! };
  }
}
