/**
 * Reads one RFC 8285 header extension element straight from an RTP packet's
 * bytes, without decoding the packet: for hot paths that need a single value
 * (the MID of an unknown SSRC, an audio level) and would otherwise allocate
 * a decoded packet per datagram. See header-extension.ts for both layouts.
 */
import { isOneByteProfile, isTwoByteProfile } from './header-extension.js';
import { RTP_HEADER_SIZE } from './packet.js';

/**
 * The value of the first element with `id` (a view into `packet`), or
 * undefined when the packet has no such element or is malformed. Never throws.
 */
export function findRtpExtension(packet: Uint8Array, id: number): Uint8Array | undefined {
  if (packet.length < RTP_HEADER_SIZE || (packet[0] & 0x10) === 0) return undefined;
  const blockStart = RTP_HEADER_SIZE + 4 * (packet[0] & 0x0f);
  if (blockStart + 4 > packet.length) return undefined;
  const profile = (packet[blockStart] << 8) | packet[blockStart + 1];
  const dataStart = blockStart + 4;
  const dataEnd = dataStart + 4 * ((packet[blockStart + 2] << 8) | packet[blockStart + 3]);
  if (dataEnd > packet.length) return undefined;
  if (isOneByteProfile(profile)) {
    let offset = dataStart;
    while (offset < dataEnd) {
      const elementId = packet[offset] >> 4;
      if (elementId === 0) {
        offset++; // padding byte
        continue;
      }
      if (elementId === 15) return undefined; // RFC 8285 §4.2: stop parsing
      const length = (packet[offset] & 0x0f) + 1;
      const valueStart = offset + 1;
      if (valueStart + length > dataEnd) return undefined;
      if (elementId === id) return packet.subarray(valueStart, valueStart + length);
      offset = valueStart + length;
    }
    return undefined;
  }
  if (isTwoByteProfile(profile)) {
    let offset = dataStart;
    while (offset < dataEnd) {
      const elementId = packet[offset];
      if (elementId === 0) {
        offset++;
        continue;
      }
      if (offset + 2 > dataEnd) return undefined;
      const length = packet[offset + 1];
      const valueStart = offset + 2;
      if (valueStart + length > dataEnd) return undefined;
      if (elementId === id) return packet.subarray(valueStart, valueStart + length);
      offset = valueStart + length;
    }
  }
  return undefined;
}
