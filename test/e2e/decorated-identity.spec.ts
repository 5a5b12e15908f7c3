import { Injectable } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import mongoose from 'mongoose';
import { BehaviorSubject, Subject } from 'rxjs';
import { Counted, MetricsService, ObservabilityTestingModule, TestSpans, Timed, Traced } from '../../lib';
import { sampleValue } from '../fixtures/create-test-app';

/** A Promise subclass, as some clients return (cached here, like a memoized connection). */
class TrackedPromise<T> extends Promise<T> {}

/** A Bluebird-style thenable: eager, not a native Promise, its `then` on the prototype. */
class EagerThenable<T> implements PromiseLike<T> {
  private readonly inner: Promise<T>;
  constructor(value: T) {
    this.inner = Promise.resolve(value);
  }
  then<R1 = T, R2 = never>(onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null, onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null): Promise<R1 | R2> {
    return this.inner.then(onFulfilled, onRejected);
  }
}

/** A config object that refuses unknown keys, as strict config libraries do. */
function strictConfig(values: Record<string, unknown>): Record<string, unknown> {
  return new Proxy(values, {
    get(target, key) {
      if (!(key in target)) throw new Error(`Unknown config key "${String(key)}"`);
      return target[key as string];
    },
  });
}

const connection = new mongoose.Mongoose();
connection.set('bufferCommands', false);
const User = connection.model('User', new connection.Schema({ name: String }));

@Injectable()
class CachingService {
  private readonly memo = Promise.resolve(42);
  private readonly subclassed = TrackedPromise.resolve('sub');
  private readonly eager = new EagerThenable('eager');
  private readonly subject = new BehaviorSubject(1);
  private readonly config = strictConfig({ port: 8080 });
  private readonly failing = new EagerThenable<never>(undefined as never);
  events = new Subject<string>();

  @Counted()
  @Traced()
  memoized(): Promise<number> {
    return this.memo;
  }

  @Counted()
  @Timed()
  @Traced()
  cancellable(): Promise<string> & { cancel: () => string } {
    return Object.assign(new Promise<string>((resolve) => setTimeout(() => resolve('done'), 1)), { cancel: () => 'cancelled' });
  }

  @Counted()
  @Traced()
  state(): BehaviorSubject<number> {
    return this.subject;
  }

  @Counted()
  stream(): Subject<string> {
    return this.events;
  }

  @Counted()
  @Traced()
  settings(): Record<string, unknown> {
    return this.config;
  }

  @Counted()
  @Traced()
  query(): mongoose.Query<unknown[], unknown> {
    return User.find({ name: 'ada' });
  }

  @Counted()
  @Traced()
  cachedSubclass(): TrackedPromise<string> {
    return this.subclassed;
  }

  @Counted()
  @Traced()
  cachedThenable(): EagerThenable<string> {
    return this.eager;
  }

  @Counted()
  literal(): PromiseLike<string> & { requestTransaction: () => string } {
    // Prisma's PrismaPromise is an object literal like this one: its `then` is an own, enumerable property.
    return { then: (onFulfilled?: any) => Promise.resolve('row').then(onFulfilled), requestTransaction: () => 'batched' };
  }

  @Counted()
  cachedFailure(): PromiseLike<never> {
    return this.failing;
  }
}

describe('a decorated method returns exactly what it returned', () => {
  let moduleRef: TestingModule;
  let service: CachingService;
  const count = async (method: string, result = 'success', exception = 'none') =>
    sampleValue(await moduleRef.get(MetricsService).registry.metrics(), `caching_service_${method}_total`, { result, exception }) ?? 0;

  beforeEach(async () => {
    moduleRef = await Test.createTestingModule({ imports: [ObservabilityTestingModule.forRoot()], providers: [CachingService] }).compile();
    await moduleRef.init();
    service = moduleRef.get(CachingService);
  });
  afterEach(() => moduleRef.close());

  it('keeps a memoized native Promise identical, and still measures each call when it settles', async () => {
    expect(service.memoized()).toBe(service.memoized());
    expect(await service.memoized()).toBe(42);
    expect(await count('memoized')).toBe(3);
    expect(moduleRef.get(TestSpans).all().filter((s) => s.name === 'CachingService.memoized')).toHaveLength(3);
  });

  it('keeps the extra properties of a returned Promise', async () => {
    const pending = service.cancellable();
    expect(typeof pending.cancel).toBe('function');
    expect(pending.cancel()).toBe('cancelled');
    expect(await pending).toBe('done');
    expect(await count('cancellable')).toBe(1);
  });

  it('hands back a BehaviorSubject or Subject as itself, measured as a synchronous call', async () => {
    const state = service.state();
    expect(state).toBeInstanceOf(BehaviorSubject);
    expect(state.getValue()).toBe(1);
    state.next(2);
    expect(service.state().getValue()).toBe(2);
    expect(service.stream()).toBe(service.events);
    // The wrapper never subscribes: the Subject has exactly the observers its users gave it.
    expect(service.events.observed).toBe(false);
    expect(await count('state')).toBe(2);
    expect(await count('stream')).toBe(1);
  });

  it('reads no property of a returned Proxy (a strict config does not throw on "then")', async () => {
    const config = service.settings();
    expect(config.port).toBe(8080);
    expect(await count('settings')).toBe(1);
  });

  it('adds no own property to a returned mongoose Query, and still measures it when it runs', async () => {
    const plain = User.find({ name: 'ada' });
    const query = service.query();
    expect(Object.keys(query)).toEqual(Object.keys(plain));
    expect(Object.getOwnPropertyNames(query)).toEqual(Object.getOwnPropertyNames(plain));
    expect(Object.prototype.hasOwnProperty.call(query, 'then')).toBe(false);
    expect(Object.prototype.hasOwnProperty.call(query, 'exec')).toBe(false);
    expect(query).toBeInstanceOf(mongoose.Query);
    expect(query.constructor).toBe(plain.constructor);
    await expect(query).rejects.toThrow('before initial connection is complete');
    expect(Object.getPrototypeOf(query)).toBe(Object.getPrototypeOf(plain));
    expect(await count('query', 'failure', 'MongooseError')).toBe(1);
  });

  it('keeps the own `then` of an object literal thenable enumerable and in place, and measures its run', async () => {
    const thenable = service.literal();
    expect(Object.keys(thenable)).toEqual(['then', 'requestTransaction']);
    expect(Object.getOwnPropertyDescriptor(thenable, 'then')).toMatchObject({ enumerable: true, writable: true });
    expect(await count('literal')).toBe(0);
    expect(await thenable).toBe('row');
    expect(await count('literal')).toBe(1);
  });

  it('hooks a cached Promise subclass or Bluebird-style thenable once: no growth, no RangeError over many calls', async () => {
    for (let i = 0; i < 12_000; i++) await service.cachedThenable();
    for (let i = 0; i < 5_000; i++) service.cachedThenable();
    expect(await service.cachedThenable()).toBe('eager');
    expect(Object.getOwnPropertyNames(service.cachedThenable())).toEqual(['inner']);
    expect(Object.getPrototypeOf(service.cachedThenable())).toBe(EagerThenable.prototype);

    for (let i = 0; i < 5_000; i++) service.cachedSubclass();
    const subclassed = service.cachedSubclass();
    expect(subclassed).toBe(service.cachedSubclass());
    expect(Object.getOwnPropertyNames(subclassed)).toEqual([]);
    expect(await subclassed).toBe('sub');
    await new Promise((r) => setImmediate(r));
    expect(await count('cached_thenable')).toBe(17_003);
    expect(await count('cached_subclass')).toBe(5_002);
  });

  it('counts a cached thenable that has rejected as a failure on every later call', async () => {
    const failing = new EagerThenable<never>(undefined as never);
    (failing as unknown as { inner: Promise<never> }).inner = Promise.reject(new RangeError('cached failure'));
    (service as unknown as { failing: unknown }).failing = failing;
    await expect(service.cachedFailure()).rejects.toThrow('cached failure');
    await expect(service.cachedFailure()).rejects.toThrow('cached failure');
    expect(await count('cached_failure', 'failure', 'RangeError')).toBe(2);
  });
});
