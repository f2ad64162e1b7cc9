/**
 * ChannelData messages (RFC 8656 §12.4).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |         Channel Number        |            Length             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   /                       Application Data                        /
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Over UDP the datagram may carry padding after the data; over TCP/TLS the
 * message is padded to a multiple of 4 bytes (§12.5).
 */

/** Smallest and largest channel numbers RFC 8656 §12 lets a client bind; our client stays within them. */
export const MIN_CHANNEL = 0x4000;
export const MAX_CHANNEL = 0x4fff;
/**
 * Upper end of RFC 5766's older range (0x4000–0x7FFF), which coturn and its
 * `turnutils_uclient` still use. The server accepts it so that those clients
 * work; nothing else is sent in 0x50–0x7F on a TURN port (RFC 7983).
 */
export const MAX_LEGACY_CHANNEL = 0x7fff;
/** ChannelData header size. */
export const CHANNEL_DATA_HEADER_SIZE = 4;

/** True when the server accepts the number in ChannelBind and ChannelData (RFC 5766's range). */
export function isValidChannel(channel: number): boolean {
  return channel >= MIN_CHANNEL && channel <= MAX_LEGACY_CHANNEL;
}

/** True when the first byte marks a ChannelData message (0x40–0x7F, see MAX_LEGACY_CHANNEL). */
export function isChannelData(buf: Buffer): boolean {
  return buf.length >= CHANNEL_DATA_HEADER_SIZE && buf[0] >= 0x40 && buf[0] <= 0x7f;
}

/** A decoded ChannelData message; data is a view into the input. */
export interface ChannelData {
  channel: number;
  data: Buffer;
}

/**
 * Decodes a ChannelData datagram; undefined when the length field claims more
 * than the datagram holds or the channel is outside the bindable range.
 */
export function decodeChannelData(buf: Buffer): ChannelData | undefined {
  if (buf.length < CHANNEL_DATA_HEADER_SIZE) return undefined;
  const channel = buf.readUInt16BE(0);
  const length = buf.readUInt16BE(2);
  if (!isValidChannel(channel) || CHANNEL_DATA_HEADER_SIZE + length > buf.length) return undefined;
  return { channel, data: buf.subarray(CHANNEL_DATA_HEADER_SIZE, CHANNEL_DATA_HEADER_SIZE + length) };
}

/** Size of an encoded ChannelData message; `padded` for stream transports. */
export function channelDataSize(dataLength: number, padded: boolean): number {
  const size = CHANNEL_DATA_HEADER_SIZE + dataLength;
  return padded ? (size + 3) & ~3 : size;
}

/** Writes a ChannelData message at offset and returns the bytes written. */
export function encodeChannelDataTo(
  buf: Buffer,
  offset: number,
  channel: number,
  data: Uint8Array,
  padded: boolean,
): number {
  buf.writeUInt16BE(channel, offset);
  buf.writeUInt16BE(data.length, offset + 2);
  buf.set(data, offset + CHANNEL_DATA_HEADER_SIZE);
  const size = channelDataSize(data.length, padded);
  buf.fill(0, offset + CHANNEL_DATA_HEADER_SIZE + data.length, offset + size);
  return size;
}

/** Encodes a ChannelData message into a new buffer. */
export function encodeChannelData(channel: number, data: Uint8Array, padded = false): Buffer {
  const out = Buffer.allocUnsafe(channelDataSize(data.length, padded));
  encodeChannelDataTo(out, 0, channel, data, padded);
  return out;
}
