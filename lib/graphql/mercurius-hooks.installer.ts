import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { GRAPHQL_RECORDER } from './graphql.constants';
import { operationOf } from './graphql-document';
import { GraphQLOperationRecorder, OperationState } from './graphql-operation.recorder';

const STATE = Symbol('nestjs-observability:graphql-operation');
const SOURCE = Symbol('nestjs-observability:graphql-source');
/** Documents kept by source (Mercurius' own cache holds 1000 by default); past it the map starts over. */
const MAX_DOCUMENTS = 1000;

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
 * (bootstrap runs after every module's init). `preParsing` and `onResolution` run for graphql-jit's compiled
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
    // Mercurius validates a document once and then runs it from its cache without the preValidation hook: the
    // parsed documents are kept by source here, so that a cached query is named without a preExecution hook.
    const documents = new Map<string, unknown>();
    // One listener for every response (no closure per request): the operation is on the response.
    const onClose = function (this: Record<symbol, unknown>): void {
      const operation = this[STATE] as OperationState | undefined;
      if (operation !== undefined) recorder.end(operation, NOT_EXECUTED);
    };
    graphql.addHook('preParsing', async (_schema: unknown, source: unknown, context: MercuriusContext) => {
      if (!context || context[STATE] !== undefined) return;
      const operation = recorder.begin(context.reply?.request);
      context[STATE] = operation;
      context[SOURCE] = source;
      const document = typeof source === 'string' ? documents.get(source) : undefined;
      if (document !== undefined) recorder.identify(operation, operationOf(document, operationNameOf(context)), source);
      const raw = context.reply?.raw as (NodeJS.EventEmitter & Record<symbol, unknown>) | undefined;
      if (raw !== undefined) {
        raw[STATE] = operation;
        raw.on('close', onClose);
      }
    });
    graphql.addHook('preValidation', async (_schema: unknown, document: unknown, context: MercuriusContext) => {
      const operation = state(context);
      if (operation === undefined) return;
      const source = context[SOURCE];
      if (typeof source === 'string') {
        if (documents.size >= MAX_DOCUMENTS) documents.clear();
        documents.set(source, document);
      }
      recorder.identify(operation, operationOf(document, operationNameOf(context)), source);
    });
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
