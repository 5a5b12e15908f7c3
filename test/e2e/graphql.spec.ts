/**
 * GraphQL (`graphql`): real Apollo (on Express and Fastify) and Mercurius (on Fastify) servers through
 * `@nestjs/graphql`. Per operation: an INTERNAL span `query OrderById` under the HTTP server span and
 * `graphql_server_request_duration_seconds{graphql_operation_type, graphql_operation_name, outcome}`; errors[]
 * with HTTP 200 is an error; `@Traced()` resolvers under the operation; `graphql.httpRoute`; the name bound.
 */
import { INestApplication } from '@nestjs/common';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { ObservabilityModule, ObservabilityModuleOptions, ObservabilityTestingModule, TestSpans } from '../../lib';
import { createTestApp, sampleValue } from '../fixtures/create-test-app';
import { GRAPHQL_SETUPS, ordersGraphQLModule } from '../fixtures/graphql/orders-graphql.app';

const METRIC = 'graphql_server_request_duration_seconds_count';

describe.each(GRAPHQL_SETUPS)('GraphQL with %s on %s', (driver, platform) => {
  let app: INestApplication | undefined;
  let port: number;

  async function boot(options: ObservabilityModuleOptions = {}, testing = true, jit?: number): Promise<void> {
    const observability = testing ? ObservabilityTestingModule.forRoot(options) : ObservabilityModule.forRoot(options);
    app = await createTestApp(platform, { imports: [observability, ordersGraphQLModule(driver, jit)] });
    await app.listen(0, '127.0.0.1');
    port = (app.getHttpServer().address() as { port: number }).port;
  }

  async function query(body: object): Promise<{ status: number; body: any }> {
    const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  }

  const metrics = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const spans = () => app!.get(TestSpans);

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('records a named query: span "query OrderById" under the HTTP span, and the histogram', async () => {
    await boot();
    const { status, body } = await query({ query: 'query OrderById($id: ID!) { orderById(id: $id) { id total } }', variables: { id: '7' }, operationName: 'OrderById' });
    expect(status).toBe(200);
    expect(body).toEqual({ data: { orderById: { id: '7', total: 42 } } });
    await spans().waitFor(2);
    const operation = spans().byName('query OrderById')!;
    expect(operation).toBeDefined();
    expect(operation.kind).toBe(SpanKind.INTERNAL);
    expect(operation.attributes).toMatchObject({ 'graphql.operation.type': 'query', 'graphql.operation.name': 'OrderById' });
    expect(operation.attributes['graphql.document']).toBeUndefined();
    expect(operation.status.code).not.toBe(SpanStatusCode.ERROR);
    const server = spans().all().find((s) => s.kind === SpanKind.SERVER)!;
    expect(server).toBeDefined();
    expect(spans().parentId(operation)).toBe(server.spanContext().spanId);
    expect(operation.spanContext().traceId).toBe(server.spanContext().traceId);
    expect(sampleValue(await metrics(), METRIC, { graphql_operation_type: 'query', graphql_operation_name: 'OrderById', outcome: 'success' })).toBe(1);
  });

  it('records an anonymous mutation as graphql_operation_name="unknown"', async () => {
    await boot();
    const { body } = await query({ query: 'mutation { placeOrder(total: 3) { id total } }' });
    expect(body.data.placeOrder).toEqual({ id: 'new', total: 3 });
    await spans().waitFor(2);
    expect(spans().byName('mutation')).toBeDefined();
    expect(sampleValue(await metrics(), METRIC, { graphql_operation_type: 'mutation', graphql_operation_name: 'unknown', outcome: 'success' })).toBe(1);
  });

  it('a resolver error is an error even with HTTP 200: outcome="error", the span ERROR with the exception', async () => {
    await boot();
    const { status, body } = await query({ query: 'query Broken { failing { id } }' });
    expect(status).toBe(200);
    expect(body.data).toEqual({ failing: null });
    expect(body.errors[0].message).toBe('pricing is down');
    await spans().waitFor(2);
    const operation = spans().byName('query Broken')!;
    expect(operation.status.code).toBe(SpanStatusCode.ERROR);
    expect(operation.events.find((e) => e.name === 'exception')?.attributes?.['exception.message']).toBe('pricing is down');
    expect(sampleValue(await metrics(), METRIC, { graphql_operation_name: 'Broken', outcome: 'error' })).toBe(1);
    expect(sampleValue(await metrics(), METRIC, { graphql_operation_name: 'Broken', outcome: 'success' })).toBeUndefined();
  });

  it('a validation error is an error, named from the parsed document', async () => {
    await boot();
    const { status, body } = await query({ query: 'query Typo { orderById(id: "1") { nope } }' });
    expect(status).toBeGreaterThanOrEqual(200);
    expect(body.errors.length).toBeGreaterThan(0);
    await spans().waitFor(2);
    const operation = spans().byName('query Typo')!;
    expect(operation.status.code).toBe(SpanStatusCode.ERROR);
    expect(sampleValue(await metrics(), METRIC, { graphql_operation_type: 'query', graphql_operation_name: 'Typo', outcome: 'error' })).toBe(1);
  });

  it('a @Traced() resolver gets its span, a child of the operation span; other resolvers get none', async () => {
    await boot();
    await query({ query: 'query AllOrders { orders { id } }' });
    await spans().waitFor(3);
    const operation = spans().byName('query AllOrders')!;
    const resolver = spans().byName('OrdersResolver.orders')!;
    expect(resolver).toBeDefined();
    expect(spans().parentId(resolver)).toBe(operation.spanContext().spanId);
    spans().reset();
    await query({ query: 'query One { orderById(id: "1") { id } }' });
    await spans().waitFor(2);
    expect(spans().all().map((s) => s.name)).toContain('query One');
    // Only the HTTP server span and the operation span: resolvers without @Traced() get none.
    expect(spans().all()).toHaveLength(2);
  });

  it('graphql.document: off by default, and redacted and capped when on', async () => {
    await boot({ graphql: { document: { maxLength: 40 } } });
    await query({ query: 'query Secret { orderById(id: "card-4242") { id total } }' });
    await spans().waitFor(2);
    const document = spans().byName('query Secret')!.attributes['graphql.document'] as string;
    expect(document).toContain('orderById(id: *)');
    expect(document).not.toContain('4242');
    expect(document.length).toBeLessThanOrEqual(40);
  });

  it('graphql.httpRoute: the HTTP span and http_route name the operation', async () => {
    await boot({ graphql: { httpRoute: true } });
    await query({ query: 'query OrderById { orderById(id: "1") { id } }' });
    await query({ query: '{ orders { id } }' });
    await spans().waitFor(3);
    const names = spans().all().filter((s) => s.kind === SpanKind.SERVER).map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['POST /graphql query OrderById', 'POST /graphql query unknown']));
    const text = await metrics();
    expect(sampleValue(text, 'http_server_request_duration_seconds_count', { http_route: '/graphql query OrderById' })).toBe(1);
    expect(sampleValue(text, 'http_server_request_duration_seconds_count', { http_route: '/graphql query unknown' })).toBe(1);
  });

  it('operation names past graphql.maxOperations are recorded as OTHER (spans keep the name)', async () => {
    await boot({ graphql: { maxOperations: 2, httpRoute: true } });
    for (const name of ['A', 'B', 'C', 'D']) await query({ query: `query ${name} { orderById(id: "1") { id } }` });
    await spans().waitFor(8);
    expect(spans().byName('query D')).toBeDefined();
    const text = await metrics();
    expect(sampleValue(text, METRIC, { graphql_operation_name: 'A' })).toBe(1);
    expect(sampleValue(text, METRIC, { graphql_operation_name: 'B' })).toBe(1);
    expect(sampleValue(text, METRIC, { graphql_operation_name: 'C' })).toBeUndefined();
    expect(sampleValue(text, METRIC, { graphql_operation_name: 'OTHER' })).toBe(2);
    expect(sampleValue(text, 'http_server_request_duration_seconds_count', { http_route: '/graphql query OTHER' })).toBe(2);
  });

  (driver === 'mercurius' ? it : it.skip)('Mercurius: queries compiled by graphql-jit are recorded too', async () => {
    await boot({}, true, 1);
    for (let i = 0; i < 4; i++) {
      const { body } = await query({ query: 'query Hot { orderById(id: "1") { id } }' });
      expect(body).toEqual({ data: { orderById: { id: '1' } } });
    }
    await spans().waitFor(8);
    expect(spans().all().filter((s) => s.name === 'query Hot')).toHaveLength(4);
    expect(sampleValue(await metrics(), METRIC, { graphql_operation_name: 'Hot', outcome: 'success' })).toBe(4);
  });

  it.each([
    ['graphql: false', { graphql: false }],
    ['metrics and tracing off', { metrics: false, tracing: false }],
  ] as Array<[string, ObservabilityModuleOptions]>)('records nothing with %s, and the responses are unchanged', async (_what, options) => {
    await boot(options, false);
    const ok = await query({ query: 'query OrderById { orderById(id: "1") { id total } }' });
    const failed = await query({ query: 'query Broken { failing { id } }' });
    expect(ok).toEqual({ status: 200, body: { data: { orderById: { id: '1', total: 42 } } } });
    expect(failed.status).toBe(200);
    expect(failed.body.errors[0].message).toBe('pricing is down');
    if (options.metrics !== false) expect(await metrics()).not.toContain('graphql_server_request_duration_seconds');
  });
});
