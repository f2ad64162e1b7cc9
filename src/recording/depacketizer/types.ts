/**
 * Shared shapes of the depacketizers: what goes in (the RTP fields a payload
 * format needs, RFC 3550 §5.1), what comes out (a whole frame in the form
 * the Matroska track stores), and the per-codec interface the frame
 * assembler drives.
 */
import type { RecordingCodecName } from '../codec.js';

/** The fields of an RTP packet the depacketizers read; an RtpPacket from decodeRtpPacket has them all. */
export interface DepacketizerPacket {
  /** 16-bit sequence number. */
  sequenceNumber: number;
  /** 32-bit RTP timestamp: every packet of a frame carries the same one. */
  timestamp: number;
  /** RTP marker: the last packet of a video frame (access unit, temporal unit, picture). */
  marker: boolean;
  /** The payload, padding removed. Copied on push: the caller may reuse its buffer afterwards. */
  payload: Uint8Array;
}

/** A whole frame reassembled from RTP. */
export interface DepacketizedFrame {
  codec: RecordingCodecName;
  /**
   * The frame as Matroska stores it: an Opus packet, a VP8 frame, a VP9
   * frame or superframe, an AVC length-prefixed sample (4-byte lengths), or
   * an AV1 temporal unit of OBUs with size fields. Owned by the caller.
   */
  data: Uint8Array;
  /** The frame can be decoded on its own: every Opus packet, and video key frames. */
  keyframe: boolean;
  /** The 32-bit RTP timestamp of its packets. */
  rtpTimestamp: number;
  /** The RTP timestamp unwrapped past 2^32 (monotonic for a well-behaved sender), in the codec's clock. */
  timestamp: number;
  /** Sequence number of its first packet. */
  firstSequenceNumber: number;
  /** Sequence number of its last packet. */
  lastSequenceNumber: number;
  /** Packets it was built from. */
  packets: number;
}

/** What a payload depacketizer makes of one frame's payloads. */
export type AssembleResult =
  | { kind: 'frame'; data: Uint8Array; keyframe: boolean }
  /** Nothing to store, without harm: parameter sets or a sequence header alone, a DTX gap. */
  | { kind: 'empty' }
  /** The payloads do not form a valid frame: the frame is dropped and, for video, a key frame is needed. */
  | { kind: 'malformed'; reason: string };

/** The codec-specific half of depacketization; FrameAssembler does ordering, grouping and loss. */
export interface PayloadDepacketizer {
  readonly codec: RecordingCodecName;
  /** True when every packet is one whole frame (Opus, RFC 7587 §4.2). */
  readonly packetIsFrame: boolean;
  /**
   * True when the payload can only be the first packet of a frame, so that a
   * frame whose first packet follows a loss can still be known complete.
   */
  startsFrame(payload: Uint8Array): boolean;
  /** Builds a frame from the payloads of all its packets, in sequence order. Never throws. */
  assemble(payloads: readonly Uint8Array[]): AssembleResult;
}

/** Builds the malformed branch of an AssembleResult. */
export function malformed(reason: string): AssembleResult {
  return { kind: 'malformed', reason };
}

/** Concatenates views into one new buffer. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const part of parts) size += part.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
