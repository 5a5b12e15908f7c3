/**
 * How the span of a message's handler relates to the span that sent it: `child` (one trace) or
 * `link` (a new trace that links to the producer's span, the OpenTelemetry messaging conventions'
 * choice for work that is not part of the sender's latency).
 */
export type MessageContextMode = 'link' | 'child';

/**
 * Options of the microservice messaging part (Redis, NATS, RabbitMQ transports of `@nestjs/microservices`):
 * PRODUCER spans for `ClientProxy.send()`/`emit()`, the trace context in the message, a CONSUMER span and
 * `messaging_process_duration_seconds` per handler, `messaging_client_sent_messages_total`.
 *
 * @example
 * { eventContext: 'child' }
 */
export interface MessagingOptions {
  /**
   * The span of an `@EventPattern()` handler: `link` starts a new trace linked to the `publish` span,
   * `child` continues the sender's trace. A `@MessagePattern()` handler (request/response) is always a child.
   * @default 'link'
   */
  eventContext?: MessageContextMode;
}

/** `messaging` after defaults were applied. */
export interface ResolvedMessagingOptions {
  enabled: boolean;
  eventContext: MessageContextMode;
}
