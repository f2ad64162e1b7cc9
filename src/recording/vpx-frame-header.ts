/**
 * The first bytes of VP8 and VP9 frames: enough to tell a key frame from
 * the bitstream itself and to read the picture size the Matroska Video
 * element needs. The RTP payload descriptors only hint at key frames (and
 * some senders leave VP9's P bit clear on every packet), so the
 * depacketizers confirm with these.
 *
 * VP8 frame tag (RFC 6386 §9.1), 3 bytes little-endian, then on key frames
 * a start code and the sizes (§9.1, §19.1):
 *
 *     bit 0      key_frame (0 = key frame)
 *     bits 1–3   version
 *     bit 4      show_frame
 *     bits 5–23  first_part_size
 *     key frames: 0x9d 0x01 0x2a, then width (14 bits) + scale (2),
 *                 height (14 bits) + scale (2), little-endian
 *
 * VP9 uncompressed header (VP9 Bitstream Specification v0.6 §6.2):
 *
 *     frame_marker f(2) = 2, profile_low_bit, profile_high_bit,
 *     [reserved_zero when profile 3], show_existing_frame
 *     [frame_to_show_map_idx f(3)], frame_type (0 = KEY_FRAME), show_frame,
 *     error_resilient_mode, then on key frames: sync code 0x49 0x83 0x42,
 *     color_config(), frame_width_minus_1 f(16), frame_height_minus_1 f(16)
 *
 * VP9 superframes (Annex B) pack several frames into one chunk, with an
 * index at the end: a marker byte 0b110xxyyy (xx = bytes per size - 1,
 * yyy = frames - 1), the sizes little-endian, and the marker byte again.
 */
import { BitReader } from './bit-reader.js';

/** What a VP8 frame tag says. */
export interface Vp8FrameHeader {
  keyframe: boolean;
  showFrame: boolean;
  firstPartitionSize: number;
  /** Picture width on key frames, 0 otherwise. */
  width: number;
  /** Picture height on key frames, 0 otherwise. */
  height: number;
}

/** Bytes of the VP8 frame tag, and of the tag plus key frame start code and sizes. */
const VP8_TAG_SIZE = 3;
const VP8_KEY_HEADER_SIZE = 10;

/**
 * Reads a VP8 frame's tag (and key frame header). Returns undefined when the
 * frame is too short, the key frame start code is wrong, a key frame has a
 * zero size, or the first partition overruns the frame. Never throws.
 */
export function parseVp8FrameHeader(frame: Uint8Array): Vp8FrameHeader | undefined {
  if (frame.length < VP8_TAG_SIZE) return undefined;
  const tag = frame[0] | (frame[1] << 8) | (frame[2] << 16);
  const keyframe = (tag & 1) === 0;
  const showFrame = ((tag >>> 4) & 1) === 1;
  const firstPartitionSize = tag >>> 5;
  if (!keyframe) {
    if (firstPartitionSize > frame.length - VP8_TAG_SIZE) return undefined;
    return { keyframe, showFrame, firstPartitionSize, width: 0, height: 0 };
  }
  if (frame.length < VP8_KEY_HEADER_SIZE) return undefined;
  if (frame[3] !== 0x9d || frame[4] !== 0x01 || frame[5] !== 0x2a) return undefined;
  const width = (frame[6] | (frame[7] << 8)) & 0x3fff;
  const height = (frame[8] | (frame[9] << 8)) & 0x3fff;
  if (width === 0 || height === 0 || firstPartitionSize > frame.length - VP8_KEY_HEADER_SIZE)
    return undefined;
  return { keyframe, showFrame, firstPartitionSize, width, height };
}

/** What the start of a VP9 uncompressed header says. */
export interface Vp9FrameHeader {
  profile: number;
  /** The frame only re-shows an earlier one (a 1- or 2-byte frame). */
  showExistingFrame: boolean;
  keyframe: boolean;
  showFrame: boolean;
  /** Picture width on key frames, 0 otherwise. */
  width: number;
  /** Picture height on key frames, 0 otherwise. */
  height: number;
}

/** color_space value for RGB (§7.2.2). */
const VP9_CS_RGB = 7;

/**
 * Reads the start of a VP9 frame's uncompressed header. Returns undefined
 * when the frame marker or key frame sync code is wrong or it is truncated.
 * Never throws.
 */
export function parseVp9FrameHeader(frame: Uint8Array): Vp9FrameHeader | undefined {
  const r = new BitReader(frame);
  if (r.bits(2) !== 2) return undefined;
  const low = r.bit();
  const profile = (r.bit() << 1) | low;
  if (profile === 3 && r.bit() !== 0) return undefined;
  const showExistingFrame = r.flag();
  if (showExistingFrame) {
    r.skip(3);
    if (r.overrun) return undefined;
    return { profile, showExistingFrame, keyframe: false, showFrame: true, width: 0, height: 0 };
  }
  const keyframe = r.bit() === 0;
  const showFrame = r.flag();
  r.skip(1); // error_resilient_mode
  if (!keyframe) {
    if (r.overrun) return undefined;
    return { profile, showExistingFrame, keyframe, showFrame, width: 0, height: 0 };
  }
  if (r.bits(8) !== 0x49 || r.bits(8) !== 0x83 || r.bits(8) !== 0x42) return undefined;
  // color_config() §6.2.2
  if (profile >= 2) r.skip(1); // ten_or_twelve_bit
  const colorSpace = r.bits(3);
  if (colorSpace !== VP9_CS_RGB) {
    r.skip(1); // color_range
    if (profile === 1 || profile === 3) r.skip(3); // subsampling_x, subsampling_y, reserved_zero
  } else if (profile === 1 || profile === 3) {
    r.skip(1); // reserved_zero
  }
  const width = r.bits(16) + 1;
  const height = r.bits(16) + 1;
  if (r.overrun) return undefined;
  return { profile, showExistingFrame, keyframe, showFrame, width, height };
}

/**
 * The sizes of the frames in a VP9 superframe (Annex B), or undefined when
 * the chunk has no valid superframe index (it is then a single frame).
 */
export function vp9SuperframeSizes(chunk: Uint8Array): number[] | undefined {
  if (chunk.length === 0) return undefined;
  const marker = chunk[chunk.length - 1];
  if ((marker & 0xe0) !== 0xc0) return undefined;
  const bytesPerSize = ((marker >>> 3) & 0x03) + 1;
  const frames = (marker & 0x07) + 1;
  const indexSize = 2 + bytesPerSize * frames;
  if (chunk.length < indexSize || chunk[chunk.length - indexSize] !== marker) return undefined;
  const sizes: number[] = [];
  let at = chunk.length - indexSize + 1;
  let total = 0;
  for (let i = 0; i < frames; i++) {
    let size = 0;
    for (let b = 0; b < bytesPerSize; b++) size += chunk[at++] * 2 ** (8 * b);
    sizes.push(size);
    total += size;
  }
  return total === chunk.length - indexSize ? sizes : undefined;
}

/** Packs frames into one VP9 superframe (Annex B); a single frame is returned as is. */
export function buildVp9Superframe(frames: readonly Uint8Array[]): Uint8Array {
  if (frames.length === 1) return frames[0];
  if (frames.length < 1 || frames.length > 8)
    throw new RangeError(`a superframe holds 1–8 frames, not ${frames.length}`);
  let largest = 0;
  let total = 0;
  for (const frame of frames) {
    largest = Math.max(largest, frame.length);
    total += frame.length;
  }
  const bytesPerSize = largest < 0x100 ? 1 : largest < 0x10000 ? 2 : largest < 0x1000000 ? 3 : 4;
  const marker = 0xc0 | ((bytesPerSize - 1) << 3) | (frames.length - 1);
  const indexSize = 2 + bytesPerSize * frames.length;
  const out = new Uint8Array(total + indexSize);
  let at = 0;
  for (const frame of frames) {
    out.set(frame, at);
    at += frame.length;
  }
  out[at++] = marker;
  for (const frame of frames) {
    let size = frame.length;
    for (let b = 0; b < bytesPerSize; b++) {
      out[at++] = size & 0xff;
      size >>>= 8;
    }
  }
  out[at] = marker;
  return out;
}
