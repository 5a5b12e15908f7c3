/**
 * WebSocket gateways (`websockets`): real socket.io and ws clients against a real gateway, on Express
 * and Fastify. Per @SubscribeMessage handler: a CONSUMER span, the duration histogram, messages
 * received and replied; open connections per gateway; a WsException recorded as an error.
 */
import { INestApplication } from '@nestjs/common';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { WsAdapter } from '@nestjs/platform-ws';
import { io, Socket } from 'socket.io-client';
import WebSocket from 'ws';
import { ObservabilityTestingModule, TestSpans } from '../../lib';
import { createTestApp, PLATFORMS, sampleValue } from '../fixtures/create-test-app';
import { ChatModule } from '../fixtures/websockets/gateways';
import { loadSnippetModule } from '../support/snippet-module';
import { Type } from '@nestjs/common';

type Transport = 'socket.io' | 'ws';

/** One client of either kind: send an event, await its reply (or `undefined` when none came within 2 s). */
interface Client {
  send(event: string, data?: unknown): Promise<unknown>;
  close(): Promise<void>;
}

async function connect(transport: Transport, port: number): Promise<Client> {
  if (transport === 'socket.io') {
    const socket: Socket = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], forceNew: true });
    await new Promise<void>((resolve, reject) => socket.once('connect', () => resolve()).once('connect_error', reject));
    return {
      send: (event, data) =>
        new Promise((resolve) => {
          const timer = setTimeout(() => resolve(undefined), 2000);
          socket.once('exception', (e) => (clearTimeout(timer), resolve({ exception: e })));
          // A WsResponse ({ event, data }) comes back as that event, a plain value as the ack.
          socket.once(event, (reply: unknown) => (clearTimeout(timer), resolve(reply)));
          socket.emit(event, data, (reply: unknown) => (clearTimeout(timer), resolve(reply)));
        }),
      close: async () => {
        socket.disconnect();
      },
    };
  }
  const ws = new WebSocket(`ws://127.0.0.1:${port}`);
  await new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
  return {
    send: (event, data) =>
      new Promise((resolve) => {
        const timer = setTimeout(() => (ws.off('message', onMessage), resolve(undefined)), 2000);
        const onMessage = (raw: WebSocket.RawData) => {
          clearTimeout(timer);
          resolve(JSON.parse(String(raw)));
        };
        ws.once('message', onMessage);
        ws.send(JSON.stringify({ event, data }));
      }),
    close: () => new Promise((resolve) => (ws.once('close', () => resolve()), ws.close())),
  };
}

const until = async (check: () => Promise<boolean>, what: string) => {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out: ${what}`);
};

describe.each(PLATFORMS)('WebSocket gateways on %s', (platform) => {
  describe.each(['socket.io', 'ws'] as Transport[])('with %s', (transport) => {
    let app: INestApplication;
    let port: number;
    let spans: TestSpans;

    beforeEach(async () => {
      app = await createTestApp(platform, { imports: [ObservabilityTestingModule.forRoot(), ChatModule] }, (a) => {
        if (transport === 'ws') a.useWebSocketAdapter(new WsAdapter(a));
      });
      await app.listen(0, '127.0.0.1');
      port = (app.getHttpServer().address() as { port: number }).port;
      spans = app.get(TestSpans);
    });
    afterEach(() => app.close());

    const metrics = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const labels = (event: string) => ({ gateway: 'ChatGateway', event });

    it('a span, a duration and message counts per handler; replies counted, a handler without reply not', async () => {
      const client = await connect(transport, port);
      try {
        const echoed = await client.send('echo', { text: 'hi' });
        expect(JSON.stringify(echoed)).toContain('"text":"hi"');
        expect(JSON.stringify(await client.send('later', 7))).toContain('7');
        expect(await client.send('silent')).toBeUndefined();
        await spans.waitFor(3);
        const echo = spans.byName('process ChatGateway.echo')!;
        expect(echo.kind).toBe(SpanKind.CONSUMER);
        expect(echo.attributes).toEqual({
          'messaging.system': transport,
          'messaging.operation.type': 'process',
          'messaging.destination.name': 'echo',
          'nest.gateway': 'ChatGateway',
          'nest.handler': 'echo',
        });
        expect(echo.status.code).toBe(SpanStatusCode.UNSET);
        expect(spans.byName('process ChatGateway.later')).toBeDefined();
        const text = await metrics();
        for (const event of ['echo', 'later', 'silent']) {
          expect({ event, received: sampleValue(text, 'websocket_server_messages_received_total', labels(event)) }).toEqual({ event, received: 1 });
          expect(sampleValue(text, 'websocket_server_message_duration_seconds_count', { ...labels(event), outcome: 'success' })).toBe(1);
        }
        expect(sampleValue(text, 'websocket_server_messages_sent_total', labels('echo'))).toBe(1);
        expect(sampleValue(text, 'websocket_server_messages_sent_total', labels('later'))).toBe(1);
        expect(sampleValue(text, 'websocket_server_messages_sent_total', labels('silent'))).toBe(0);
      } finally {
        await client.close();
      }
    });

    it('a WsException is an error: status ERROR, the exception event, outcome="error"', async () => {
      const client = await connect(transport, port);
      try {
        await client.send('fail');
        await spans.waitFor(1);
        const span = spans.byName('process ChatGateway.fail')!;
        expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'not allowed' });
        expect(span.events.map((e) => e.attributes?.['exception.type'])).toEqual(['WsException']);
        expect(sampleValue(await metrics(), 'websocket_server_message_duration_seconds_count', { ...labels('fail'), outcome: 'error' })).toBe(1);
      } finally {
        await client.close();
      }
    });

    it('counts open connections per gateway', async () => {
      const open = async () => sampleValue(await metrics(), 'websocket_server_connections_open', { gateway: 'ChatGateway' });
      expect(await open()).toBe(0);
      const a = await connect(transport, port);
      const b = await connect(transport, port);
      await until(async () => (await open()) === 2, 'two open connections');
      await a.close();
      await until(async () => (await open()) === 1, 'one open connection');
      await b.close();
      await until(async () => (await open()) === 0, 'no open connection');
    });
  });
});

describe.each(PLATFORMS)('docs/websockets.md on %s', (platform) => {
  it('the snippet boots: a reply, a WsException, and what the page says is recorded', async () => {
    const { AppModule } = loadSnippetModule('docs/websockets.md', 'src/chat.gateway.ts') as { AppModule: Type<unknown> };
    const app = await createTestApp(platform, AppModule);
    try {
      await app.listen(0, '127.0.0.1');
      const port = (app.getHttpServer().address() as { port: number }).port;
      const socket = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], forceNew: true });
      try {
        const said = new Promise((resolve) => socket.once('said', resolve));
        socket.emit('say', 'hello');
        expect(await said).toBe('hello');
      } finally {
        socket.disconnect();
      }
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(sampleValue(text, 'websocket_server_messages_received_total', { gateway: 'ChatGateway', event: 'say' })).toBe(1);
      expect(sampleValue(text, 'websocket_server_messages_sent_total', { gateway: 'ChatGateway', event: 'say' })).toBe(1);
      expect(sampleValue(text, 'websocket_server_message_duration_seconds_count', { gateway: 'ChatGateway', event: 'say', outcome: 'success' })).toBe(1);
    } finally {
      await app.close();
    }
  });
});
