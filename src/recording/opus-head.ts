/**
 * The Opus identification header, "OpusHead" (RFC 7845 §5.1), which
 * Matroska and WebM store as the CodecPrivate of an A_OPUS track (Matroska
 * codec mappings, "A_OPUS"; the same 19 bytes Ogg Opus starts with).
 *
 *      0                   1                   2                   3
 *      0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |      'O'      |      'p'      |      'u'      |      's'      |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |      'H'      |      'e'      |      'a'      |      'd'      |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |  Version = 1  | Channel Count |           Pre-skip            |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |                     Input Sample Rate (Hz)                    |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |   Output Gain (Q7.8 in dB)    | Mapping Family|
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Multi-byte fields are little-endian. Mapping family 0 (mono or stereo, no
 * channel mapping table) is all WebRTC sends (RFC 7587 §7: "opus/48000/2"
 * with `stereo` in the fmtp), so more than two channels is refused.
 */
import { RecordingError } from './errors.js';

/** Bytes of an OpusHead with channel mapping family 0. */
export const OPUS_HEAD_SIZE = 19;

/** What goes into an OpusHead. */
export interface OpusHeadOptions {
  /** 1 or 2. */
  channels: number;
  /** Samples at 48 kHz to discard from the decoder output at the start (RFC 7845 §4.2); default 0. */
  preSkip?: number;
  /** The sample rate of the original input, for information only; default 48000. */
  inputSampleRate?: number;
  /** Output gain in Q7.8 dB; default 0. */
  outputGain?: number;
}

/** Builds the 19-byte OpusHead for mapping family 0. Throws ERR_RECORDING_INVALID_ARGUMENT on values out of range. */
export function buildOpusHead(options: OpusHeadOptions): Uint8Array {
  const { channels, preSkip = 0, inputSampleRate = 48_000, outputGain = 0 } = options;
  if (channels !== 1 && channels !== 2)
    throw new RecordingError(
      'ERR_RECORDING_UNSUPPORTED',
      `Opus with ${channels} channels needs a mapping table`,
    );
  if (!Number.isInteger(preSkip) || preSkip < 0 || preSkip > 0xffff)
    throw new RecordingError('ERR_RECORDING_INVALID_ARGUMENT', `pre-skip ${preSkip} is not a 16-bit count`);
  if (!Number.isInteger(inputSampleRate) || inputSampleRate < 0 || inputSampleRate > 0xffffffff)
    throw new RecordingError(
      'ERR_RECORDING_INVALID_ARGUMENT',
      `input sample rate ${inputSampleRate} is out of range`,
    );
  if (!Number.isInteger(outputGain) || outputGain < -0x8000 || outputGain > 0x7fff)
    throw new RecordingError(
      'ERR_RECORDING_INVALID_ARGUMENT',
      `output gain ${outputGain} is not a Q7.8 value`,
    );
  const out = new Uint8Array(OPUS_HEAD_SIZE);
  out.set(new TextEncoder().encode('OpusHead'), 0);
  const view = new DataView(out.buffer);
  out[8] = 1;
  out[9] = channels;
  view.setUint16(10, preSkip, true);
  view.setUint32(12, inputSampleRate, true);
  view.setInt16(16, outputGain, true);
  out[18] = 0;
  return out;
}
