/**
 * A minimal protobuf wire-format writer over one growable Node `Buffer` of its own (`allocUnsafeSlow`:
 * not a slice of Node's pool, so its `ArrayBuffer` can be transferred to a worker thread as is).
 *
 * Nested messages reserve one byte for their length and shift the content when it needs more
 * (most attributes, events and the status are under 128 bytes).
 *
 * @example
 * const w = new ProtobufWriter(1024);
 * const at = w.begin(); w.tag(1, 2); w.string('key'); w.end(at);
 */
export class ProtobufWriter {
  buffer: Buffer;
  pos = 0;

  constructor(capacity: number) {
    this.buffer = Buffer.allocUnsafeSlow(Math.max(64, capacity));
  }

  /** Hands the written bytes' buffer over (its first `pos` bytes) and starts a new one of `capacity`. */
  take(capacity: number, reuse?: Buffer): Buffer {
    const full = this.buffer;
    this.buffer = reuse && reuse.length >= capacity ? reuse : Buffer.allocUnsafeSlow(Math.max(64, capacity));
    this.pos = 0;
    return full;
  }

  /** A copy of the bytes written so far. */
  copy(): Buffer {
    return Buffer.from(this.buffer.subarray(0, this.pos));
  }

  ensure(bytes: number): void {
    if (this.pos + bytes > this.buffer.length) this.grow(bytes);
  }

  private grow(bytes: number): void {
    let size = this.buffer.length * 2;
    while (size < this.pos + bytes) size *= 2;
    const next = Buffer.allocUnsafeSlow(size);
    this.buffer.copy(next, 0, 0, this.pos);
    this.buffer = next;
  }

  /** A field key: field number and wire type (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32). */
  tag(field: number, wireType: number): void {
    this.uint32((field << 3) | wireType);
  }

  /** An unsigned varint below 2^32. */
  uint32(value: number): void {
    this.ensure(5);
    const b = this.buffer;
    let v = value >>> 0;
    while (v > 127) {
      b[this.pos++] = (v & 127) | 128;
      v >>>= 7;
    }
    b[this.pos++] = v;
  }

  /** An int64 varint from a JS integer (negative ones in two's complement, ten bytes), as the SDK writes it. */
  int64(value: number): void {
    if (value >= 0 && value <= 0xffffffff) return this.uint32(value);
    this.ensure(10);
    const abs = Math.abs(value);
    let low = abs >>> 0;
    let high = (abs / 4294967296) >>> 0;
    if (value < 0) {
      low = ~low >>> 0;
      high = ~high >>> 0;
      low = (low + 1) >>> 0;
      if (low === 0) high = (high + 1) >>> 0;
    }
    const b = this.buffer;
    while (high > 0 || low > 127) {
      b[this.pos++] = (low & 127) | 128;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    b[this.pos++] = low & 127;
  }

  fixed32(value: number): void {
    this.ensure(4);
    this.buffer.writeUInt32LE(value >>> 0, this.pos);
    this.pos += 4;
  }

  fixed64(low: number, high: number): void {
    this.ensure(8);
    this.buffer.writeUInt32LE(low >>> 0, this.pos);
    this.buffer.writeUInt32LE(high >>> 0, this.pos + 4);
    this.pos += 8;
  }

  /**
   * An `HrTime` (`[seconds, nanoseconds]`) as fixed64 nanoseconds since the epoch, exactly (the product
   * is above 2^53, so it is summed in 32-bit halves, as the SDK's serializer does).
   */
  hrTime(time: readonly [number, number]): void {
    this.time(time[0], time[1]);
  }

  /** Epoch seconds and nanoseconds as fixed64 nanoseconds, as {@link hrTime} (no array needed). */
  time(seconds: number, nanos: number): void {
    const lower16 = (seconds & 0xffff) * 1e9;
    const upper = ((seconds / 0x10000) >>> 0) * 1e9;
    const low = (lower16 >>> 0) + (((upper & 0xffff) * 0x10000) >>> 0) + nanos;
    const high = Math.floor(lower16 / 4294967296) + ((upper / 0x10000) >>> 0) + Math.floor(low / 4294967296);
    this.fixed64(low >>> 0, high >>> 0);
  }

  double(value: number): void {
    this.ensure(8);
    this.buffer.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }

  /** A length-delimited UTF-8 string. */
  string(text: string): void {
    const length = text.length;
    if (length < 128) {
      // One pass for the usual short ASCII string: its length is one byte, known up front.
      this.ensure(length + 1);
      const b = this.buffer;
      const at = this.pos;
      let p = at + 1;
      for (let i = 0; i < length; i++) {
        const c = text.charCodeAt(i);
        if (c > 127) return this.utf8(text);
        b[p++] = c;
      }
      b[at] = length;
      this.pos = p;
      return;
    }
    this.utf8(text);
  }

  private utf8(text: string): void {
    const bytes = Buffer.byteLength(text, 'utf8');
    this.uint32(bytes);
    this.ensure(bytes);
    this.pos += this.buffer.write(text, this.pos, bytes, 'utf8');
  }

  /** Bytes already encoded (a field kept from before), as they are. */
  raw(bytes: Uint8Array): void {
    const length = bytes.length;
    this.ensure(length);
    const b = this.buffer;
    let p = this.pos;
    // A loop, not set(): these are a few dozen bytes, less than the cost of the native call.
    for (let i = 0; i < length; i++) b[p++] = bytes[i];
    this.pos = p;
  }

  /** Length-delimited bytes. */
  bytes(value: Uint8Array): void {
    this.uint32(value.length);
    this.ensure(value.length);
    this.buffer.set(value, this.pos);
    this.pos += value.length;
  }

  /** A hex id (trace or span id) as length-delimited bytes, decoded as the SDK's `hexToBinary` does. */
  hexBytes(hex: string): void {
    const length = hex.length >> 1;
    this.uint32(length);
    this.ensure(length);
    const b = this.buffer;
    let p = this.pos;
    for (let i = 0; i < 2 * length; i += 2) b[p++] = (nibble(hex.charCodeAt(i)) << 4) | nibble(hex.charCodeAt(i + 1));
    this.pos = p;
  }

  /** Starts a nested message; returns the position to give {@link end}. */
  begin(): number {
    this.ensure(1);
    return this.pos++;
  }

  /** Writes the length of the nested message started at `at`, shifting it if the length takes more than a byte. */
  end(at: number): void {
    const length = this.pos - at - 1;
    if (length < 128) {
      this.buffer[at] = length;
      return;
    }
    const size = varintSize(length);
    this.ensure(size - 1);
    this.buffer.copyWithin(at + size, at + 1, this.pos);
    this.pos += size - 1;
    let v = length;
    let p = at;
    while (v > 127) {
      this.buffer[p++] = (v & 127) | 128;
      v >>>= 7;
    }
    this.buffer[p] = v;
  }
}

/** Bytes of an unsigned varint below 2^32. */
export function varintSize(value: number): number {
  return value < 128 ? 1 : value < 16384 ? 2 : value < 2097152 ? 3 : value < 268435456 ? 4 : 5;
}

function nibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  return code - 55;
}
