/**
 * Finishes a WebM/Matroska file that WebmWriter did not close (the process
 * crashed or was killed): the "repair step on next start".
 *
 * Such a file is already playable up to its last whole cluster (the
 * Segment has unknown size and every cluster its real size, see
 * webm-writer.ts). Repair makes it a normal finished file: it cuts the
 * partial cluster at the end, appends Cues built from the clusters that
 * start with a key frame, and, where the writer left room for them, writes
 * the Segment size, the Duration and a SeekHead that points at the Cues
 * (RFC 9559 §5.1.1, §5.1.2, §5.1.5). Files laid out differently are only
 * cut and given Cues.
 */
import { open, readFile } from 'node:fs/promises';
import { opusPacketSamples } from '../rtp/codecs/opus.js';
import { decodeEbmlElementHeader, decodeVint, EBML_UNKNOWN_SIZE } from './ebml.js';
import { RecordingError } from './errors.js';
import { MatroskaId, MatroskaTrackType } from './matroska-ids.js';
import {
  buildCues,
  buildDuration,
  buildSeekHead,
  buildSegmentSize,
  type CueEntry,
  DURATION_ELEMENT_SIZE,
  type SeekEntry,
} from './webm-layout.js';
import { readWebm, type WebmStructure } from './webm-reader.js';

/** What repairWebm did. */
export interface WebmRepairResult {
  /** False when the file was already whole and finished: nothing was changed. */
  repaired: boolean;
  originalSize: number;
  size: number;
  /** Whole clusters kept. */
  clusters: number;
  /** Bytes of the partial cluster (or other trailing bytes) cut from the end. */
  droppedBytes: number;
  /** Cue points written. */
  cues: number;
  /** Duration of what was kept, in TimestampScale units (ms for WebmWriter files). */
  duration: number;
  /** True when the Segment size, Duration and SeekHead were all written in place. */
  finalized: boolean;
}

/** Duration of the blocks of each track, the last one credited with its own length. */
function durationOf(structure: WebmStructure, clusterCount: number, unitsPerMs: number): number {
  let end = 0;
  for (const track of structure.tracks) {
    let last: { timestamp: number; data: Uint8Array } | undefined;
    let previous: number | undefined;
    for (const cluster of structure.clusters.slice(0, clusterCount))
      for (const block of cluster.blocks) {
        if (block.track !== track.number) continue;
        if (last) previous = last.timestamp;
        last = block;
      }
    if (last === undefined) continue;
    let length = previous === undefined ? 0 : last.timestamp - previous;
    if (track.codecId === 'A_OPUS') {
      const samples = opusPacketSamples(last.data);
      if (samples > 0) length = (samples / 48) * unitsPerMs;
    }
    end = Math.max(end, last.timestamp + length);
  }
  return end;
}

/** Offset of a Void of exactly DURATION_ELEMENT_SIZE bytes, or of a binary64 Duration, inside Info. */
function durationSlot(bytes: Uint8Array, structure: WebmStructure): number | undefined {
  const info = structure.info;
  if (!info) return undefined;
  const header = decodeEbmlElementHeader(bytes, info.offset);
  if (!header) return undefined;
  let at = info.offset + header.headerLength;
  const end = info.offset + info.size;
  while (at < end) {
    const child = decodeEbmlElementHeader(bytes, at);
    if (!child || child.size === EBML_UNKNOWN_SIZE) return undefined;
    const total = child.headerLength + child.size;
    if (total === DURATION_ELEMENT_SIZE && (child.id === MatroskaId.Void || child.id === MatroskaId.Duration))
      return at;
    at += total;
  }
  return undefined;
}

/** Bytes available for a SeekHead at the start of the Segment: a SeekHead and/or Void there. */
function seekHeadSpace(bytes: Uint8Array, segmentDataOffset: number): number {
  let at = segmentDataOffset;
  for (let i = 0; i < 2; i++) {
    const element = decodeEbmlElementHeader(bytes, at);
    if (!element || element.size === EBML_UNKNOWN_SIZE) break;
    if (element.id !== MatroskaId.SeekHead && element.id !== MatroskaId.Void) break;
    at += element.headerLength + element.size;
  }
  return at - segmentDataOffset;
}

/**
 * Repairs the file at `path` in place. Resolves with what was done; rejects
 * with ERR_RECORDING_UNSUPPORTED when it is not a Matroska file or ends
 * before its Tracks, and ERR_RECORDING_WRITE_FAILED when it cannot be
 * rewritten.
 */
export async function repairWebm(path: string): Promise<WebmRepairResult> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (error) {
    throw new RecordingError(
      'ERR_RECORDING_WRITE_FAILED',
      `cannot read ${path}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const structure = readWebm(bytes);
  const segmentDataOffset = structure.segmentDataOffset;
  if (structure.docType === undefined || segmentDataOffset === undefined || structure.tracks.length === 0)
    throw new RecordingError('ERR_RECORDING_UNSUPPORTED', `${path} has no Matroska segment with tracks`);
  const scale = structure.timestampScale ?? 1_000_000;
  const unitsPerMs = 1_000_000 / scale;
  const whole = structure.clusters.filter((cluster) => cluster.complete);
  const lastWhole = whole[whole.length - 1];
  const finished =
    structure.truncatedAt === undefined &&
    structure.invalidAt === undefined &&
    structure.segmentSize !== EBML_UNKNOWN_SIZE &&
    segmentDataOffset + (structure.segmentSize ?? 0) === bytes.length &&
    structure.cuesOffset !== undefined;
  if (finished)
    return {
      repaired: false,
      originalSize: bytes.length,
      size: bytes.length,
      clusters: whole.length,
      droppedBytes: 0,
      cues: structure.cues.length,
      duration: structure.duration ?? durationOf(structure, whole.length, unitsPerMs),
      finalized: true,
    };
  const keepEnd = lastWhole
    ? lastWhole.offset + lastWhole.size
    : (structure.clusters[0]?.offset ?? structure.truncatedAt ?? bytes.length);
  if (structure.tracksOffset === undefined || keepEnd <= structure.tracksOffset)
    throw new RecordingError('ERR_RECORDING_UNSUPPORTED', `${path} ends before its tracks`);

  const video = structure.tracks.find((track) => track.type === MatroskaTrackType.Video);
  const cues: CueEntry[] = [];
  for (const cluster of whole) {
    const first = cluster.blocks[0];
    if (first?.keyframe && (video === undefined || first.track === video.number))
      cues.push({
        timeMs: cluster.timestamp,
        track: first.track,
        clusterPosition: cluster.offset - segmentDataOffset,
      });
  }
  const cuesBytes = cues.length > 0 ? buildCues(cues) : new Uint8Array(0);
  const size = keepEnd + cuesBytes.length;
  const duration = durationOf(structure, whole.length, unitsPerMs);

  const sizeField =
    structure.segmentSizeOffset === undefined ? undefined : decodeVint(bytes, structure.segmentSizeOffset);
  const durationOffset = durationSlot(bytes, structure);
  const seekEntries: SeekEntry[] = [];
  if (structure.info)
    seekEntries.push({ id: MatroskaId.Info, position: structure.info.offset - segmentDataOffset });
  seekEntries.push({ id: MatroskaId.Tracks, position: structure.tracksOffset - segmentDataOffset });
  if (cues.length > 0) seekEntries.push({ id: MatroskaId.Cues, position: keepEnd - segmentDataOffset });
  const space = seekHeadSpace(bytes, segmentDataOffset);
  let seekHead: Uint8Array | undefined;
  try {
    seekHead = space > 0 ? buildSeekHead(seekEntries, space) : undefined;
  } catch {
    seekHead = undefined; // The entries do not fit the space the file has.
  }

  let finalized = false;
  try {
    const handle = await open(path, 'r+');
    try {
      await handle.truncate(keepEnd);
      if (cuesBytes.length > 0) await handle.write(cuesBytes, 0, cuesBytes.length, keepEnd);
      if (durationOffset !== undefined && duration > 0)
        await handle.write(buildDuration(duration), 0, DURATION_ELEMENT_SIZE, durationOffset);
      if (seekHead) await handle.write(seekHead, 0, seekHead.length, segmentDataOffset);
      if (sizeField?.length === 8 && structure.segmentSizeOffset !== undefined) {
        await handle.write(buildSegmentSize(size - segmentDataOffset), 0, 8, structure.segmentSizeOffset);
        finalized = durationOffset !== undefined && seekHead !== undefined;
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new RecordingError(
      'ERR_RECORDING_WRITE_FAILED',
      `cannot repair ${path}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  return {
    repaired: true,
    originalSize: bytes.length,
    size,
    clusters: whole.length,
    droppedBytes: bytes.length - keepEnd,
    cues: cues.length,
    duration,
    finalized,
  };
}
