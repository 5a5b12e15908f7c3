import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Cuts a long, synchronous piece of work (rendering tens of thousands of sample lines) into
 * slices of at most `sliceMs`, handing the event loop back between them, so that requests that
 * arrive during a scrape wait for one slice, not for the whole render.
 *
 * Callers call `tick()` after each unit of work (a series) and `await slicer.pause()` when it
 * returns true. The clock is read once every `CHECK_EVERY` units: reading it costs more than
 * rendering one short line.
 *
 * @example
 * const slicer = new RenderSlicer(4);
 * for (const series of all) { render(series); if (slicer.tick()) await slicer.pause(); }
 */
export class RenderSlicer {
  private sliceStart = performance.now();
  private units = 0;

  /** @param sliceMs longest stretch of work between two pauses; 0 or Infinity never pauses. */
  constructor(private readonly sliceMs: number) {}

  /** Counts one unit of work; true when the current slice is used up. */
  tick(): boolean {
    if (++this.units < CHECK_EVERY) return false;
    this.units = 0;
    return this.sliceMs > 0 && performance.now() - this.sliceStart >= this.sliceMs;
  }

  /** Gives the event loop back (after pending I/O callbacks), then starts a new slice. */
  async pause(): Promise<void> {
    await nextTurn();
    this.sliceStart = performance.now();
    this.units = 0;
  }
}

// Series between two clock reads: a few microseconds of rendering.
const CHECK_EVERY = 32;
