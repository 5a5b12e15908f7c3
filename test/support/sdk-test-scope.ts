import { INestApplication } from '@nestjs/common';
import type { ObservabilitySdk } from '../../lib';
import type { OtlpReceiver } from './otlp-receiver';
import { saveEnv } from './saved-env';

/** What a test that starts the real, process-wide SDK sets up; `useSdkTestScope()` stops it all after each test. */
export interface SdkTestScope {
  receiver?: OtlpReceiver;
  sdk?: ObservabilitySdk;
  app?: INestApplication;
}

/**
 * For a `describe` whose tests start the process-wide SDK (and an app and an OTLP receiver): after each test,
 * closes the app, shuts the SDK down, closes the receiver (in that order) and puts back the `envNames`
 * variables as they were.
 *
 * @example
 * const ctx = useSdkTestScope(['OTEL_EXPORTER_OTLP_ENDPOINT']);
 * it('exports', async () => {
 *   ctx.receiver = await startOtlpReceiver();
 *   ctx.sdk = startObservabilitySdk({});
 * });
 */
export function useSdkTestScope(envNames: readonly string[]): SdkTestScope {
  const env = saveEnv(envNames);
  const scope: SdkTestScope = {};
  afterEach(async () => {
    await scope.app?.close();
    await scope.sdk?.shutdown();
    await scope.receiver?.close();
    scope.app = scope.sdk = scope.receiver = undefined;
    env.restore();
  });
  return scope;
}
