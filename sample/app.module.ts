import { Module } from '@nestjs/common';
import { ObservabilityModule } from '../lib';
import { OrdersModule } from './orders/orders.module';

/** The sample's root module: one import gives it /metrics, HTTP metrics and the decorators. */
@Module({
  imports: [
    ObservabilityModule.forRoot({
      metrics: {
        defaultLabels: { service: 'orders-sample', version: process.env.npm_package_version ?? '0.0.0' },
      },
    }),
    OrdersModule,
  ],
})
export class AppModule {}
