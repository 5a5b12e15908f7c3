import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';

/**
 * Cuts a long, synchronous piece of work (rendering tens of thousands of sample lines) into
 * slices of at most `sliceMs`, handing the event loop back between them, so that requests that
 * arrive during a scrape wait for one slice, not for the whole render.
 *
 * With a `dutyCycle` below 1, each pause also rests in proportion to the slice just worked
 * (`worked × (1 − dutyCycle) / dutyCycle`), so that the work takes at most that share of the
 * event loop while it is under way: a scraper that fetches back to back keeps a render always in
 * progress, and without the rest it would take half of a saturated server's CPU from requests.
 * Rests shorter than a timer's 1 ms are carried over to the next pause.
 *
 * Callers `push()` the text they write, call `tick()` after each unit of work (a series) and
 * `await slicer.pause()` when it returns true, then take the whole with `text()`. Every
 * `CHECK_EVERY` units the text pushed so far is joined into one flat string and the clock is read:
 * joining tens of thousands of small (cons) strings at the end would hold the loop for ~10 ms at
 * 20,000 lines, and reading the clock costs more than rendering one short line.
 *
 * @example
 * const slicer = new RenderSlicer(4, 0.25);
 * for (const series of all) { slicer.push(render(series)); if (slicer.tick()) await slicer.pause(); }
 * return slicer.text();
 */
export class RenderSlicer {
  private sliceStart = performance.now();
  private units = 0;
  /** Rest owed to other work and not taken yet (ms). */
  private owed = 0;
  /** Text pushed since the last join. */
  private readonly pending: string[] = [];
  /** Flat strings, one per `CHECK_EVERY` units. */
  private readonly chunks: string[] = [];

  /**
   * @param sliceMs longest stretch of work between two pauses; 0 or Infinity never pauses.
   * @param dutyCycle largest share of the event loop the work takes, in (0, 1]; 1 never rests.
   */
  constructor(
    private readonly sliceMs: number,
    private readonly dutyCycle = 1,
  ) {}

  /** Appends text to the output. */
  push(...parts: string[]): void {
    for (let i = 0; i < parts.length; i++) this.pending.push(parts[i]);
  }

  /** Everything pushed, as one string. */
  text(): string {
    this.join();
    return this.chunks.join('');
  }

  /** Counts one unit of work; true when the current slice is used up. */
  tick(): boolean {
    if (++this.units < CHECK_EVERY) return false;
    this.units = 0;
    this.join();
    return this.sliceMs > 0 && performance.now() - this.sliceStart >= this.sliceMs;
  }

  /**
   * Gives the event loop back (after pending I/O callbacks), resting for the duty cycle's share
   * when one is set, then starts a new slice.
   */
  async pause(): Promise<void> {
    if (this.dutyCycle < 1) {
      this.owed += ((performance.now() - this.sliceStart) * (1 - this.dutyCycle)) / this.dutyCycle;
    }
    if (this.owed >= 1) {
      const start = performance.now();
      await sleep(this.owed);
      // A timer that fires late (other work ran long) has given more than owed: nothing is carried.
      this.owed = Math.max(0, this.owed - (performance.now() - start));
    } else {
      await nextTurn();
    }
    this.sliceStart = performance.now();
    this.units = 0;
  }

  /**
   * Before a step that cannot be cut (taking the keys of a map of 20,000 series): pauses first
   * when a quarter of the slice is already used, so that the step starts a slice of its own.
   */
  async beforeBulkStep(): Promise<void> {
    if (this.sliceMs > 0 && performance.now() - this.sliceStart >= this.sliceMs / 4) await this.pause();
  }

  private join(): void {
    if (this.pending.length === 0) return;
    this.chunks.push(this.pending.join(''));
    this.pending.length = 0;
  }
}

// Series between two clock reads: a few microseconds of rendering.
const CHECK_EVERY = 32;
