/**
 * Framing of STUN and ChannelData messages on a byte stream (TURN over TCP
 * and TLS, RFC 8656 §3.1 and §12.5).
 *
 * A stream carries whole messages back to back, told apart by the first two
 * bits of each (RFC 7983):
 *
 *   00xxxxxx  STUN message: 20-byte header, length at bytes 2–3, whose
 *             attributes are 4-byte aligned, so the length is a multiple of 4
 *   01xxxxxx  ChannelData: 4-byte header, length at bytes 2–3, then the data
 *             padded to a multiple of 4 bytes
 *
 * Anything else cannot be resynchronised, so the framer stops and reports it:
 * the connection must be closed. Frames are views into the received chunk
 * while a message lies within one chunk; a message that spans chunks is
 * copied once into a buffer of its exact size.
 */

/** Largest frame: a ChannelData of 65535 bytes, padded (a STUN message is at most 20 + 65532). */
export const MAX_STREAM_FRAME = 4 + 65_536;

/** Why a stream could not be framed. */
export type StreamFrameError = 'ERR_TURN_STREAM_BAD_FRAME' | 'ERR_TURN_STREAM_BAD_LENGTH';

/**
 * Size of the frame that starts the buffer, 0 when its first 4 bytes have not
 * arrived, or an error when the bytes cannot start a frame.
 */
export function streamFrameSize(head: Buffer): number | StreamFrameError {
  if (head.length < 4) return 0;
  const first = head[0];
  const length = head.readUInt16BE(2);
  if (first < 0x40) {
    // STUN: the length counts the attributes, always a multiple of 4 (RFC 8489 §5).
    if ((length & 3) !== 0) return 'ERR_TURN_STREAM_BAD_LENGTH';
    return 20 + length;
  }
  if (first < 0x80) return (4 + length + 3) & ~3;
  return 'ERR_TURN_STREAM_BAD_FRAME';
}

/**
 * Splits a byte stream into frames. Feed chunks with `push`; each complete
 * frame goes to `onFrame`, valid only during that call (copy what is kept).
 */
export class StreamFramer {
  private pending: Buffer | undefined;
  private pendingLength = 0;
  private failed: StreamFrameError | undefined;
  private readonly onFrame: (frame: Buffer) => void;

  constructor(onFrame: (frame: Buffer) => void) {
    this.onFrame = onFrame;
  }

  /** Bytes held while waiting for the rest of a frame. */
  get buffered(): number {
    return this.pendingLength;
  }

  /**
   * Consumes a chunk. Returns undefined while the stream is well formed, or
   * the error that stopped it (later pushes are ignored and return it again).
   */
  push(chunk: Buffer): StreamFrameError | undefined {
    if (this.failed) return this.failed;
    let data = chunk;
    if (this.pending) {
      data = this.joinPending(chunk);
      if (data.length === 0) return undefined;
    }
    let offset = 0;
    while (offset < data.length) {
      const rest = data.subarray(offset);
      const size = streamFrameSize(rest);
      if (typeof size === 'string') {
        this.failed = size;
        this.pending = undefined;
        this.pendingLength = 0;
        return size;
      }
      if (size === 0 || size > rest.length) {
        this.keep(rest, size);
        return undefined;
      }
      this.onFrame(rest.subarray(0, size));
      offset += size;
    }
    return undefined;
  }

  /**
   * Appends to the partial frame held from earlier chunks. Returns the data to
   * frame from (the completed frame followed by the rest of the chunk), or an
   * empty buffer while the frame is still incomplete.
   */
  private joinPending(chunk: Buffer): Buffer {
    const pending = this.pending!;
    if (this.pendingLength < 4) {
      // The header itself was split: size the buffer once the length is known.
      const head = Buffer.concat([pending.subarray(0, this.pendingLength), chunk]);
      this.pending = undefined;
      this.pendingLength = 0;
      return head;
    }
    const take = Math.min(pending.length - this.pendingLength, chunk.length);
    chunk.copy(pending, this.pendingLength, 0, take);
    this.pendingLength += take;
    if (this.pendingLength < pending.length) return Buffer.alloc(0);
    this.pending = undefined;
    this.pendingLength = 0;
    this.onFrame(pending);
    return chunk.subarray(take);
  }

  /** Holds the start of a frame whose size is known (or not yet, when size is 0). */
  private keep(rest: Buffer, size: number): void {
    const buffer = Buffer.allocUnsafe(size === 0 ? 4 : size);
    rest.copy(buffer, 0);
    this.pending = buffer;
    this.pendingLength = rest.length;
  }
}
