/**
 * What a video track entry needs (picture size, and for H.264 and AV1 the
 * CodecPrivate), read from the first key frame of a stream as the
 * depacketizers emit it: VP8/VP9 frames as is, H.264 as an AVC
 * length-prefixed sample carrying its SPS and PPS, AV1 as a temporal unit in
 * the low overhead format carrying its sequence header.
 */
import {
  Av1ObuType,
  buildAv1CodecConfiguration,
  parseAv1SequenceHeader,
  splitAv1TemporalUnit,
} from './av1-config.js';
import { buildAvcDecoderConfiguration, NalUnitType, parseH264Sps, splitAvcSample } from './avc-config.js';
import type { VideoCodecName } from './codec.js';
import { parseVp8FrameHeader, parseVp9FrameHeader } from './vpx-frame-header.js';

/** The codec-specific part of a video track entry. */
export interface VideoTrackInfo {
  codec: VideoCodecName;
  width: number;
  height: number;
  /** avcC for H.264, av1C for AV1, absent for VP8 and VP9. */
  codecPrivate?: Uint8Array;
}

/**
 * Describes the track from a key frame, or returns undefined when the frame
 * is not a key frame the codec can start from (no SPS/PPS, no sequence
 * header, bad header). Never throws.
 */
export function describeVideoKeyframe(codec: VideoCodecName, frame: Uint8Array): VideoTrackInfo | undefined {
  switch (codec) {
    case 'vp8': {
      const header = parseVp8FrameHeader(frame);
      if (!header?.keyframe) return undefined;
      return { codec, width: header.width, height: header.height };
    }
    case 'vp9': {
      const header = parseVp9FrameHeader(frame);
      if (!header?.keyframe) return undefined;
      return { codec, width: header.width, height: header.height };
    }
    case 'h264': {
      const units = splitAvcSample(frame);
      if (units === undefined) return undefined;
      const sps = units.filter((unit) => (unit[0] & 0x1f) === NalUnitType.Sps);
      const pps = units.filter((unit) => (unit[0] & 0x1f) === NalUnitType.Pps);
      const info = sps.length > 0 ? parseH264Sps(sps[0]) : undefined;
      if (info === undefined || pps.length === 0) return undefined;
      return {
        codec,
        width: info.width,
        height: info.height,
        codecPrivate: buildAvcDecoderConfiguration(sps.slice(0, 1), pps),
      };
    }
    case 'av1': {
      const obus = splitAv1TemporalUnit(frame);
      const header = obus?.find((obu) => obu.type === Av1ObuType.SequenceHeader);
      const sequence = header ? parseAv1SequenceHeader(header.payload) : undefined;
      if (header === undefined || sequence === undefined) return undefined;
      return {
        codec,
        width: sequence.maxFrameWidth,
        height: sequence.maxFrameHeight,
        codecPrivate: buildAv1CodecConfiguration(header),
      };
    }
  }
}
