/** OpusHead (RFC 7845 §5.1) as the A_OPUS CodecPrivate. */
import { describe, expect, it } from 'vitest';
import { RecordingError } from './errors.js';
import { buildOpusHead, OPUS_HEAD_SIZE } from './opus-head.js';

describe('buildOpusHead', () => {
  it('writes the 19 bytes of mapping family 0, little-endian', () => {
    const head = buildOpusHead({ channels: 2, preSkip: 312, inputSampleRate: 48_000 });
    expect(head.length).toBe(OPUS_HEAD_SIZE);
    // "OpusHead", version 1, 2 channels, pre-skip 312 (0x0138), 48000 (0x0000BB80), gain 0, family 0.
    expect(Buffer.from(head).toString('hex')).toBe('4f707573486561640102380180bb0000000000');
  });

  it('defaults to no pre-skip and 48 kHz', () => {
    expect(Buffer.from(buildOpusHead({ channels: 1 })).toString('hex')).toBe(
      '4f707573486561640101000080bb0000000000',
    );
  });

  it('refuses channel counts that need a mapping table and out-of-range fields', () => {
    expect(() => buildOpusHead({ channels: 6 })).toThrow(RecordingError);
    expect(() => buildOpusHead({ channels: 0 })).toThrow(RecordingError);
    expect(() => buildOpusHead({ channels: 2, preSkip: 70_000 })).toThrow(RecordingError);
    expect(() => buildOpusHead({ channels: 2, inputSampleRate: -1 })).toThrow(RecordingError);
  });
});
