import { Injectable } from '@nestjs/common';
import { Timed, Traced } from '../../lib';
import { Order } from './order.entity';

/** An in-memory store with a little simulated latency, standing in for a database. */
@Injectable()
export class OrdersRepository {
  private readonly orders = new Map<string, Order>();
  private sequence = 0;
  /** Lets the sample demonstrate a failing readiness probe (`POST /orders/store/down`). */
  available = true;

  @Traced('OrdersRepository.findById')
  @Timed({ name: 'orders_repository_query', help: 'Duration of order store queries in seconds.', labels: { store: 'memory' } })
  async findById(id: string): Promise<Order | undefined> {
    await latency(2);
    return this.orders.get(id);
  }

  @Traced('OrdersRepository.insert')
  @Timed({ name: 'orders_repository_query', help: 'Duration of order store queries in seconds.', labels: { store: 'memory' } })
  async insert(item: string, quantity: number, price: { unitPriceCents: number; currency: string }): Promise<Order> {
    await latency(5);
    const order: Order = { id: String(++this.sequence), item, quantity, ...price, createdAt: new Date().toISOString(), status: 'placed' };
    this.orders.set(order.id, order);
    return order;
  }

  /** Marks an order confirmed; `undefined` if there is no such order. */
  @Traced('OrdersRepository.confirm')
  @Timed({ name: 'orders_repository_query', help: 'Duration of order store queries in seconds.', labels: { store: 'memory' } })
  async confirm(id: string): Promise<Order | undefined> {
    await latency(2);
    const order = this.orders.get(id);
    if (!order || order.status === 'confirmed') return order;
    // A new object: the one POST /orders is still answering with stays as it was placed.
    const confirmed: Order = { ...order, status: 'confirmed', confirmedAt: new Date().toISOString() };
    this.orders.set(id, confirmed);
    return confirmed;
  }

  count(): number {
    return this.orders.size;
  }

  /** A cheap round trip for the readiness probe; fails while the store is marked unavailable. */
  async ping(): Promise<number> {
    await latency(1);
    if (!this.available) throw new Error('order store unavailable');
    return this.orders.size;
  }
}

function latency(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms * (0.5 + Math.random())));
}
