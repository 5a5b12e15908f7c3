import { Module } from '@nestjs/common';
import { makeCounterProvider, makeGaugeProvider } from '../../lib';
import { OrdersController } from './orders.controller';
import { OrdersRepository } from './orders.repository';
import { OrdersRepositoryHealth } from './orders-repository.health';
import { OrdersService } from './orders.service';
import { PricingClient } from './pricing.client';

@Module({
  controllers: [OrdersController],
  providers: [
    OrdersService,
    OrdersRepository,
    OrdersRepositoryHealth,
    PricingClient,
    makeCounterProvider({ name: 'orders_items_total', help: 'Items ordered, by item.', labelNames: ['item'] }),
    makeGaugeProvider({ name: 'orders_stored', help: 'Orders in the store.' }),
  ],
})
export class OrdersModule {}
