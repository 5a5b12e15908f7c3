import { GraphQLOperationRecorder, OperationState } from './graphql-operation.recorder';
import { operationOf } from './graphql-document';

/** `@nestjs/apollo`'s `@Plugin()` metadata key: its explorer adds every provider carrying it to Apollo Server. */
export const APOLLO_PLUGIN_METADATA = 'graphql:plugin';

/** The parts of Apollo Server's request context the plugin reads (typed here: `@apollo/server` is optional). */
interface ApolloRequestContext {
  contextValue?: { req?: unknown } | null;
  request?: { query?: unknown; operationName?: unknown };
  source?: unknown;
  document?: unknown;
  operation?: { operation?: string } | null;
  operationName?: string | null;
  errors?: readonly unknown[];
  response?: { body?: { kind?: string; singleResult?: { errors?: readonly unknown[] } } };
}

/**
 * An Apollo Server plugin recording each operation (see `GraphQLOperationRecorder`). It is a provider of the
 * module with `@Plugin()`'s metadata, so `@nestjs/apollo` finds it as it finds the app's own plugins: no patching,
 * and `@apollo/server` is never imported. Parse and validation errors end in `willSendResponse` too.
 */
export class ApolloOperationsPlugin {
  constructor(private readonly recorder: GraphQLOperationRecorder) {}

  requestDidStart(start: ApolloRequestContext) {
    const recorder = this.recorder;
    const state: OperationState = recorder.begin(start.contextValue?.req);
    // Plain functions, not async ones: Apollo awaits `Promise.all` over every plugin's hook results, so
    // `undefined` does as well as a resolved promise, without a promise and a microtask per hook.
    return {
      didResolveOperation(rc: ApolloRequestContext): void {
        recorder.identify(state, { type: rc.operation?.operation, name: rc.operationName ?? undefined }, rc.source);
      },
      willSendResponse(rc: ApolloRequestContext): void {
        // A validation error: the document was parsed but no operation resolved.
        if (state.identity === undefined) recorder.identify(state, operationOf(rc.document, rc.request?.operationName), rc.source ?? rc.request?.query);
        const body = rc.response?.body;
        recorder.end(state, rc.errors ?? (body?.kind === 'single' ? body.singleResult?.errors : undefined));
      },
    };
  }
}
Reflect.defineMetadata(APOLLO_PLUGIN_METADATA, true, ApolloOperationsPlugin);
