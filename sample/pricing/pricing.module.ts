import { Module } from '@nestjs/common';
import { ObservabilityModule } from '../../lib';
import { PricingController } from './pricing.controller';
import { PricingService } from './pricing.service';
import { sampleVersion } from '../sample-version';

/** Root module of the pricing service, the sample's second process: /metrics, tracing and probes of its own. */
@Module({
  imports: [
    ObservabilityModule.forRoot({
      metrics: {
        defaultLabels: { service: 'pricing-sample', version: sampleVersion() },
        // The same scrape token as the orders service (the environment is inherited).
        ...(process.env.METRICS_TOKEN ? { auth: { bearerToken: process.env.METRICS_TOKEN } } : {}),
      },
      health: { drainDelayMs: Number(process.env.DRAIN_DELAY_MS ?? 5000) },
    }),
  ],
  controllers: [PricingController],
  providers: [PricingService],
})
export class PricingAppModule {}
