import { Module } from '@nestjs/common';
import { ObservabilityModule } from '../lib';
import { OrderFeedGateway } from './live/order-feed.gateway';
import { OrdersModule } from './orders/orders.module';
import { sampleVersion } from './sample-version';

/** The sample's root module: one import gives it /metrics, tracing and the health probes. */
@Module({
  imports: [
    ObservabilityModule.forRoot({
      metrics: {
        defaultLabels: { service: 'orders-sample', version: sampleVersion() },
        // With METRICS_TOKEN set, /metrics answers 401 unless Prometheus sends "Authorization: Bearer <token>".
        ...(process.env.METRICS_TOKEN ? { auth: { bearerToken: process.env.METRICS_TOKEN } } : {}),
      },
      health: {
        // Kubernetes: keep terminationGracePeriodSeconds above this plus the longest request.
        drainDelayMs: Number(process.env.DRAIN_DELAY_MS ?? 5000),
        // Requests still running this long after the drain are cut off: above the longest (/orders/slow, 30 s).
        shutdownTimeoutMs: Number(process.env.SHUTDOWN_TIMEOUT_MS ?? 31_000),
        liveness: { maxEventLoopDelayMs: 1000 },
      },
      // Calls to pricing are recorded as GET /prices/{item}, one series per template, not per item.
      httpClient: { urlTemplates: ['/prices/{item}'] },
    }),
    OrdersModule,
  ],
  providers: [OrderFeedGateway],
})
export class AppModule {}
