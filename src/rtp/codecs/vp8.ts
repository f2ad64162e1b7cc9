/**
 * VP8 RTP payload descriptor (RFC 7741 §4.2) and payload header (§4.3).
 *
 *          0 1 2 3 4 5 6 7
 *         +-+-+-+-+-+-+-+-+
 *         |X|R|N|S|R| PID | (REQUIRED)
 *         +-+-+-+-+-+-+-+-+
 *    X:   |I|L|T|K| RSV   | (OPTIONAL)
 *         +-+-+-+-+-+-+-+-+
 *    I:   |M| PictureID   | (OPTIONAL)
 *         +-+-+-+-+-+-+-+-+
 *         |   PictureID   | (present when M = 1: 15-bit picture ID)
 *         +-+-+-+-+-+-+-+-+
 *    L:   |   TL0PICIDX   | (OPTIONAL)
 *         +-+-+-+-+-+-+-+-+
 *    T/K: |TID|Y| KEYIDX  | (OPTIONAL)
 *         +-+-+-+-+-+-+-+-+
 *
 * The VP8 payload header follows the descriptor in the first packet of a
 * partition 0 (S = 1, PID = 0):
 *
 *          0 1 2 3 4 5 6 7
 *         +-+-+-+-+-+-+-+-+
 *         |Size0|H| VER |P|
 *         +-+-+-+-+-+-+-+-+
 *
 * P = 0 marks a key frame (§4.3, RFC 6386 §9.1).
 */

/** What a VP8 payload descriptor says; -1 marks a field that is absent. */
export interface Vp8Descriptor {
  /** N: the frame may be discarded without affecting others. */
  nonReference: boolean;
  /** S: the packet starts a VP8 partition. */
  startOfPartition: boolean;
  /** PID: the partition index, 0–7. */
  partitionIndex: number;
  /** 7- or 15-bit picture ID, or -1. */
  pictureId: number;
  /** 7 or 15 when a picture ID is present, 0 otherwise. */
  pictureIdBits: number;
  /** Temporal layer zero picture index, or -1. */
  tl0PicIdx: number;
  /** Temporal layer index (TID), or -1. */
  temporalLayerId: number;
  /** Y: layer sync, meaningful only when temporalLayerId ≥ 0. */
  layerSync: boolean;
  /** Temporal key frame index (KEYIDX), or -1. */
  keyIndex: number;
  /** Bytes taken by the descriptor: the VP8 payload starts here. */
  descriptorLength: number;
  /** Offset of the picture ID field, or -1 (for in-place rewriting). */
  pictureIdOffset: number;
  /** Offset of the TL0PICIDX byte, or -1 (for in-place rewriting). */
  tl0PicIdxOffset: number;
  /** The packet starts a key frame. */
  keyframe: boolean;
}

/** A descriptor with every field absent, for callers that reuse one object per stream. */
export function createVp8Descriptor(): Vp8Descriptor {
  return {
    nonReference: false,
    startOfPartition: false,
    partitionIndex: 0,
    pictureId: -1,
    pictureIdBits: 0,
    tl0PicIdx: -1,
    temporalLayerId: -1,
    layerSync: false,
    keyIndex: -1,
    descriptorLength: 0,
    pictureIdOffset: -1,
    tl0PicIdxOffset: -1,
    keyframe: false,
  };
}

/**
 * Reads the payload descriptor into `out` (a new object when omitted) and
 * returns it, or undefined when the descriptor is truncated. Never throws;
 * allocates nothing when `out` is given.
 */
export function describeVp8(payload: Uint8Array, out?: Vp8Descriptor): Vp8Descriptor | undefined {
  const length = payload.length;
  if (length < 1) return undefined;
  const first = payload[0];
  let at = 1;
  let pictureId = -1;
  let pictureIdBits = 0;
  let pictureIdOffset = -1;
  let tl0PicIdx = -1;
  let tl0PicIdxOffset = -1;
  let temporalLayerId = -1;
  let layerSync = false;
  let keyIndex = -1;
  if (first & 0x80) {
    if (at >= length) return undefined;
    const extension = payload[at++];
    if (extension & 0x80) {
      if (at >= length) return undefined;
      pictureIdOffset = at;
      const high = payload[at++];
      if (high & 0x80) {
        if (at >= length) return undefined;
        pictureId = ((high & 0x7f) << 8) | payload[at++];
        pictureIdBits = 15;
      } else {
        pictureId = high;
        pictureIdBits = 7;
      }
    }
    if (extension & 0x40) {
      if (at >= length) return undefined;
      tl0PicIdxOffset = at;
      tl0PicIdx = payload[at++];
    }
    // §4.2: the TID/Y/KEYIDX byte is present when either T or K is set.
    if (extension & 0x30) {
      if (at >= length) return undefined;
      const layer = payload[at++];
      if (extension & 0x20) {
        temporalLayerId = layer >>> 6;
        layerSync = (layer & 0x20) !== 0;
      }
      if (extension & 0x10) keyIndex = layer & 0x1f;
    }
  }
  const startOfPartition = (first & 0x10) !== 0;
  const partitionIndex = first & 0x07;
  const keyframe = startOfPartition && partitionIndex === 0 && at < length && (payload[at] & 0x01) === 0;
  const result = out ?? createVp8Descriptor();
  result.nonReference = (first & 0x20) !== 0;
  result.startOfPartition = startOfPartition;
  result.partitionIndex = partitionIndex;
  result.pictureId = pictureId;
  result.pictureIdBits = pictureIdBits;
  result.tl0PicIdx = tl0PicIdx;
  result.temporalLayerId = temporalLayerId;
  result.layerSync = layerSync;
  result.keyIndex = keyIndex;
  result.descriptorLength = at;
  result.pictureIdOffset = pictureIdOffset;
  result.tl0PicIdxOffset = tl0PicIdxOffset;
  result.keyframe = keyframe;
  return result;
}

const scratch = createVp8Descriptor();

/** True when the packet starts a VP8 key frame (S = 1, PID = 0, P = 0). Never throws. */
export function isKeyframe(payload: Uint8Array): boolean {
  return describeVp8(payload, scratch)?.keyframe === true;
}

/**
 * Overwrites the picture ID and TL0PICIDX in place, as simulcast switching
 * needs to keep them continuous across layers. A value is written only when
 * its field is present (and ≥ 0 is passed); a picture ID is masked to the
 * field's width (7 or 15 bits), so the packet length never changes. The
 * descriptor must come from describeVp8 on this same payload.
 */
export function rewriteVp8Descriptor(
  payload: Uint8Array,
  descriptor: Vp8Descriptor,
  pictureId: number,
  tl0PicIdx: number,
): void {
  const pictureIdOffset = descriptor.pictureIdOffset;
  if (pictureId >= 0 && pictureIdOffset >= 0) {
    if (descriptor.pictureIdBits === 15) {
      payload[pictureIdOffset] = 0x80 | ((pictureId >>> 8) & 0x7f);
      payload[pictureIdOffset + 1] = pictureId & 0xff;
    } else {
      payload[pictureIdOffset] = pictureId & 0x7f;
    }
  }
  if (tl0PicIdx >= 0 && descriptor.tl0PicIdxOffset >= 0)
    payload[descriptor.tl0PicIdxOffset] = tl0PicIdx & 0xff;
}
