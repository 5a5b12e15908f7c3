import { HealthIndicator, ObservabilityHealthIndicator, up } from '../../lib';
import { OrdersRepository } from './orders.repository';

/** Readiness of the order store: the sample's own indicator, with its dependency injected. */
@HealthIndicator('orders-store', { probes: ['readiness', 'startup'], timeoutMs: 1000 })
export class OrdersRepositoryHealth implements ObservabilityHealthIndicator {
  constructor(private readonly repository: OrdersRepository) {}

  async check() {
    return up({ orders: await this.repository.ping() });
  }
}
