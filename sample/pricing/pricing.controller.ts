import { Controller, Get, Param } from '@nestjs/common';
import { PriceQuote } from './price-list';
import { PricingService } from './pricing.service';

/** The pricing service's HTTP API, called by the orders service when it creates an order. */
@Controller('prices')
export class PricingController {
  constructor(private readonly pricing: PricingService) {}

  @Get(':item')
  quote(@Param('item') item: string): Promise<PriceQuote> {
    return this.pricing.quote(item);
  }
}
