import { diag, type Attributes, type Exception, type Link, type Span, type SpanContext, type SpanKind, SpanStatusCode, type SpanStatus, type TimeInput } from '@opentelemetry/api';
import { AttributeList } from './attribute-list';
import type { SpanClock } from './span-time';
import type { SpanLimits } from './span-limits';

/** What a span needs from its tracer: limits, clock, and where it goes when it ends. */
export interface SpanHome {
  readonly limits: SpanLimits;
  readonly clock: SpanClock;
  /** Encodes the ended span (the span is not kept). */
  ended(span: ObservabilitySpan): void;
}

/** An event, as kept until the span ends. */
export interface SpanEventRecord {
  name: string;
  s: number;
  ns: number;
  attributes: AttributeList;
}

/** A link, as kept until the span ends. */
export interface SpanLinkRecord {
  context: SpanContext;
  attributes: AttributeList;
}

/**
 * The span of the owned path (`startObservabilitySdk()` on the encoded path): the OpenTelemetry API's
 * `Span`, with the specification's limits and dropped counts, times as integers (epoch seconds and
 * nanoseconds), attributes in one flat array, events and links made only when added. At `end()` it is
 * encoded to its OTLP `Span` message and its attributes, events and links are let go.
 * Behaves as the SDK's `SpanImpl` does: a second `end()` and changes after the end are refused with a
 * warning, the status does not move from OK, an exception becomes an `exception` event.
 */
export class ObservabilitySpan implements Span {
  startS = 0;
  startNs = 0;
  endS = 0;
  endNs = 0;
  attributes: AttributeList | null;
  events: SpanEventRecord[] | null = null;
  links: SpanLinkRecord[] | null = null;
  droppedEvents = 0;
  droppedLinks = 0;
  statusCode: SpanStatusCode = SpanStatusCode.UNSET;
  statusMessage: string | undefined = undefined;
  private ended = false;
  private readonly startGiven: boolean;
  private readonly startPerf: number;

  constructor(
    private readonly home: SpanHome,
    private readonly context: SpanContext,
    public name: string,
    readonly kind: SpanKind,
    /** The parent's span id ('' for a root) and whether it came from another process. */
    readonly parentSpanId: string,
    readonly parentIsRemote: boolean,
    attributes: Attributes | undefined,
    links: Link[] | undefined,
    startTime: TimeInput | undefined,
  ) {
    const limits = home.limits;
    this.attributes = new AttributeList(limits.attributeCountLimit, limits.attributeValueLengthLimit);
    if (attributes !== undefined) this.attributes.addAll(attributes);
    if (links !== undefined) for (const link of links) this.addLinkRecord(link);
    const clock = home.clock;
    this.startGiven = startTime != null;
    this.startPerf = performance.now();
    clock.read(startTime ?? this.startPerf);
    this.startS = clock.s;
    this.startNs = clock.ns;
  }

  spanContext(): SpanContext {
    return this.context;
  }

  isRecording(): boolean {
    return !this.ended;
  }

  setAttribute(key: string, value: unknown): this {
    if (this.refused()) return this;
    this.attributes!.set(key, value);
    return this;
  }

  setAttributes(attributes: Attributes): this {
    if (this.refused()) return this;
    const list = this.attributes!;
    for (const key in attributes) if (Object.prototype.hasOwnProperty.call(attributes, key)) list.set(key, attributes[key]);
    return this;
  }

  /**
   * `setAttributes()` of pairs the module made itself (see `AttributeList.adopt`); the array is the
   * span's from then on.
   */
  setAttributePairs(pairs: unknown[]): this {
    if (this.refused()) return this;
    this.attributes!.adopt(pairs);
    return this;
  }

  addEvent(name: string, attributesOrStartTime?: Attributes | TimeInput, startTime?: TimeInput): this {
    if (this.refused()) return this;
    const limit = this.home.limits.eventCountLimit;
    if (limit === 0) {
      diag.warn('No events allowed.');
      this.droppedEvents++;
      return this;
    }
    const events = (this.events ??= []);
    if (events.length >= limit) {
      events.shift();
      this.droppedEvents++;
    }
    let attributes = attributesOrStartTime as Attributes | undefined;
    if (isTimeInput(attributesOrStartTime)) {
      if (!isTimeInput(startTime)) startTime = attributesOrStartTime;
      attributes = undefined;
    }
    const limits = this.home.limits;
    const list = new AttributeList(limits.attributePerEventCountLimit, limits.attributeValueLengthLimit);
    list.addAll(attributes, true);
    this.readTime(startTime);
    const clock = this.home.clock;
    events.push({ name, s: clock.s, ns: clock.ns, attributes: list });
    return this;
  }

  addLink(link: Link): this {
    if (this.refused()) return this;
    this.addLinkRecord(link);
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.refused()) return this;
    if (status.code === SpanStatusCode.UNSET || this.statusCode === SpanStatusCode.OK) return this;
    this.statusCode = status.code;
    this.statusMessage = undefined;
    if (status.code === SpanStatusCode.ERROR) {
      if (typeof status.message === 'string') this.statusMessage = status.message;
      else if (status.message != null) diag.warn(`Dropping invalid status.message of type '${typeof status.message}', expected 'string'`);
    }
    return this;
  }

  updateName(name: string): this {
    if (this.refused()) return this;
    this.name = name;
    return this;
  }

  end(endTime?: TimeInput): void {
    const ctx = this.context;
    if (this.ended) {
      diag.error(`${this.name} ${ctx.traceId}-${ctx.spanId} - You can only call end() on a span once.`);
      return;
    }
    this.ended = true;
    this.readTime(endTime);
    const clock = this.home.clock;
    if (clock.s < this.startS || (clock.s === this.startS && clock.ns < this.startNs)) {
      diag.warn('Inconsistent start and end time, startTime > endTime. Setting span duration to 0ms.');
      this.endS = this.startS;
      this.endNs = this.startNs;
    } else {
      this.endS = clock.s;
      this.endNs = clock.ns;
    }
    if (this.droppedEvents > 0) diag.warn(`Dropped ${this.droppedEvents} events because eventCountLimit reached`);
    if (this.droppedLinks > 0) diag.warn(`Dropped ${this.droppedLinks} links because linkCountLimit reached`);
    try {
      this.home.ended(this);
    } finally {
      // Encoded: nothing of it is needed any more, even while the app still holds the span.
      this.attributes = null;
      this.events = null;
      this.links = null;
    }
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') attributes['exception.message'] = exception;
    else if (exception) {
      if (exception.code) attributes['exception.type'] = exception.code.toString();
      else if (exception.name) attributes['exception.type'] = exception.name;
      if (exception.message) attributes['exception.message'] = exception.message;
      if (exception.stack) attributes['exception.stacktrace'] = exception.stack;
    }
    if (attributes['exception.type'] || attributes['exception.message']) this.addEvent('exception', attributes, time);
    else diag.warn(`Failed to record an exception ${String(exception)}`);
  }

  /** A time given, or now: the span's start plus the performance clock's progress (as the SDK does). */
  private readTime(time: TimeInput | undefined): void {
    const clock = this.home.clock;
    if (time !== undefined && clock.read(time)) return;
    if (this.startGiven) {
      clock.epochMillis(Date.now());
      return;
    }
    // Now, measured from the start on the monotonic clock.
    const elapsedNs = Math.round((performance.now() - this.startPerf) * 1e6);
    let ns = this.startNs + (elapsedNs % 1e9);
    let s = this.startS + Math.trunc(elapsedNs / 1e9);
    if (ns >= 1e9) {
      ns -= 1e9;
      s++;
    }
    clock.s = s;
    clock.ns = ns;
  }

  private addLinkRecord(link: Link): void {
    const limits = this.home.limits;
    if (limits.linkCountLimit === 0) {
      this.droppedLinks++;
      return;
    }
    const links = (this.links ??= []);
    if (links.length >= limits.linkCountLimit) {
      links.shift();
      this.droppedLinks++;
    }
    const list = new AttributeList(limits.attributePerLinkCountLimit, limits.attributeValueLengthLimit);
    list.addAll(link.attributes);
    links.push({ context: link.context, attributes: list });
  }

  /** Whether the span has ended (said, as the SDK says it). */
  private refused(): boolean {
    if (!this.ended) return false;
    const ctx = this.context;
    diag.warn(`Cannot execute the operation on ended Span {traceId: ${ctx.traceId}, spanId: ${ctx.spanId}}`);
    return true;
  }
}

function isTimeInput(value: unknown): value is TimeInput {
  return typeof value === 'number' || value instanceof Date || (Array.isArray(value) && value.length === 2 && typeof value[0] === 'number' && typeof value[1] === 'number');
}
