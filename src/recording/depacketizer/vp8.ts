/**
 * VP8 depacketizer (RFC 7741 §4). Each packet starts with the payload
 * descriptor (§4.2, read by describeVp8 in src/rtp/codecs/vp8.ts):
 *
 *          0 1 2 3 4 5 6 7
 *         +-+-+-+-+-+-+-+-+
 *         |X|R|N|S|R| PID | (REQUIRED)
 *         +-+-+-+-+-+-+-+-+
 *    X:   |I|L|T|K| RSV   | (OPTIONAL)
 *         +-+-+-+-+-+-+-+-+
 *    I:   |M| PictureID   | (OPTIONAL, 7 or 15 bits)
 *         +-+-+-+-+-+-+-+-+
 *    L:   |   TL0PICIDX   | (OPTIONAL)
 *         +-+-+-+-+-+-+-+-+
 *    T/K: |TID|Y| KEYIDX  | (OPTIONAL)
 *         +-+-+-+-+-+-+-+-+
 *
 * A frame is the concatenation of what follows the descriptor in each of
 * its packets (§4.5). Its first packet has S = 1 and PID = 0 (the start of
 * partition 0, which begins with the VP8 payload header of §4.3); partition
 * indices never go down within a frame. The frame is a key frame when the
 * payload header's P bit is 0, confirmed by the key frame start code
 * (RFC 6386 §9.1).
 */
import { describeVp8 } from '../../rtp/codecs/vp8.js';
import { parseVp8FrameHeader } from '../vpx-frame-header.js';
import { type AssembleResult, concatBytes, malformed, type PayloadDepacketizer } from './types.js';

/** Reassembles VP8 frames. */
export class Vp8Depacketizer implements PayloadDepacketizer {
  readonly codec = 'vp8' as const;
  readonly packetIsFrame = false;

  startsFrame(payload: Uint8Array): boolean {
    const descriptor = describeVp8(payload);
    return (
      descriptor?.startOfPartition === true &&
      descriptor.partitionIndex === 0 &&
      descriptor.descriptorLength < payload.length
    );
  }

  assemble(payloads: readonly Uint8Array[]): AssembleResult {
    const parts: Uint8Array[] = [];
    let partition = 0;
    for (let i = 0; i < payloads.length; i++) {
      const payload = payloads[i];
      const descriptor = describeVp8(payload);
      if (descriptor === undefined) return malformed('truncated payload descriptor');
      if (descriptor.descriptorLength >= payload.length) return malformed('packet without VP8 data');
      if (i === 0 && !(descriptor.startOfPartition && descriptor.partitionIndex === 0))
        return malformed('first packet does not start partition 0');
      if (descriptor.partitionIndex < partition) return malformed('partition index goes down');
      partition = descriptor.partitionIndex;
      parts.push(payload.subarray(descriptor.descriptorLength));
    }
    if (parts.length === 0) return malformed('no packets');
    const data = concatBytes(parts);
    const header = parseVp8FrameHeader(data);
    if (header === undefined) return malformed('invalid VP8 frame header');
    return { kind: 'frame', data, keyframe: header.keyframe };
  }
}
