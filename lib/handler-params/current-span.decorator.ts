import { createParamDecorator } from '@nestjs/common';
import { context, trace } from '@opentelemetry/api';

/**
 * Parameter decorator: the span active when the handler is called (`Span | undefined`): the request's
 * server span for an HTTP handler, the message's span for a microservice handler. Nothing is stored but
 * the parameter's metadata; the span is read from the active OpenTelemetry context at each call.
 *
 * @example
 * @Get(':id')
 * find(@Param('id') id: string, @CurrentSpan() span?: Span) {
 *   span?.setAttribute('order.id', id);
 * }
 */
// Typed by hand: the inferred type names Nest 12's ParameterDecoratorOptions, which Nest 11 lacks.
export const CurrentSpan: () => ParameterDecorator = createParamDecorator((_data: unknown, _ctx) => trace.getSpan(context.active()));
