import { Injectable } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { context, ROOT_CONTEXT, createContextKey } from '@opentelemetry/api';
import { Counted, ObservabilityTestingModule, Timed, Traced } from '../../lib';

const KEY = createContextKey('depth');

/** Each method calls itself until the stack runs out; `deepest` says how deep it got. */
@Injectable()
class DeepService {
  deepest = 0;

  plain(depth: number): number {
    this.deepest = depth;
    return this.plain(depth + 1);
  }

  /** The floor for a span: the same method entering an OpenTelemetry context by hand, with no decorator. */
  inContext(depth: number): number {
    this.deepest = depth;
    return context.with(ROOT_CONTEXT.setValue(KEY, depth), () => this.inContext(depth + 1));
  }

  @Counted()
  counted(depth: number): number {
    this.deepest = depth;
    return this.counted(depth + 1);
  }

  @Traced()
  traced(depth: number): number {
    this.deepest = depth;
    return this.traced(depth + 1);
  }

  @Counted()
  @Timed()
  @Traced()
  all(depth: number): number {
    this.deepest = depth;
    return this.all(depth + 1);
  }
}

describe('recursion through a decorated method', () => {
  let moduleRef: TestingModule;
  let service: DeepService;

  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({ imports: [ObservabilityTestingModule.forRoot()], providers: [DeepService] }).compile();
    await moduleRef.init();
    service = moduleRef.get(DeepService);
  });
  afterAll(() => moduleRef.close());

  /** The deepest of a few runs (the first ones run colder code, with bigger frames). */
  function depthOf(method: 'plain' | 'inContext' | 'counted' | 'traced' | 'all'): number {
    let best = 0;
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      for (let run = 0; run < 4; run++) {
        service.deepest = 0;
        let thrown: unknown;
        try {
          service[method](0);
        } catch (error) {
          thrown = error;
        }
        // Not `toThrow(RangeError)`: the engine's RangeError is of another realm than Jest's.
        expect((thrown as Error).name).toBe('RangeError');
        best = Math.max(best, service.deepest);
      }
    } finally {
      warn.mockRestore();
    }
    return best;
  }

  // Before the single-frame wrapper (Node 24, 2026-12): plain 9,382, @Counted 1,571, @Traced 790, all three 594.
  it('goes at least 0.3 as deep with @Counted() as without, and with @Traced() nearly as deep as a bare context.with()', () => {
    const depths = {
      plain: depthOf('plain'),
      inContext: depthOf('inContext'),
      counted: depthOf('counted'),
      traced: depthOf('traced'),
      all: depthOf('all'),
    };
    process.stdout.write(`recursion depths: ${JSON.stringify(depths)}\n`);
    expect(depths.counted / depths.plain).toBeGreaterThanOrEqual(0.3);
    // A span must be made active through the context manager, whose frames dominate: the wrapper adds little.
    // (Frame sizes move with the JIT tier: 0.69 to 0.77 in runs of this code. The checks that tell the new
    // wrapper from the old are the @Counted() ratio above and the stacked one below.)
    expect(depths.traced / depths.inContext).toBeGreaterThanOrEqual(0.6);
    // @Counted() @Timed() on top of @Traced() cost no frame of their own.
    expect(depths.all / depths.traced).toBeGreaterThanOrEqual(0.95);
  });
});
