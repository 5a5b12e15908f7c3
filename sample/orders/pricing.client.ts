import { BadGatewayException, Injectable, Logger, ServiceUnavailableException } from '@nestjs/common';
import { Counted, Timed, Traced } from '../../lib';
import { PriceQuote, priceOf } from '../pricing/price-list';

/**
 * Calls the pricing service, the sample's second process, with a plain `fetch()`. The library records
 * the call by itself (`httpClient`): a CLIENT span `GET /prices/{item}` (the template is named in
 * `app.module.ts`), whose `traceparent` makes the pricing service's server span join this request's
 * trace, and `http_client_request_duration_seconds{server_address, …}`, the dashboard's "dependencies" row.
 *
 * `PRICING_URL` says where the service is (`main.ts` sets it to the child process it starts). Without it,
 * as in the in-process tests that import `AppModule`, prices come from the same price list in-process.
 */
@Injectable()
export class PricingClient {
  private readonly baseUrl = process.env.PRICING_URL?.replace(/\/$/, '');

  constructor() {
    if (!this.baseUrl) new Logger(PricingClient.name).log('PRICING_URL is not set: prices are computed in this process.');
  }

  @Traced({ name: 'PricingClient.quote', argsToAttributes: (item: string) => ({ 'order.item': item }) })
  @Counted()
  @Timed()
  async quote(item: string): Promise<PriceQuote> {
    if (!this.baseUrl) return priceOf(item);
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}/prices/${encodeURIComponent(item)}`, { signal: AbortSignal.timeout(2000) });
    } catch (error) {
      throw new ServiceUnavailableException(`pricing service unavailable: ${String((error as Error).cause ?? (error as Error).message)}`);
    }
    if (!response.ok) throw new BadGatewayException(`pricing service answered ${response.status}`);
    return (await response.json()) as PriceQuote;
  }
}
