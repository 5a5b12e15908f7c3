import { Injectable } from '@nestjs/common';
import { Counted, Timed, Traced } from '../../lib';
import { PriceQuote, priceOf } from './price-list';

/** The pricing service's business logic: counted, timed and traced like the orders service's. */
@Injectable()
export class PricingService {
  @Traced({ argsToAttributes: (item: string) => ({ 'order.item': item }) })
  @Counted()
  @Timed()
  async quote(item: string): Promise<PriceQuote> {
    // A little simulated latency, standing in for a rules engine or a database.
    await new Promise((resolve) => setTimeout(resolve, 3 * (0.5 + Math.random())));
    return priceOf(item);
  }
}
