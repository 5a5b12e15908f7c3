import { INestApplication } from '@nestjs/common';
import type { ObservabilitySdk } from '../../lib';
import { freePort } from './free-port';
import { OtlpReceiver, startOtlpReceiver } from './otlp-receiver';
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

/**
 * The two ways a Collector is unreachable, as `it.each` rows `[case, endpoint, expected]`: nothing listens on
 * the port (connection refused), or a receiver takes the request and never answers (kept in `scope.receiver`,
 * so that the teardown closes it). `endpoint()` gives the OTLP endpoint; `expected` fills each case's third column.
 */
export function unreachableCollectors<const T>(scope: SdkTestScope, expected: { refused: T; hanging: T }): ReadonlyArray<readonly [string, () => Promise<string>, T]> {
  return [
    ['connection refused', async () => `http://127.0.0.1:${await freePort()}`, expected.refused],
    ['a server that never answers', async () => (scope.receiver = await startOtlpReceiver({ mode: 'hang' })).endpoint, expected.hanging],
  ];
}

/** Collects the process's unhandled rejections until `stop()` (call it in a `finally`). */
export function watchUnhandledRejections(): { rejections: unknown[]; stop(): void } {
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  process.on('unhandledRejection', onRejection);
  return { rejections, stop: () => process.off('unhandledRejection', onRejection) };
}
