import { Controller, Get, Injectable, INestApplication, Param } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import mongoose from 'mongoose';
import request from 'supertest';
import { Counted, MetricsService, ObservabilityTestingModule, TestSpans, Timed, Traced } from '../../lib';
import { createTestApp, PLATFORMS, sampleValue } from '../fixtures/create-test-app';

class QueryFailed extends Error {}

/**
 * A lazy thenable in the style of a mongoose Query / knex builder / PrismaPromise: chainable own methods,
 * nothing runs until `then` (or `exec`) is called, and it records the span that is active when it runs.
 */
class LazyQuery<T> implements PromiseLike<T> {
  static executions = 0;
  readonly [Symbol.toStringTag] = 'PrismaPromise';
  filters: string[] = [];
  leaned = false;
  activeSpanAtRun: string | undefined;

  constructor(private readonly rows: T, private readonly fails = false) {}

  where(filter: string): this {
    this.filters.push(filter);
    return this;
  }

  lean(): this {
    this.leaned = true;
    return this;
  }

  /** PrismaPromise's batch hook: `$transaction([...])` runs the query through it, never through `then`. */
  requestTransaction(): Promise<T> {
    return this.run();
  }

  then<R1 = T, R2 = never>(onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null, onRejected?: ((reason: any) => R2 | PromiseLike<R2>) | null): Promise<R1 | R2> {
    return this.run().then(onFulfilled, onRejected);
  }

  private run(): Promise<T> {
    LazyQuery.executions++;
    this.activeSpanAtRun = (trace.getActiveSpan() as unknown as { name?: string } | undefined)?.name;
    return new Promise((resolve, reject) => setTimeout(() => (this.fails ? reject(new QueryFailed('no such table')) : resolve(this.rows)), 5));
  }
}

/** A `$transaction([...])`-style consumer: it needs its queries unexecuted, and runs them itself. */
async function $transaction<T>(queries: LazyQuery<T>[]): Promise<T[]> {
  if (LazyQuery.executions !== 0) throw new Error('a query ran before the transaction');
  for (const q of queries) if (typeof q.requestTransaction !== 'function') throw new Error('not a PrismaPromise');
  return Promise.all(queries.map((q) => q.requestTransaction()));
}

const connection = new mongoose.Mongoose();
// No server, no buffering: an executed query fails at once, without any network I/O.
connection.set('bufferCommands', false);
const User = connection.model('User', new connection.Schema({ name: String, active: Boolean }));

@Injectable()
class UsersRepository {
  @Traced()
  @Counted()
  @Timed()
  find(fails = false): LazyQuery<string[]> {
    return new LazyQuery(['ada', 'grace'], fails);
  }

  @Counted()
  @Traced()
  findActive(): mongoose.Query<unknown[], unknown> {
    return User.find({ active: true });
  }

  @Counted()
  @Traced()
  *numbers(count: number, failAt = -1): Generator<number> {
    for (let i = 0; i < count; i++) {
      if (i === failAt) throw new QueryFailed(`failed at ${i}`);
      yield i;
    }
  }

  @Counted()
  @Timed()
  @Traced()
  async *pages(count: number, failAt = -1): AsyncGenerator<number> {
    for (let i = 0; i < count; i++) {
      await new Promise((r) => setTimeout(r, 1));
      if (i === failAt) throw new QueryFailed(`failed at ${i}`);
      yield i;
    }
  }
}

@Controller('users')
class UsersController {
  constructor(private readonly users: UsersRepository) {}

  @Get(':mode')
  @Counted()
  list(@Param('mode') mode: string): LazyQuery<string[]> {
    return this.users.find(mode === 'fail');
  }
}

describe.each(PLATFORMS)('decorated methods return what they returned, on %s', (platform) => {
  let app: INestApplication;
  let users: UsersRepository;
  let spans: TestSpans;
  const count = async (method: string, result = 'success', exception = 'none') =>
    sampleValue(await app.get(MetricsService).registry.metrics(), `users_repository_${method}_total`, { result, exception }) ?? 0;

  beforeEach(async () => {
    app = await createTestApp(platform, {
      imports: [ObservabilityTestingModule.forRoot()],
      controllers: [UsersController],
      providers: [UsersRepository],
    });
    users = app.get(UsersRepository);
    spans = app.get(TestSpans);
    LazyQuery.executions = 0;
  });
  afterEach(() => app.close());

  it('returns the very thenable, unexecuted, with its own methods, and measures it when it runs', async () => {
    const query = users.find();
    expect(query).toBeInstanceOf(LazyQuery);
    expect(query.where('age > 30').lean()).toBe(query);
    expect(query.leaned).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    expect(LazyQuery.executions).toBe(0);
    expect(await count('find')).toBe(0);
    expect(spans.all()).toHaveLength(0);

    expect(await query).toEqual(['ada', 'grace']);
    expect(LazyQuery.executions).toBe(1);
    expect(await count('find')).toBe(1);
    expect(sampleValue(await app.get(MetricsService).registry.metrics(), 'users_repository_find_seconds_count', { result: 'success' })).toBe(1);
    // The query ran inside the method's span, so a database client's spans would be its children.
    expect(query.activeSpanAtRun).toBe('UsersRepository.find');
    expect(spans.byName('UsersRepository.find')).toBeDefined();
  });

  it('records a thenable that rejects as a failure, with the same error', async () => {
    const query = users.find(true);
    await expect(query).rejects.toBeInstanceOf(QueryFailed);
    expect(await count('find', 'failure', 'QueryFailed')).toBe(1);
    expect(spans.byName('UsersRepository.find')!.status.code).toBe(2);
  });

  it('hands $transaction([...]) its queries unexecuted (PrismaPromise style)', async () => {
    const queries = [users.find(), users.find()];
    expect(Object.prototype.toString.call(queries[0])).toBe('[object PrismaPromise]');
    expect(await $transaction(queries)).toEqual([['ada', 'grace'], ['ada', 'grace']]);
    expect(LazyQuery.executions).toBe(2);
    // Run another way than `then`, they are not measured (see docs/metrics.md).
    expect(await count('find')).toBe(0);
  });

  it('lets Nest await a thenable returned by a handler, measured once', async () => {
    await request(app.getHttpServer()).get('/users/ok').expect(200, ['ada', 'grace']);
    await request(app.getHttpServer()).get('/users/fail').expect(500);
    expect(LazyQuery.executions).toBe(2);
    expect(await count('find')).toBe(1);
    expect(await count('find', 'failure', 'QueryFailed')).toBe(1);
  });

  it('returns the real mongoose Query unexecuted and chainable, and measures its exec', async () => {
    const query = users.findActive();
    expect(query).toBeInstanceOf(mongoose.Query);
    expect(query.lean()).toBe(query);
    expect(query.where('name').equals('ada')).toBe(query);
    expect(query.getFilter()).toEqual({ active: true, name: 'ada' });
    await new Promise((r) => setTimeout(r, 20));
    expect((query as unknown as { _executionStack?: unknown })._executionStack ?? null).toBeNull();
    expect(await count('find_active')).toBe(0);
    expect(await count('find_active', 'failure', 'MongooseError')).toBe(0);
    // Without a connection and without buffering, running it fails at once: the failure is measured.
    await expect(query.exec()).rejects.toThrow('before initial connection is complete');
    expect(await count('find_active', 'failure', 'MongooseError')).toBe(1);
    await expect(users.findActive()).rejects.toThrow('before initial connection is complete');
    expect(await count('find_active', 'failure', 'MongooseError')).toBe(2);
  });

  it('measures a generator over its iteration: success at the end, failure when it throws, nothing at creation', async () => {
    const generator = users.numbers(3);
    expect(Object.prototype.toString.call(generator)).toBe('[object Generator]');
    expect(generator[Symbol.iterator]()).toBe(generator);
    expect(await count('numbers')).toBe(0);
    expect([...generator]).toEqual([0, 1, 2]);
    expect(await count('numbers')).toBe(1);

    expect(() => [...users.numbers(3, 1)]).toThrow(QueryFailed);
    expect(await count('numbers')).toBe(1);
    expect(await count('numbers', 'failure', 'QueryFailed')).toBe(1);
    expect(spans.all().filter((s) => s.name === 'UsersRepository.numbers').map((s) => s.status.code)).toEqual([0, 2]);
  });

  it('measures an async generator over its iteration, and a consumer that stops early cancels it', async () => {
    const seen: number[] = [];
    for await (const page of users.pages(3)) seen.push(page);
    expect(seen).toEqual([0, 1, 2]);
    expect(await count('pages')).toBe(1);

    await expect(
      (async () => {
        for await (const _page of users.pages(3, 2));
      })(),
    ).rejects.toBeInstanceOf(QueryFailed);
    expect(await count('pages', 'failure', 'QueryFailed')).toBe(1);

    for await (const page of users.pages(5)) if (page === 1) break;
    expect(await count('pages')).toBe(1);
    const cancelled = spans.all().filter((s) => s.name === 'UsersRepository.pages' && s.attributes['observability.cancelled'] === true);
    expect(cancelled).toHaveLength(1);
  });
});

describe('static methods', () => {
  it('refuse @Counted(), @Timed() and @Traced() at decoration time, saying why', () => {
    for (const [decorator, name] of [[Counted(), 'Counted'], [Timed(), 'Timed'], [Traced(), 'Traced']] as const) {
      class Tools {
        static sum(a: number, b: number): number {
          return a + b;
        }
      }
      expect(() => decorator(Tools, 'sum', Object.getOwnPropertyDescriptor(Tools, 'sum')!)).toThrow(
        `@${name}() cannot decorate the static method Tools.sum: it would never be instrumented`,
      );
    }
  });
});
