import type { SpanContext } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { ObservabilitySpan } from '../span/observability.span';
import type { AttributeList } from '../span/attribute-list';
import { ProtobufWriter } from './protobuf.writer';

/** What a resource or a scope needs around its spans in an `ExportTraceServiceRequest`: encoded once. */
export interface OtlpFrame {
  /** The `resource` (field 1 of ResourceSpans) or `scope` (field 1 of ScopeSpans) field, key and length included. */
  head: Uint8Array;
  /** The `schema_url` field (3) that follows the spans, or no bytes. */
  tail: Uint8Array;
}

type AttributeValue = unknown;

/** How many attribute keys an encoder keeps encoded; keys beyond it are encoded each time. */
const MAX_ENCODED_KEYS = 1024;
type Attributes = Readonly<Record<string, AttributeValue>>;

/**
 * Encodes OTLP protobuf as `@opentelemetry/exporter-trace-otlp-proto` does (the same fields, in the same
 * order, with the same rules: kind + 1, flags with the "has is_remote" bit, integers as `int_value`
 * and other numbers as `double_value`, empty arrays and `null` items as empty values), but in pieces:
 * one `Span` message when the span ends, and the resource and scope framing once.
 * `test/e2e/encoded-span-export.spec.ts` decodes both requests with the official schema and compares them.
 */
export class OtlpSpanEncoder {
  /**
   * The `key` field of each attribute key seen (tag, length, UTF-8): keys are a small set of constants,
   * and copying their bytes costs a fraction of encoding their characters again for every span.
   */
  private readonly keys = new Map<string, Uint8Array>();

  /** Writes the `Span` message of `span` (its fields, without the enclosing key and length). */
  span(w: ProtobufWriter, span: ReadableSpan): void {
    const ctx = span.spanContext();
    this.head(w, ctx, span.parentSpanContext?.spanId, span.name, span.kind);
    w.tag(7, 1);
    w.hrTime(span.startTime);
    w.tag(8, 1);
    w.hrTime(span.endTime);
    if (span.attributes) this.attributes(w, span.attributes, 9);
    w.tag(10, 0);
    w.uint32(span.droppedAttributesCount);
    for (const event of span.events) {
      w.tag(11, 2);
      const at = w.begin();
      w.tag(1, 1);
      w.hrTime(event.time);
      w.tag(2, 2);
      w.string(event.name);
      if (event.attributes) this.attributes(w, event.attributes, 3);
      w.tag(4, 0);
      w.uint32(event.droppedAttributesCount || 0);
      w.end(at);
    }
    w.tag(12, 0);
    w.uint32(span.droppedEventsCount);
    for (const link of span.links) {
      w.tag(13, 2);
      const at = w.begin();
      const linked = link.context;
      this.context(w, linked);
      if (link.attributes) this.attributes(w, link.attributes, 4);
      w.tag(5, 0);
      w.uint32(link.droppedAttributesCount || 0);
      w.tag(6, 5);
      w.fixed32(spanFlags(linked.traceFlags, linked.isRemote));
      w.end(at);
    }
    w.tag(14, 0);
    w.uint32(span.droppedLinksCount);
    w.tag(15, 2);
    const at = w.begin();
    if (span.status.message) {
      w.tag(2, 2);
      w.string(span.status.message);
    }
    w.tag(3, 0);
    w.uint32(span.status.code);
    w.end(at);
    w.tag(16, 5);
    w.fixed32(spanFlags(ctx.traceFlags, span.parentSpanContext?.isRemote));
  }

  /** The fields both span shapes share first: ids, trace state, parent, name and kind. */
  private head(w: ProtobufWriter, ctx: SpanContext, parentSpanId: string | undefined, name: string, kind: number | undefined): void {
    this.context(w, ctx);
    if (parentSpanId) {
      w.tag(4, 2);
      w.hexBytes(parentSpanId);
    }
    w.tag(5, 2);
    w.string(name);
    const code = kind == null ? 0 : kind + 1;
    if (code !== 0) {
      w.tag(6, 0);
      w.uint32(code);
    }
  }

  /**
   * Writes the `Span` message of one of the module's own spans (`ObservabilitySpan`), field for field
   * as {@link span} writes the SDK's: the equality of both is tested in `test/e2e/own-span-export.spec.ts`.
   */
  ownSpan(w: ProtobufWriter, span: ObservabilitySpan): void {
    const ctx = span.spanContext();
    this.head(w, ctx, span.parentSpanId, span.name, span.kind);
    w.tag(7, 1);
    w.time(span.startS, span.startNs);
    w.tag(8, 1);
    w.time(span.endS, span.endNs);
    const attributes = span.attributes;
    if (attributes) this.list(w, attributes, 9);
    w.tag(10, 0);
    w.uint32(attributes?.dropped ?? 0);
    if (span.events) {
      for (const event of span.events) {
        w.tag(11, 2);
        const at = w.begin();
        w.tag(1, 1);
        w.time(event.s, event.ns);
        w.tag(2, 2);
        w.string(event.name);
        this.list(w, event.attributes, 3);
        w.tag(4, 0);
        w.uint32(event.attributes.dropped);
        w.end(at);
      }
    }
    w.tag(12, 0);
    w.uint32(span.droppedEvents);
    if (span.links) {
      for (const link of span.links) {
        w.tag(13, 2);
        const at = w.begin();
        const linked = link.context;
        this.context(w, linked);
        this.list(w, link.attributes, 4);
        w.tag(5, 0);
        w.uint32(link.attributes.dropped);
        w.tag(6, 5);
        w.fixed32(spanFlags(linked.traceFlags, linked.isRemote));
        w.end(at);
      }
    }
    w.tag(14, 0);
    w.uint32(span.droppedLinks);
    w.tag(15, 2);
    const at = w.begin();
    if (span.statusMessage) {
      w.tag(2, 2);
      w.string(span.statusMessage);
    }
    w.tag(3, 0);
    w.uint32(span.statusCode);
    w.end(at);
    w.tag(16, 5);
    w.fixed32(spanFlags(ctx.traceFlags, span.parentSpanId ? span.parentIsRemote : undefined));
  }

  /** Repeated `KeyValue` in field `field`, from a flat attribute list. */
  private list(w: ProtobufWriter, list: AttributeList, field: number): void {
    const items = list.items;
    for (let i = 0; i < items.length; i += 2) {
      w.tag(field, 2);
      this.keyValue(w, items[i] as string, items[i + 1]);
    }
  }

  /** The `resource` field of ResourceSpans and its `schema_url`. */
  resource(resource: { attributes?: Attributes; schemaUrl?: string }): OtlpFrame {
    const w = new ProtobufWriter(1024);
    w.tag(1, 2);
    const at = w.begin();
    if (resource.attributes) this.attributes(w, resource.attributes, 1);
    w.tag(2, 0);
    w.uint32(0);
    w.end(at);
    return { head: w.copy(), tail: schemaUrl(resource.schemaUrl) };
  }

  /** The `scope` field of ScopeSpans and its `schema_url`. */
  scope(scope: { name: string; version?: string; schemaUrl?: string; attributes?: Attributes; droppedAttributesCount?: number }): OtlpFrame {
    const w = new ProtobufWriter(256);
    w.tag(1, 2);
    const at = w.begin();
    w.tag(1, 2);
    w.string(scope.name);
    if (scope.version) {
      w.tag(2, 2);
      w.string(scope.version);
    }
    if (scope.attributes) this.attributes(w, scope.attributes, 3);
    if (scope.droppedAttributesCount) {
      w.tag(4, 0);
      w.uint32(scope.droppedAttributesCount);
    }
    w.end(at);
    return { head: w.copy(), tail: schemaUrl(scope.schemaUrl) };
  }

  /** Fields 1–3 of a Span and of a Link alike: trace id, span id, trace state. */
  private context(w: ProtobufWriter, ctx: { traceId: string; spanId: string; traceState?: { serialize(): string } }): void {
    w.tag(1, 2);
    w.hexBytes(ctx.traceId);
    w.tag(2, 2);
    w.hexBytes(ctx.spanId);
    const traceState = ctx.traceState?.serialize();
    if (traceState) {
      w.tag(3, 2);
      w.string(traceState);
    }
  }

  /** Repeated `KeyValue` in field `field`. */
  private attributes(w: ProtobufWriter, attributes: Attributes, field: number): void {
    for (const key in attributes) {
      if (!Object.prototype.hasOwnProperty.call(attributes, key)) continue;
      w.tag(field, 2);
      this.keyValue(w, key, attributes[key]);
    }
  }

  private keyValue(w: ProtobufWriter, key: string, value: AttributeValue): void {
    const at = w.begin();
    const encoded = this.keyField(key);
    if (encoded !== undefined) w.raw(encoded);
    else {
      w.tag(1, 2);
      w.string(key);
    }
    w.tag(2, 2);
    const valueAt = w.begin();
    this.anyValue(w, value);
    w.end(valueAt);
    w.end(at);
  }

  /** The encoded `key` field of `key`, kept for the next spans (up to MAX_ENCODED_KEYS keys). */
  private keyField(key: string): Uint8Array | undefined {
    let encoded = this.keys.get(key);
    if (encoded === undefined && this.keys.size < MAX_ENCODED_KEYS) {
      const w = new ProtobufWriter(key.length * 3 + 6);
      w.tag(1, 2);
      w.string(key);
      encoded = w.copy();
      this.keys.set(key, encoded);
    }
    return encoded;
  }

  /** The fields of an `AnyValue` (its `oneof`), as the SDK's `writeAnyValue` chooses them. */
  private anyValue(w: ProtobufWriter, value: AttributeValue): void {
    switch (typeof value) {
      case 'string':
        w.tag(1, 2);
        w.string(value);
        return;
      case 'boolean':
        w.tag(2, 0);
        w.uint32(value ? 1 : 0);
        return;
      case 'number':
        if (Number.isInteger(value) && value >= -(2 ** 63) && value < 2 ** 63) {
          w.tag(3, 0);
          w.int64(value);
        } else {
          w.tag(4, 1);
          w.double(value);
        }
        return;
    }
    if (value instanceof Uint8Array) {
      w.tag(7, 2);
      w.bytes(value);
    } else if (Array.isArray(value)) {
      w.tag(5, 2);
      const at = w.begin();
      for (const item of value) {
        w.tag(1, 2);
        const itemAt = w.begin();
        this.anyValue(w, item);
        w.end(itemAt);
      }
      w.end(at);
    } else if (typeof value === 'object' && value !== null) {
      w.tag(6, 2);
      const at = w.begin();
      const record = value as Record<string, unknown>;
      for (const key in record) {
        if (!Object.prototype.hasOwnProperty.call(record, key)) continue;
        w.tag(1, 2);
        this.keyValue(w, key, record[key]);
      }
      w.end(at);
    }
  }
}

/** `Span.flags`: the W3C trace flags, the "has is_remote" bit (0x100), and "is_remote" (0x200) for a remote parent. */
function spanFlags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | 0x100 | (isRemote ? 0x200 : 0);
}

function schemaUrl(url: string | undefined): Uint8Array {
  if (!url) return new Uint8Array(0);
  const w = new ProtobufWriter(url.length + 8);
  w.tag(3, 2);
  w.string(url);
  return w.copy();
}
