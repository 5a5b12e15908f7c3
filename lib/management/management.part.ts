import { ObservabilityPart } from '../observability-part.interface';
import { ManagementServer } from './management.server';

/** The management port (`management`): /metrics and the probes on a plain `node:http` server of their own. */
export const managementPart: ObservabilityPart = {
  providers: [ManagementServer],
  exports: [ManagementServer],
};
