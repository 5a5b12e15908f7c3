import { ObservabilityPart } from '../observability-part.interface';
import { ClusterMetricsService } from './cluster-metrics.service';

/** pm2 and `node:cluster` workers behind one /metrics (`metrics.cluster`). */
export const clusterPart: ObservabilityPart = {
  providers: [ClusterMetricsService],
};
