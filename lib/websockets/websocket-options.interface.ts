/**
 * Options of the WebSocket part: a span, a duration and message counts per `@SubscribeMessage()`
 * handler of every `@WebSocketGateway()` (socket.io or ws), and the open connections per gateway.
 *
 * @example
 * { buckets: [0.001, 0.01, 0.1, 1] }
 */
export interface WebSocketOptions {
  /**
   * Buckets (seconds) of `websocket_server_message_duration_seconds`.
   * @default the HTTP server buckets (5 ms to 10 s)
   */
  buckets?: number[];
}

/** `websockets` after defaults were applied. */
export interface ResolvedWebSocketOptions {
  enabled: boolean;
  buckets: number[];
}
