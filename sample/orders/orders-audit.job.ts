import { Injectable } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { OrdersRepository } from './orders.repository';

/**
 * A background job: every 10 s (`ORDERS_AUDIT_INTERVAL_MS`) it checks the order store. Each run is a root
 * span "interval OrdersAudit.audit" and is timed in `scheduled_job_duration_seconds`; deploy/alerts.yml's
 * ScheduledJobStopped and ScheduledJobFailing watch it.
 */
@Injectable()
export class OrdersAudit {
  constructor(private readonly repository: OrdersRepository) {}

  @Interval('orders-audit', Number(process.env.ORDERS_AUDIT_INTERVAL_MS ?? 10_000))
  async audit(): Promise<number> {
    return this.repository.ping();
  }
}
