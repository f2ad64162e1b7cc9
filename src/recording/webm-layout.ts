/**
 * The parts of the file layout that WebmWriter writes and repairWebm
 * rewrites: the SeekHead kept in a fixed space at the start of the Segment
 * (RFC 9559 §5.1.1, padded with an EBML Void so it can be rewritten in
 * place), the Duration that replaces a Void of the same size in Info
 * (§5.1.2), the Cues (§5.1.5) and the 8-byte Segment size.
 */
import {
  ebmlBinary,
  ebmlFloat,
  ebmlIdSize,
  ebmlMaster,
  ebmlUint,
  ebmlVoid,
  encodeEbmlIdTo,
  encodeVintTo,
} from './ebml.js';
import { MatroskaId } from './matroska-ids.js';

/** Bytes kept at the start of the Segment for the SeekHead; three Seek entries take 68. */
export const SEEK_HEAD_SPACE = 96;
/** Bytes of the Duration element that replaces a Void in Info: ID (2) + size (1) + binary64 (8). */
export const DURATION_ELEMENT_SIZE = 11;

/** A SeekHead entry: a top-level element and its position relative to the Segment's data. */
export interface SeekEntry {
  id: number;
  position: number;
}

/** A cue: a Cluster starting with a key frame of `track` at `timeMs`. */
export interface CueEntry {
  timeMs: number;
  track: number;
  /** Position of the Cluster relative to the Segment's data. */
  clusterPosition: number;
}

/** A SeekHead with fixed-width (8-byte) positions, padded with a Void to exactly `space` bytes. */
export function buildSeekHead(entries: readonly SeekEntry[], space = SEEK_HEAD_SPACE): Uint8Array {
  const seekHead = ebmlMaster(
    MatroskaId.SeekHead,
    entries.map(({ id, position }) => {
      const idBytes = new Uint8Array(ebmlIdSize(id));
      encodeEbmlIdTo(idBytes, 0, id);
      return ebmlMaster(MatroskaId.Seek, [
        ebmlBinary(MatroskaId.SeekId, idBytes),
        ebmlUint(MatroskaId.SeekPosition, position, 8),
      ]);
    }),
  );
  const out = new Uint8Array(space);
  out.set(seekHead, 0);
  out.set(ebmlVoid(space - seekHead.length), seekHead.length);
  return out;
}

/** The Cues element for `cues`, in order. */
export function buildCues(cues: readonly CueEntry[]): Uint8Array {
  return ebmlMaster(
    MatroskaId.Cues,
    cues.map((cue) =>
      ebmlMaster(MatroskaId.CuePoint, [
        ebmlUint(MatroskaId.CueTime, cue.timeMs),
        ebmlMaster(MatroskaId.CueTrackPositions, [
          ebmlUint(MatroskaId.CueTrack, cue.track),
          ebmlUint(MatroskaId.CueClusterPosition, cue.clusterPosition),
        ]),
      ]),
    ),
  );
}

/** The Duration element (binary64), DURATION_ELEMENT_SIZE bytes. */
export function buildDuration(durationMs: number): Uint8Array {
  return ebmlFloat(MatroskaId.Duration, durationMs);
}

/** The Segment's Data Size as an 8-byte VINT, to overwrite the unknown size. */
export function buildSegmentSize(size: number): Uint8Array {
  const field = new Uint8Array(8);
  encodeVintTo(field, 0, size, 8);
  return field;
}
