import { MessageBody, SubscribeMessage, WebSocketGateway, WsException } from '@nestjs/websockets';

/**
 * A socket.io gateway on the sample's HTTP port: a client `watch`es an order id and gets
 * `{ event: 'watching', data: id }` back. ObservabilityModule measures it with nothing added here:
 * `websocket_server_*` series and a CONSUMER span per message (the dashboard's WebSockets row).
 */
@WebSocketGateway()
export class OrderFeedGateway {
  @SubscribeMessage('watch')
  watch(@MessageBody() orderId: unknown): { event: string; data: string } {
    if (typeof orderId !== 'string' || orderId === '') throw new WsException('an order id is needed');
    return { event: 'watching', data: orderId };
  }
}
