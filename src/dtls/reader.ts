/**
 * A bounds-checked cursor over a received buffer. Reads past the end never
 * throw: they return zero or an empty view and latch `failed`, so a decoder
 * reads its fields straight through and checks once at the end.
 */

const EMPTY = Buffer.alloc(0);

/** Sequential big-endian reader returning views into the buffer. */
export class ByteReader {
  readonly #buf: Buffer;
  #offset: number;
  readonly #end: number;
  #failed = false;

  /** A reader over buf[offset, end). */
  constructor(buf: Buffer, offset = 0, end = buf.length) {
    this.#buf = buf;
    this.#offset = offset;
    this.#end = end;
  }

  /** True once any read ran past the end. */
  get failed(): boolean {
    return this.#failed;
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.#end - this.#offset;
  }

  /** Current offset in the underlying buffer. */
  get offset(): number {
    return this.#offset;
  }

  #take(length: number): number {
    if (this.#failed || length > this.#end - this.#offset) {
      this.#failed = true;
      return -1;
    }
    const at = this.#offset;
    this.#offset += length;
    return at;
  }

  /** One byte. */
  u8(): number {
    const at = this.#take(1);
    return at < 0 ? 0 : this.#buf[at];
  }

  /** A 16-bit integer. */
  u16(): number {
    const at = this.#take(2);
    return at < 0 ? 0 : this.#buf.readUInt16BE(at);
  }

  /** A 24-bit integer. */
  u24(): number {
    const at = this.#take(3);
    return at < 0 ? 0 : this.#buf.readUIntBE(at, 3);
  }

  /** A 48-bit integer (exact in a double). */
  u48(): number {
    const at = this.#take(6);
    return at < 0 ? 0 : this.#buf.readUIntBE(at, 6);
  }

  /** A view of the next `length` bytes. */
  bytes(length: number): Buffer {
    const at = this.#take(length);
    return at < 0 ? EMPTY : this.#buf.subarray(at, at + length);
  }

  /** A vector with a one-byte length prefix (opaque x<0..2^8-1>). */
  vector8(): Buffer {
    return this.bytes(this.u8());
  }

  /** A vector with a two-byte length prefix. */
  vector16(): Buffer {
    return this.bytes(this.u16());
  }

  /** A vector with a three-byte length prefix. */
  vector24(): Buffer {
    return this.bytes(this.u24());
  }

  /** The rest of the buffer as a view. */
  rest(): Buffer {
    return this.bytes(this.remaining);
  }
}

/** Encodes a uint16 list (cipher suites, groups, signature schemes) as a vector with a two-byte length. */
export function encodeU16List(values: readonly number[]): Buffer {
  const out = Buffer.allocUnsafe(2 + values.length * 2);
  out.writeUInt16BE(values.length * 2, 0);
  for (let i = 0; i < values.length; i++) out.writeUInt16BE(values[i], 2 + i * 2);
  return out;
}

/** Decodes a list of uint16 values from a vector body; undefined when the length is odd. */
export function decodeU16List(body: Buffer): number[] | undefined {
  if (body.length % 2 !== 0) return undefined;
  const values: number[] = [];
  for (let i = 0; i < body.length; i += 2) values.push(body.readUInt16BE(i));
  return values;
}

/** Prefixes `body` with its length in `prefixBytes` (1, 2 or 3) bytes. */
export function withLength(prefixBytes: 1 | 2 | 3, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(prefixBytes + body.length);
  out.writeUIntBE(body.length, 0, prefixBytes);
  body.copy(out, prefixBytes);
  return out;
}
