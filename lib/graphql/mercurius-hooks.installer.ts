import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { GRAPHQL_RECORDER } from './graphql.constants';
import { operationOf } from './graphql-document';
import { GraphQLOperationRecorder, OperationState } from './graphql-operation.recorder';

const STATE = Symbol('nestjs-observability:graphql-operation');
const SOURCE = Symbol('nestjs-observability:graphql-source');

/** What an operation that never reached execution (a parse or validation error) is ended with. */
const NOT_EXECUTED = [{ message: 'The operation was refused before execution (a parse or validation error).', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }];

type MercuriusContext = Record<symbol, unknown> & {
  reply?: { request?: { body?: { operationName?: unknown }; query?: { operationName?: unknown } }; raw?: NodeJS.EventEmitter };
};
interface MercuriusInstance {
  addHook(name: string, hook: (...args: any[]) => Promise<void>): void;
}

/**
 * Mercurius (`@nestjs/mercurius`): adds the recorder's hooks to `app.graphql` once `GraphQLModule` registered it
 * (bootstrap runs after every module's init). `preExecution` and `onResolution` run for graphql-jit's compiled
 * queries too; an operation refused before execution ends when its response closes.
 */
@Injectable()
export class MercuriusHooksInstaller implements OnApplicationBootstrap {
  constructor(
    @Inject(GRAPHQL_RECORDER) private readonly recorder: GraphQLOperationRecorder | null,
    private readonly host: HttpAdapterHost,
  ) {}

  onApplicationBootstrap(): void {
    const recorder = this.recorder;
    if (recorder === null || this.host.httpAdapter?.getType?.() !== 'fastify') return;
    const graphql = (this.host.httpAdapter.getInstance() as { graphql?: Partial<MercuriusInstance> }).graphql;
    if (typeof graphql?.addHook !== 'function') return;
    const state = (context: MercuriusContext) => context?.[STATE] as OperationState | undefined;
    graphql.addHook('preParsing', async (_schema: unknown, source: unknown, context: MercuriusContext) => {
      if (!context || context[STATE] !== undefined) return;
      context[SOURCE] = source;
      const operation = recorder.begin(context.reply?.request);
      context[STATE] = operation;
      context.reply?.raw?.once('close', () => recorder.end(operation, NOT_EXECUTED));
    });
    const identify = async (_schema: unknown, document: unknown, context: MercuriusContext) => {
      const operation = state(context);
      if (operation !== undefined) recorder.identify(operation, operationOf(document, operationNameOf(context)), context[SOURCE]);
    };
    graphql.addHook('preValidation', identify);
    // A cached document skips parsing and validation.
    graphql.addHook('preExecution', identify);
    graphql.addHook('onResolution', async (execution: { errors?: readonly unknown[] } | undefined, context: MercuriusContext) => {
      const operation = state(context);
      if (operation !== undefined) recorder.end(operation, execution?.errors);
    });
  }
}

/** The request's `operationName`, from the body (POST) or the query string (GET). */
function operationNameOf(context: MercuriusContext): unknown {
  const request = context.reply?.request;
  return request?.body?.operationName ?? request?.query?.operationName;
}
