import 'reflect-metadata';
import { SetMetadata } from '@nestjs/common';
import { lastValueFrom, Observable, of, throwError } from 'rxjs';
import { INSTRUMENTATION_METADATA } from '../../lib/observability.constants';
import { Counted, Timed } from '../../lib';
import { DISPATCHER_INFO, DispatcherInfo } from '../../lib/instrumentation/instrument-method.decorator';
import { InvocationListener } from '../../lib/instrumentation/instrumentation-spec.interface';
import { createInvocationPlan, invokeInstrumented } from '../../lib/instrumentation/invoke-instrumented';

const SWAGGER_KEY = 'swagger/apiOperation';
const PATTERN_KEY = 'microservices:pattern';

class Subject {
  value = 5;

  @SetMetadata(SWAGGER_KEY, { summary: 'below' })
  @Counted()
  above(a: number, b: number): number {
    return this.value + a + b;
  }

  @Timed()
  @Counted()
  @SetMetadata(PATTERN_KEY, ['orders.created'])
  below(x: number): number {
    return x * this.value;
  }
}

/** A listener that records what it saw, standing in for the metrics and tracing parts. */
function recordingListener() {
  const events: Array<{ error: unknown; failed: boolean }> = [];
  const listener: InvocationListener<number> & { events: typeof events; cancelled: number } = {
    events,
    cancelled: 0,
    start: () => 1,
    end: (_s, error, failed) => events.push({ error, failed }),
    cancel: () => listener.cancelled++,
  };
  return listener;
}

describe('the instrumentation dispatcher', () => {
  it('keeps the name, the length and every reflect-metadata key, whatever the decorator order', () => {
    const above = Subject.prototype.above as any;
    const below = Subject.prototype.below as any;
    expect(above.name).toBe('above');
    expect(above.length).toBe(2);
    expect(below.name).toBe('below');
    expect(Reflect.getMetadata(SWAGGER_KEY, above)).toEqual({ summary: 'below' });
    expect(Reflect.getMetadata(PATTERN_KEY, below)).toEqual(['orders.created']);
    expect(Reflect.getOwnMetadata(PATTERN_KEY, below)).toEqual(['orders.created']);
  });

  it('stacks several decorators on one dispatcher and records each spec', () => {
    const below = Subject.prototype.below as any;
    const info: DispatcherInfo = below[DISPATCHER_INFO];
    expect(info.original).not.toBe(below);
    expect((info.original as any)[DISPATCHER_INFO]).toBeUndefined();
    const specs = Reflect.getMetadata(INSTRUMENTATION_METADATA, below);
    expect(specs.map((s: any) => s.kind)).toEqual(['counted', 'timed']);
    expect(specs[0]).toMatchObject({ className: 'Subject', methodName: 'below' });
  });

  it('calls the original with `this` and arguments when no handler is installed', () => {
    expect(new Subject().above(1, 2)).toBe(8);
  });

  it('calls the handler installed on the instance, and only on that instance', () => {
    const a = new Subject();
    const b = new Subject();
    const info: DispatcherInfo = (Subject.prototype.above as any)[DISPATCHER_INFO];
    const calls: unknown[][] = [];
    (a as any)[info.slot] = createInvocationPlan(info.original, [{ start: (_self: unknown, args: unknown[]) => calls.push(args), end: () => undefined }]);
    expect(a.above(1, 1)).toBe(7);
    expect(b.above(1, 1)).toBe(7);
    expect(calls).toEqual([[1, 1]]);
  });

  it('a listener with `returned` (the @Counted() fast path): plain values end there, every other shape through end(), the same results and errors', async () => {
    class Shapes {
      run(kind: string): unknown {
        if (kind === 'throw') throw errorThrown;
        if (kind === 'promise') return promise;
        if (kind === 'object') return object;
        return kind === 'undefined' ? undefined : 42;
      }
    }
    const errorThrown = new TypeError('boom');
    const promise = Promise.resolve('later');
    const object = { then: undefined };
    const descriptor = Object.getOwnPropertyDescriptor(Shapes.prototype, 'run')!;
    Object.defineProperty(Shapes.prototype, 'run', Counted()(Shapes.prototype, 'run', descriptor) ?? descriptor);
    const info: DispatcherInfo = (Shapes.prototype.run as any)[DISPATCHER_INFO];
    const events: string[] = [];
    let failReturned = false;
    const shapes = new Shapes();
    (shapes as any)[info.slot] = createInvocationPlan(info.original, [
      {
        start: () => events.push('start'),
        end: (state: unknown, _error: unknown, failed: boolean, value: unknown) => events.push(`end:${String(state)}:${failed}:${String(value)}`),
        returned: () => {
          events.push('returned');
          if (failReturned) throw new Error('listener bug');
        },
      },
    ]);
    expect(shapes.run('number')).toBe(42);
    expect(shapes.run('undefined')).toBeUndefined();
    expect(events).toEqual(['returned', 'returned']);
    events.length = 0;
    expect(() => shapes.run('throw')).toThrow(errorThrown);
    expect(shapes.run('promise')).toBe(promise);
    expect(shapes.run('object')).toBe(object);
    await promise;
    expect(events).toEqual(['end:undefined:true:undefined', 'end:undefined:false:[object Object]', 'end:undefined:false:later']);
    events.length = 0;
    failReturned = true;
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      expect(shapes.run('number')).toBe(42);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('listener bug'));
    } finally {
      warn.mockRestore();
    }
  });

  it('refuses to decorate something that is not a method, naming it', () => {
    expect(() => (Counted() as any)(Subject.prototype, 'value', { value: 3 })).toThrow(
      '@Counted() can only decorate methods, and Subject.value is not one.',
    );
  });
});

describe('invokeInstrumented', () => {
  const body = (fn: (...a: any[]) => unknown) => (self: unknown, args: unknown[]) => fn.apply(self, args);

  it('ends sync calls and rethrows the very same error', () => {
    const l = recordingListener();
    expect(invokeInstrumented(body(() => 3), null, [], l)).toBe(3);
    const error = new RangeError('x');
    expect(() => invokeInstrumented(body(() => { throw error; }), null, [], l)).toThrow(error);
    try {
      invokeInstrumented(body(() => { throw error; }), null, [], l);
    } catch (e) {
      expect(e).toBe(error);
    }
    expect(l.events.map((e) => e.failed)).toEqual([false, true, true]);
    expect(l.events[1].error).toBe(error);
  });

  it('ends a Promise when it settles, and rejects with the same error', async () => {
    const l = recordingListener();
    const error = new TypeError('late');
    let settle!: () => void;
    const pending = invokeInstrumented(body(() => new Promise<void>((r) => (settle = r))), null, [], l) as Promise<void>;
    expect(l.events).toHaveLength(0);
    settle();
    await pending;
    expect(l.events).toEqual([{ error: undefined, failed: false }]);
    await expect(invokeInstrumented(body(() => Promise.reject(error)), null, [], l)).rejects.toBe(error);
    expect(l.events[1]).toEqual({ error, failed: true });
  });

  it('ends an Observable on complete or error, not at subscription, and once only', async () => {
    const l = recordingListener();
    const result = invokeInstrumented(body(() => of(1, 2, 3)), null, [], l) as Observable<number>;
    expect(l.events).toHaveLength(0);
    const seen: number[] = [];
    await new Promise<void>((done) => result.subscribe({ next: (v) => seen.push(v), complete: done }));
    expect(seen).toEqual([1, 2, 3]);
    const error = new Error('rx');
    await expect(lastValueFrom(invokeInstrumented(body(() => throwError(() => error)), null, [], l) as Observable<never>)).rejects.toBe(error);
    expect(l.events).toEqual([{ error: undefined, failed: false }, { error, failed: true }]);
  });

  it('reports an Observable unsubscribed before it finished as cancelled', () => {
    const l = recordingListener();
    const never = new Observable<number>(() => undefined);
    const sub = (invokeInstrumented(body(() => never), null, [], l) as Observable<number>).subscribe();
    sub.unsubscribe();
    expect(l.cancelled).toBe(1);
    expect(l.events).toHaveLength(0);
  });

  it('never lets a failing listener break the call', () => {
    const l: InvocationListener<void> = {
      start: () => undefined,
      end: () => {
        throw new Error('listener bug');
      },
    };
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      expect(invokeInstrumented(body(() => 'fine'), null, [], l)).toBe('fine');
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('listener bug'));
    } finally {
      warn.mockRestore();
    }
  });
});
