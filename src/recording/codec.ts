/**
 * The codecs recording knows, by the names used across this folder, and the
 * lookup from an SDP/RTP MIME type (RFC 6838 names as in "video/VP8").
 */

/** Video codecs the depacketizers and the writer handle. */
export type VideoCodecName = 'vp8' | 'vp9' | 'h264' | 'av1';
/** Audio codecs the depacketizers and the writer handle. */
export type AudioCodecName = 'opus';
/** Every codec recording handles. */
export type RecordingCodecName = VideoCodecName | AudioCodecName;

/** RTP clock rate of each codec: 90 kHz for video (RFC 6184, 7741, 9628, AV1 RTP §7.2.1), 48 kHz for Opus (RFC 7587 §4.1). */
export const RTP_CLOCK_RATE: Readonly<Record<RecordingCodecName, number>> = {
  vp8: 90_000,
  vp9: 90_000,
  h264: 90_000,
  av1: 90_000,
  opus: 48_000,
};

/** True for the video codecs. */
export function isVideoCodec(codec: RecordingCodecName): codec is VideoCodecName {
  return codec !== 'opus';
}

/** The codec for a MIME type such as "video/VP8" or "audio/opus" (case-insensitive), or undefined. */
export function recordingCodecFromMimeType(mimeType: string): RecordingCodecName | undefined {
  switch (mimeType.toLowerCase()) {
    case 'video/vp8':
      return 'vp8';
    case 'video/vp9':
      return 'vp9';
    case 'video/h264':
      return 'h264';
    case 'video/av1':
      return 'av1';
    case 'audio/opus':
      return 'opus';
    default:
      return undefined;
  }
}
