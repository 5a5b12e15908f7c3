import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { makeCounterProvider, makeGaugeProvider } from '../../lib';
import { OrdersAudit } from './orders-audit.job';
import { OrdersController } from './orders.controller';
import { OrdersRepository } from './orders.repository';
import { OrdersRepositoryHealth } from './orders-repository.health';
import { OrdersService } from './orders.service';
import { PricingClient } from './pricing.client';

/** Orders: the HTTP API, its service and store, the pricing client, the audit job. */
@Module({
  imports: [ScheduleModule.forRoot()],
  controllers: [OrdersController],
  providers: [
    OrdersService,
    OrdersRepository,
    OrdersRepositoryHealth,
    PricingClient,
    OrdersAudit,
    makeCounterProvider({ name: 'orders_items_total', help: 'Items ordered, by item.', labelNames: ['item'] }),
    makeGaugeProvider({ name: 'orders_stored', help: 'Orders in the store.' }),
  ],
  // For the order-confirmations processor, when main.ts adds it.
  exports: [OrdersRepository],
})
export class OrdersModule {}
