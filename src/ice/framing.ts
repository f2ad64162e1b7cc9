/**
 * RFC 4571 §2 framing of RTP, RTCP, STUN and DTLS over a TCP connection, as
 * ICE-TCP uses it (RFC 6544 §3):
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   -----------------------------------------------------------------
 *   |             LENGTH            |  packet of LENGTH bytes ...   |
 *   -----------------------------------------------------------------
 *
 * LENGTH is big-endian and counts the packet only, so a frame carries 0 to
 * 65535 bytes. Framing cannot fail: every 16-bit value is a valid length.
 */

/** Size of the length prefix. */
export const FRAME_HEADER_SIZE = 2;
/** Largest packet one frame carries. */
export const MAX_FRAME_PAYLOAD = 0xffff;

/** Bytes a frame of the packet takes on the wire. */
export function frameSize(payloadLength: number): number {
  return FRAME_HEADER_SIZE + payloadLength;
}

/**
 * Writes the length prefix of a packet of `payloadLength` bytes at offset;
 * returns the bytes written. Throws a RangeError (programmer error) above 65535.
 */
export function encodeFrameHeaderTo(buf: Buffer, offset: number, payloadLength: number): number {
  if (!Number.isInteger(payloadLength) || payloadLength < 0 || payloadLength > MAX_FRAME_PAYLOAD) {
    throw new RangeError(`an RFC 4571 frame carries 0 to 65535 bytes, not ${payloadLength}`);
  }
  buf.writeUInt16BE(payloadLength, offset);
  return FRAME_HEADER_SIZE;
}

/**
 * Cuts a byte stream into RFC 4571 frames. Feed chunks with `push`; each
 * packet goes to `onFrame` as a view into the chunk when it lies within one
 * chunk, or as a buffer of its exact size when it spans chunks (the only
 * copy). A frame is valid only during the call: copy what is kept.
 */
export class Rfc4571Framer {
  private readonly onFrame: (packet: Buffer) => void;
  /** The first byte of a length prefix split across chunks, or -1. */
  private headByte = -1;
  /** A packet that spans chunks, filled up to `partialFilled`. */
  private partial: Buffer | undefined;
  private partialFilled = 0;
  private stopped = false;

  constructor(onFrame: (packet: Buffer) => void) {
    this.onFrame = onFrame;
  }

  /** Bytes held while waiting for the rest of a frame. */
  get buffered(): number {
    return (this.headByte >= 0 ? 1 : 0) + (this.partial ? FRAME_HEADER_SIZE + this.partialFilled : 0);
  }

  /** Stops framing: later pushes, and the rest of the current one, are ignored. */
  stop(): void {
    this.stopped = true;
    this.partial = undefined;
    this.headByte = -1;
  }

  /** Consumes a chunk, calling `onFrame` for every packet it completes. */
  push(chunk: Buffer): void {
    let offset = 0;
    if (this.stopped || chunk.length === 0) return;
    if (this.headByte >= 0) {
      const length = (this.headByte << 8) | chunk[0];
      this.headByte = -1;
      offset = 1;
      this.startPartial(length);
    }
    if (this.partial) {
      const partial = this.partial;
      const take = Math.min(partial.length - this.partialFilled, chunk.length - offset);
      chunk.copy(partial, this.partialFilled, offset, offset + take);
      this.partialFilled += take;
      offset += take;
      if (this.partialFilled < partial.length) return;
      this.partial = undefined;
      this.partialFilled = 0;
      this.onFrame(partial);
    }
    while (offset < chunk.length && !this.stopped) {
      if (chunk.length - offset < FRAME_HEADER_SIZE) {
        this.headByte = chunk[offset];
        return;
      }
      const length = chunk.readUInt16BE(offset);
      const start = offset + FRAME_HEADER_SIZE;
      const end = start + length;
      if (end <= chunk.length) {
        this.onFrame(chunk.subarray(start, end));
        offset = end;
        continue;
      }
      this.startPartial(length);
      chunk.copy(this.partial!, 0, start);
      this.partialFilled = chunk.length - start;
      return;
    }
  }

  /** Begins a packet of known length that continues in later chunks (an empty one is complete at once). */
  private startPartial(length: number): void {
    if (length === 0) {
      this.onFrame(Buffer.alloc(0));
      return;
    }
    this.partial = Buffer.allocUnsafe(length);
    this.partialFilled = 0;
  }
}
