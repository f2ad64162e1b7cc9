/**
 * H.264 parameter sets for Matroska's V_MPEG4/ISO/AVC tracks: reading the
 * sequence parameter set (ITU-T H.264 §7.3.2.1.1) for the picture size and
 * profile, and building the AVCDecoderConfigurationRecord ("avcC",
 * ISO/IEC 14496-15 §5.3.3.1) that Matroska stores as CodecPrivate:
 *
 *     configurationVersion = 1          8 bits
 *     AVCProfileIndication              8 bits   (profile_idc of the SPS)
 *     profile_compatibility             8 bits   (constraint flags)
 *     AVCLevelIndication                8 bits   (level_idc)
 *     '111111'b | lengthSizeMinusOne    6 + 2    (3: 4-byte NAL lengths)
 *     '111'b | numOfSequenceParameterSets  3 + 5
 *     { 16-bit length, SPS NAL unit } × n
 *     numOfPictureParameterSets         8 bits
 *     { 16-bit length, PPS NAL unit } × n
 *     for profile_idc 100, 110, 122, 144:
 *       '111111'b | chroma_format  '11111'b | bit_depth_luma_minus8
 *       '11111'b | bit_depth_chroma_minus8  numOfSequenceParameterSetExt = 0
 *
 * Samples in such a track are "AVC length-prefixed": each NAL unit preceded
 * by its length in 4 bytes, big-endian (ISO/IEC 14496-15 §5.3.2).
 */
import { BitReader } from './bit-reader.js';
import { RecordingError } from './errors.js';

/** NAL unit types (ITU-T H.264 Table 7-1) that recording looks at. */
export const NalUnitType = {
  Slice: 1,
  Idr: 5,
  Sei: 6,
  Sps: 7,
  Pps: 8,
  AccessUnitDelimiter: 9,
} as const;

/** Bytes of the length before each NAL unit in the samples this module's users write. */
export const AVC_NAL_LENGTH_SIZE = 4;

/** What the writer needs from a sequence parameter set. */
export interface H264SpsInfo {
  profileIdc: number;
  /** constraint_set0..5 flags and the reserved bits: the byte after profile_idc. */
  constraintFlags: number;
  levelIdc: number;
  spsId: number;
  /** 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4. */
  chromaFormatIdc: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
  /** Displayed width after cropping, in pixels. */
  width: number;
  /** Displayed height after cropping, in pixels. */
  height: number;
}

/** Profiles whose SPS carries chroma_format_idc and bit depths (§7.3.2.1.1). */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);
/** Profiles whose avcC carries the chroma and bit depth extension (ISO/IEC 14496-15 §5.3.3.1.2). */
const AVCC_EXTENSION_PROFILES = new Set([100, 110, 122, 144]);
/** Largest picture dimension accepted from an SPS; level 6.2 tops out near 8192, so this only rejects garbage. */
const MAX_DIMENSION = 16_384;

/**
 * The RBSP of a NAL unit: the bytes after the header with every emulation
 * prevention byte (the 0x03 of 0x000003, §7.4.1) removed. Copies only when
 * there is one to remove.
 */
export function nalUnitToRbsp(nal: Uint8Array, headerLength = 1): Uint8Array {
  const body = nal.subarray(headerLength);
  let zeros = 0;
  let found = false;
  for (const byte of body) {
    if (zeros >= 2 && byte === 3) {
      found = true;
      break;
    }
    zeros = byte === 0 ? zeros + 1 : 0;
  }
  if (!found) return body;
  const out = new Uint8Array(body.length);
  let length = 0;
  zeros = 0;
  for (const byte of body) {
    if (zeros >= 2 && byte === 3) {
      zeros = 0;
      continue;
    }
    out[length++] = byte;
    zeros = byte === 0 ? zeros + 1 : 0;
  }
  return out.subarray(0, length);
}

function skipScalingList(reader: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) next = (last + reader.se() + 256) % 256;
    if (next !== 0) last = next;
    if (reader.overrun) return;
  }
}

/**
 * Reads a sequence parameter set NAL unit (header byte included). Returns
 * undefined when it is not an SPS, is truncated, or describes an impossible
 * picture. Never throws.
 */
export function parseH264Sps(nal: Uint8Array): H264SpsInfo | undefined {
  if (nal.length < 4 || (nal[0] & 0x1f) !== NalUnitType.Sps || (nal[0] & 0x80) !== 0) return undefined;
  const reader = new BitReader(nalUnitToRbsp(nal));
  const profileIdc = reader.bits(8);
  const constraintFlags = reader.bits(8);
  const levelIdc = reader.bits(8);
  const spsId = reader.ue();
  if (spsId > 31) return undefined;
  let chromaFormatIdc = 1;
  let separateColourPlane = false;
  let bitDepthLuma = 8;
  let bitDepthChroma = 8;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = reader.ue();
    if (chromaFormatIdc > 3) return undefined;
    if (chromaFormatIdc === 3) separateColourPlane = reader.flag();
    bitDepthLuma = reader.ue() + 8;
    bitDepthChroma = reader.ue() + 8;
    if (bitDepthLuma > 14 || bitDepthChroma > 14) return undefined;
    reader.skip(1); // qpprime_y_zero_transform_bypass_flag
    if (reader.flag()) {
      const lists = chromaFormatIdc === 3 ? 12 : 8;
      for (let i = 0; i < lists; i++) if (reader.flag()) skipScalingList(reader, i < 6 ? 16 : 64);
    }
  }
  reader.ue(); // log2_max_frame_num_minus4
  const pocType = reader.ue();
  if (pocType === 0) {
    reader.ue(); // log2_max_pic_order_cnt_lsb_minus4
  } else if (pocType === 1) {
    reader.skip(1); // delta_pic_order_always_zero_flag
    reader.se(); // offset_for_non_ref_pic
    reader.se(); // offset_for_top_to_bottom_field
    const cycle = reader.ue();
    if (cycle > 255) return undefined;
    for (let i = 0; i < cycle && !reader.overrun; i++) reader.se();
  } else if (pocType !== 2) {
    return undefined;
  }
  reader.ue(); // max_num_ref_frames
  reader.skip(1); // gaps_in_frame_num_value_allowed_flag
  const widthInMbs = reader.ue() + 1;
  const heightInMapUnits = reader.ue() + 1;
  const frameMbsOnly = reader.flag();
  if (!frameMbsOnly) reader.skip(1); // mb_adaptive_frame_field_flag
  reader.skip(1); // direct_8x8_inference_flag
  let cropLeft = 0;
  let cropRight = 0;
  let cropTop = 0;
  let cropBottom = 0;
  if (reader.flag()) {
    cropLeft = reader.ue();
    cropRight = reader.ue();
    cropTop = reader.ue();
    cropBottom = reader.ue();
  }
  if (reader.overrun) return undefined;
  // §7.4.2.1.1, frame_crop_*_offset: crop units depend on ChromaArrayType.
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const fieldFactor = frameMbsOnly ? 1 : 2;
  const cropUnitX = chromaArrayType === 0 || chromaArrayType === 3 ? 1 : 2;
  const cropUnitY = (chromaArrayType === 1 ? 2 : 1) * fieldFactor;
  const width = widthInMbs * 16 - cropUnitX * (cropLeft + cropRight);
  const height = heightInMapUnits * 16 * fieldFactor - cropUnitY * (cropTop + cropBottom);
  if (width <= 0 || height <= 0 || width > MAX_DIMENSION || height > MAX_DIMENSION) return undefined;
  return {
    profileIdc,
    constraintFlags,
    levelIdc,
    spsId,
    chromaFormatIdc,
    bitDepthLuma,
    bitDepthChroma,
    width,
    height,
  };
}

/**
 * Builds an AVCDecoderConfigurationRecord with 4-byte NAL lengths from SPS
 * and PPS NAL units (header bytes included). The first SPS gives profile and
 * level. Throws ERR_RECORDING_INVALID_ARGUMENT when there is no parsable
 * SPS, no PPS, or a parameter set longer than 65535 bytes.
 */
export function buildAvcDecoderConfiguration(
  spsUnits: readonly Uint8Array[],
  ppsUnits: readonly Uint8Array[],
): Uint8Array {
  const sps = spsUnits.length > 0 ? parseH264Sps(spsUnits[0]) : undefined;
  if (sps === undefined)
    throw new RecordingError('ERR_RECORDING_INVALID_ARGUMENT', 'avcC needs a valid sequence parameter set');
  if (ppsUnits.length === 0)
    throw new RecordingError('ERR_RECORDING_INVALID_ARGUMENT', 'avcC needs a picture parameter set');
  if (spsUnits.length > 31 || ppsUnits.length > 255)
    throw new RecordingError('ERR_RECORDING_INVALID_ARGUMENT', 'too many parameter sets for avcC');
  const extension = AVCC_EXTENSION_PROFILES.has(sps.profileIdc);
  let size = 7 + (extension ? 4 : 0);
  for (const unit of [...spsUnits, ...ppsUnits]) {
    if (unit.length === 0 || unit.length > 0xffff)
      throw new RecordingError('ERR_RECORDING_INVALID_ARGUMENT', `parameter set of ${unit.length} bytes`);
    size += 2 + unit.length;
  }
  const out = new Uint8Array(size);
  out[0] = 1;
  out[1] = sps.profileIdc;
  out[2] = sps.constraintFlags;
  out[3] = sps.levelIdc;
  out[4] = 0xfc | (AVC_NAL_LENGTH_SIZE - 1);
  out[5] = 0xe0 | spsUnits.length;
  let at = 6;
  const put = (unit: Uint8Array) => {
    out[at] = unit.length >>> 8;
    out[at + 1] = unit.length & 0xff;
    out.set(unit, at + 2);
    at += 2 + unit.length;
  };
  for (const unit of spsUnits) put(unit);
  out[at++] = ppsUnits.length;
  for (const unit of ppsUnits) put(unit);
  if (extension) {
    out[at++] = 0xfc | sps.chromaFormatIdc;
    out[at++] = 0xf8 | (sps.bitDepthLuma - 8);
    out[at++] = 0xf8 | (sps.bitDepthChroma - 8);
    out[at++] = 0;
  }
  return out;
}

/**
 * The NAL units (views) of an AVC length-prefixed sample with 4-byte
 * lengths, or undefined when a length overruns the sample or is zero.
 */
export function splitAvcSample(sample: Uint8Array): Uint8Array[] | undefined {
  const units: Uint8Array[] = [];
  let at = 0;
  while (at < sample.length) {
    if (at + AVC_NAL_LENGTH_SIZE > sample.length) return undefined;
    const length =
      ((sample[at] << 24) | (sample[at + 1] << 16) | (sample[at + 2] << 8) | sample[at + 3]) >>> 0;
    at += AVC_NAL_LENGTH_SIZE;
    if (length === 0 || at + length > sample.length) return undefined;
    units.push(sample.subarray(at, at + length));
    at += length;
  }
  return units;
}

/**
 * The parameter sets of an SDP `sprop-parameter-sets` value (RFC 6184
 * §8.1): comma-separated base64 NAL units. Entries that do not decode to a
 * NAL unit are skipped.
 */
export function parseSpropParameterSets(value: string): Uint8Array[] {
  const units: Uint8Array[] = [];
  for (const part of value.split(',')) {
    const text = part.trim();
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) continue;
    const unit = new Uint8Array(Buffer.from(text, 'base64'));
    if (unit.length > 0 && (unit[0] & 0x80) === 0) units.push(unit);
  }
  return units;
}
