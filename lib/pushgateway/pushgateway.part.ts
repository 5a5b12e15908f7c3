import { ObservabilityPart } from '../observability-part.interface';
import { PushgatewayService } from './pushgateway.service';

/** Pushes the Registry to a Prometheus Pushgateway (`metrics.pushgateway`): batch jobs that end before a scrape. */
export const pushgatewayPart: ObservabilityPart = {
  providers: [PushgatewayService],
  exports: [PushgatewayService],
};
