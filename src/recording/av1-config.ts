/**
 * AV1 bitstream pieces for recording: OBU headers and leb128 sizes (AV1
 * bitstream specification §4.10.5, §5.3), the sequence header (§5.5), the
 * first bits of a frame header (§5.9.2, to tell key frames), and the
 * AV1CodecConfigurationRecord ("av1C", AV1 Codec ISO Media File Format
 * Binding §2.3.3) that Matroska stores as the CodecPrivate of a V_AV1 track
 * (Matroska AV1 codec mapping §2 "CodecPrivate").
 *
 * OBU header (§5.3.2), then the optional extension (§5.3.3) and size:
 *
 *     0 1 2 3 4 5 6 7
 *    +-+-+-+-+-+-+-+-+
 *    |F| type  |X|S|R|        X: extension present, S: obu_size present
 *    +-+-+-+-+-+-+-+-+
 *    | TID |SID| RES |        (when X = 1)
 *    +-+-+-+-+-+-+-+-+
 *    | obu_size leb128 ...    (when S = 1)
 *
 * av1C:
 *
 *    |1| version = 1 | seq_profile(3) seq_level_idx_0(5) |
 *    |tier|hbd|12bit|mono|ss_x|ss_y|chroma_sample_position(2)|
 *    |000| initial_presentation_delay_present(1) | delay - 1 (4) or 0 |
 *    | configOBUs: the sequence header OBU, with obu_size          |
 *
 * Matroska and WebM keep AV1 in the "low overhead bitstream format" (§5.2):
 * every OBU with its obu_size field, temporal delimiters removed.
 */
import { BitReader } from './bit-reader.js';
import { RecordingError } from './errors.js';

/** OBU types (§6.2.2). */
export const Av1ObuType = {
  SequenceHeader: 1,
  TemporalDelimiter: 2,
  FrameHeader: 3,
  TileGroup: 4,
  Metadata: 5,
  Frame: 6,
  RedundantFrameHeader: 7,
  TileList: 8,
  Padding: 15,
} as const;

/** Largest value a conforming leb128 may hold (§4.10.5). */
const LEB128_MAX = 0xffffffff;

/** A decoded leb128 number. */
export interface Leb128 {
  value: number;
  /** Bytes it took, 1–8. */
  length: number;
}

/** Reads a leb128 (§4.10.5) at `offset`; undefined when truncated, longer than 8 bytes or above 2^32 - 1. */
export function decodeLeb128(buf: Uint8Array, offset: number): Leb128 | undefined {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    if (offset + i >= buf.length) return undefined;
    const byte = buf[offset + i];
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) return value > LEB128_MAX ? undefined : { value, length: i + 1 };
  }
  return undefined;
}

/** Bytes of the shortest leb128 for `value`. */
export function leb128Size(value: number): number {
  let length = 1;
  while (value >= 2 ** (7 * length)) length++;
  return length;
}

/** Writes the shortest leb128 for `value`; returns the offset after it. */
export function encodeLeb128To(buf: Uint8Array, offset: number, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > LEB128_MAX)
    throw new RecordingError('ERR_RECORDING_INVALID_ARGUMENT', `${value} is not a leb128 value`);
  let rest = value;
  let at = offset;
  do {
    const low = rest % 128;
    rest = Math.floor(rest / 128);
    buf[at++] = rest > 0 ? low | 0x80 : low;
  } while (rest > 0);
  return at;
}

/** One OBU; header and payload are views into the buffer it was read from. */
export interface Av1Obu {
  type: number;
  /** temporal_id from the extension, 0 without one. */
  temporalId: number;
  /** spatial_id from the extension, 0 without one. */
  spatialId: number;
  /** The 1 or 2 header bytes as read (the S bit may be either value). */
  header: Uint8Array;
  /** The OBU payload, without header or size field. */
  payload: Uint8Array;
}

/**
 * Reads one OBU starting at `offset`. With obu_size present the OBU ends
 * where it says; without, it runs to `end` (as the last OBU element of an
 * RTP packet does). Returns the OBU and the offset after it, or undefined
 * when the forbidden bit is set or a size overruns.
 */
export function readAv1Obu(
  buf: Uint8Array,
  offset: number,
  end = buf.length,
): { obu: Av1Obu; next: number } | undefined {
  if (offset >= end) return undefined;
  const first = buf[offset];
  if (first & 0x80) return undefined;
  const hasExtension = (first & 0x04) !== 0;
  const hasSize = (first & 0x02) !== 0;
  const headerLength = hasExtension ? 2 : 1;
  if (offset + headerLength > end) return undefined;
  let at = offset + headerLength;
  let payloadEnd = end;
  if (hasSize) {
    const size = decodeLeb128(buf.subarray(0, end), at);
    if (size === undefined) return undefined;
    at += size.length;
    payloadEnd = at + size.value;
    if (payloadEnd > end) return undefined;
  }
  const extension = hasExtension ? buf[offset + 1] : 0;
  return {
    obu: {
      type: (first >>> 3) & 0x0f,
      temporalId: extension >>> 5,
      spatialId: (extension >>> 3) & 0x03,
      header: buf.subarray(offset, offset + headerLength),
      payload: buf.subarray(at, payloadEnd),
    },
    next: payloadEnd,
  };
}

/**
 * The OBUs of a temporal unit in the low overhead bitstream format (§5.2),
 * or undefined when one is malformed. Only the last OBU may lack obu_size.
 */
export function splitAv1TemporalUnit(data: Uint8Array): Av1Obu[] | undefined {
  const obus: Av1Obu[] = [];
  let at = 0;
  while (at < data.length) {
    const read = readAv1Obu(data, at);
    if (read === undefined) return undefined;
    obus.push(read.obu);
    at = read.next;
  }
  return obus;
}

/** Bytes of an OBU written with its obu_size field. */
export function av1ObuSize(obu: Av1Obu): number {
  return obu.header.length + leb128Size(obu.payload.length) + obu.payload.length;
}

/** Writes an OBU with obu_has_size_field = 1; returns the offset after it. */
export function encodeAv1ObuTo(buf: Uint8Array, offset: number, obu: Av1Obu): number {
  buf[offset] = obu.header[0] | 0x02;
  if (obu.header.length > 1) buf[offset + 1] = obu.header[1];
  const at = encodeLeb128To(buf, offset + obu.header.length, obu.payload.length);
  buf.set(obu.payload, at);
  return at + obu.payload.length;
}

/** What recording needs from a sequence header OBU (§5.5, semantics §6.4). */
export interface Av1SequenceHeader {
  seqProfile: number;
  stillPicture: boolean;
  reducedStillPictureHeader: boolean;
  /** seq_level_idx[0]: the level of the first operating point. */
  seqLevelIdx0: number;
  /** seq_tier[0]. */
  seqTier0: number;
  /** initial_display_delay_minus_1[0], or -1 when absent. */
  initialDisplayDelayMinus1: number;
  /** frame_id_numbers_present_flag: frame headers then carry frame ids. */
  frameIdNumbersPresent: boolean;
  maxFrameWidth: number;
  maxFrameHeight: number;
  highBitdepth: boolean;
  twelveBit: boolean;
  monochrome: boolean;
  chromaSubsamplingX: number;
  chromaSubsamplingY: number;
  chromaSamplePosition: number;
}

/**
 * Reads a sequence header OBU payload (§5.5.1). Returns undefined when it
 * is truncated or uses a reserved profile. Never throws.
 */
export function parseAv1SequenceHeader(payload: Uint8Array): Av1SequenceHeader | undefined {
  const r = new BitReader(payload);
  const seqProfile = r.bits(3);
  if (seqProfile > 2) return undefined;
  const stillPicture = r.flag();
  const reducedStillPictureHeader = r.flag();
  let seqLevelIdx0 = 0;
  let seqTier0 = 0;
  let initialDisplayDelayMinus1 = -1;
  if (reducedStillPictureHeader) {
    seqLevelIdx0 = r.bits(5);
  } else {
    let decoderModelInfoPresent = false;
    let bufferDelayLength = 0;
    if (r.flag()) {
      // timing_info() §5.5.3
      r.skip(64); // num_units_in_display_tick, time_scale
      if (r.flag()) r.uvlc(); // equal_picture_interval → num_ticks_per_picture_minus_1
      decoderModelInfoPresent = r.flag();
      if (decoderModelInfoPresent) {
        // decoder_model_info() §5.5.4
        bufferDelayLength = r.bits(5) + 1;
        r.skip(32); // num_units_in_decoding_tick
        r.skip(10); // buffer_removal_time_length_minus_1, frame_presentation_time_length_minus_1
      }
    }
    const initialDisplayDelayPresent = r.flag();
    const operatingPoints = r.bits(5) + 1;
    for (let i = 0; i < operatingPoints; i++) {
      r.skip(12); // operating_point_idc[i]
      const level = r.bits(5);
      const tier = level > 7 ? r.bit() : 0;
      if (decoderModelInfoPresent && r.flag()) {
        // operating_parameters_info(i) §5.5.5
        r.skip(2 * bufferDelayLength + 1);
      }
      let delay = -1;
      if (initialDisplayDelayPresent && r.flag()) delay = r.bits(4);
      if (i === 0) {
        seqLevelIdx0 = level;
        seqTier0 = tier;
        initialDisplayDelayMinus1 = delay;
      }
      if (r.overrun) return undefined;
    }
  }
  const widthBits = r.bits(4) + 1;
  const heightBits = r.bits(4) + 1;
  const maxFrameWidth = r.bits(widthBits) + 1;
  const maxFrameHeight = r.bits(heightBits) + 1;
  const frameIdNumbersPresent = reducedStillPictureHeader ? false : r.flag();
  if (frameIdNumbersPresent) r.skip(7); // delta_frame_id_length_minus_2, additional_frame_id_length_minus_1
  r.skip(3); // use_128x128_superblock, enable_filter_intra, enable_intra_edge_filter
  if (!reducedStillPictureHeader) {
    r.skip(4); // enable_interintra_compound, enable_masked_compound, enable_warped_motion, enable_dual_filter
    const enableOrderHint = r.flag();
    if (enableOrderHint) r.skip(2); // enable_jnt_comp, enable_ref_frame_mvs
    // seq_choose_screen_content_tools → seq_force_screen_content_tools = SELECT_SCREEN_CONTENT_TOOLS (2)
    const forceScreenContentTools = r.flag() ? 2 : r.bit();
    if (forceScreenContentTools > 0 && !r.flag()) r.skip(1); // seq_choose_integer_mv, seq_force_integer_mv
    if (enableOrderHint) r.skip(3); // order_hint_bits_minus_1
  }
  r.skip(3); // enable_superres, enable_cdef, enable_restoration
  // color_config() §5.5.2
  const highBitdepth = r.flag();
  const twelveBit = seqProfile === 2 && highBitdepth ? r.flag() : false;
  const monochrome = seqProfile === 1 ? false : r.flag();
  let colorPrimaries = 2;
  let transferCharacteristics = 2;
  let matrixCoefficients = 2;
  if (r.flag()) {
    colorPrimaries = r.bits(8);
    transferCharacteristics = r.bits(8);
    matrixCoefficients = r.bits(8);
  }
  let chromaSubsamplingX = 1;
  let chromaSubsamplingY = 1;
  let chromaSamplePosition = 0;
  if (monochrome) {
    r.skip(1); // color_range
  } else if (colorPrimaries === 1 && transferCharacteristics === 13 && matrixCoefficients === 0) {
    // sRGB: 4:4:4, full range, no color_range bit.
    chromaSubsamplingX = 0;
    chromaSubsamplingY = 0;
  } else {
    r.skip(1); // color_range
    if (seqProfile === 0) {
      chromaSubsamplingX = 1;
      chromaSubsamplingY = 1;
    } else if (seqProfile === 1) {
      chromaSubsamplingX = 0;
      chromaSubsamplingY = 0;
    } else if (twelveBit) {
      chromaSubsamplingX = r.bit();
      chromaSubsamplingY = chromaSubsamplingX ? r.bit() : 0;
    } else {
      chromaSubsamplingX = 1;
      chromaSubsamplingY = 0;
    }
    if (chromaSubsamplingX && chromaSubsamplingY) chromaSamplePosition = r.bits(2);
  }
  if (!monochrome) r.skip(1); // separate_uv_delta_q
  r.skip(1); // film_grain_params_present
  if (r.overrun) return undefined;
  return {
    seqProfile,
    stillPicture,
    reducedStillPictureHeader,
    seqLevelIdx0,
    seqTier0,
    initialDisplayDelayMinus1,
    frameIdNumbersPresent,
    maxFrameWidth,
    maxFrameHeight,
    highBitdepth,
    twelveBit,
    monochrome,
    chromaSubsamplingX,
    chromaSubsamplingY,
    chromaSamplePosition,
  };
}

/**
 * True when a frame header (the payload of an OBU_FRAME_HEADER or the start
 * of an OBU_FRAME) starts a shown key frame (§5.9.2: show_existing_frame = 0,
 * frame_type = KEY_FRAME, show_frame = 1), or the stream uses the reduced
 * still picture header, where every frame is one.
 */
export function isAv1KeyFrameHeader(payload: Uint8Array, sequence: Av1SequenceHeader): boolean {
  if (sequence.reducedStillPictureHeader) return true;
  const r = new BitReader(payload);
  const showExistingFrame = r.flag();
  const frameType = r.bits(2);
  const showFrame = r.flag();
  return !r.overrun && !showExistingFrame && frameType === 0 && showFrame;
}

/** Builds av1C (with the sequence header OBU as configOBUs) from a sequence header OBU. */
export function buildAv1CodecConfiguration(sequenceHeaderObu: Av1Obu): Uint8Array {
  if (sequenceHeaderObu.type !== Av1ObuType.SequenceHeader)
    throw new RecordingError('ERR_RECORDING_INVALID_ARGUMENT', 'av1C needs a sequence header OBU');
  const sequence = parseAv1SequenceHeader(sequenceHeaderObu.payload);
  if (sequence === undefined)
    throw new RecordingError('ERR_RECORDING_INVALID_ARGUMENT', 'the sequence header OBU does not parse');
  const out = new Uint8Array(4 + av1ObuSize(sequenceHeaderObu));
  out[0] = 0x81; // marker = 1, version = 1
  out[1] = (sequence.seqProfile << 5) | sequence.seqLevelIdx0;
  out[2] =
    (sequence.seqTier0 << 7) |
    (Number(sequence.highBitdepth) << 6) |
    (Number(sequence.twelveBit) << 5) |
    (Number(sequence.monochrome) << 4) |
    (sequence.chromaSubsamplingX << 3) |
    (sequence.chromaSubsamplingY << 2) |
    sequence.chromaSamplePosition;
  out[3] = sequence.initialDisplayDelayMinus1 >= 0 ? 0x10 | sequence.initialDisplayDelayMinus1 : 0;
  encodeAv1ObuTo(out, 4, sequenceHeaderObu);
  return out;
}
