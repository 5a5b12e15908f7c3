import { ObservabilityPart } from '../observability-part.interface';
import { GracefulShutdownHook } from './graceful-shutdown.hook';
import { HealthProbeService } from './health-probe.service';

/** Health: the probes' checks (`HealthProbeService`, behind the health controller or the management port) and the drain on SIGTERM. */
export const healthPart: ObservabilityPart = {
  providers: [HealthProbeService, GracefulShutdownHook],
  exports: [HealthProbeService],
};
