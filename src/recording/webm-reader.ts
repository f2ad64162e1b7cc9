/**
 * Reads back the structure of a WebM/Matroska file (RFC 9559): the EBML
 * header's DocType, the Segment, SeekHead, Info, Tracks, Clusters with their
 * blocks, and Cues. It exists to check what the writer produced and to find
 * where a file cut short by a crash stops being whole (see repairWebm); it
 * is not a general demuxer (laced blocks are reported as one block).
 *
 * Never throws: a truncated or malformed file yields what could be read,
 * with `truncatedAt` set to the offset of the first element that does not
 * fit. Block data are views into the given bytes.
 */
import { decodeEbmlElementHeader, decodeUint, decodeVint, EBML_UNKNOWN_SIZE } from './ebml.js';
import { MatroskaId } from './matroska-ids.js';

/** IDs of Block and BlockGroup, and ReferenceBlock inside a BlockGroup (RFC 9559 §5.1.3, Cluster). */
const BLOCK_GROUP = 0xa0;
const BLOCK = 0xa1;
const REFERENCE_BLOCK = 0xfb;

/** Top-level elements of a Segment: where an unknown-size Cluster ends. */
const SEGMENT_CHILDREN: ReadonlySet<number> = new Set([
  MatroskaId.SeekHead,
  MatroskaId.Info,
  MatroskaId.Tracks,
  MatroskaId.Cluster,
  MatroskaId.Cues,
  0x1941a469, // Attachments
  0x1043a770, // Chapters
  0x1254c367, // Tags
]);

/** One frame in a Cluster. */
export interface WebmBlock {
  track: number;
  /** Absolute timestamp in TimestampScale units (ms for files this package writes). */
  timestamp: number;
  keyframe: boolean;
  /** Lacing mode from the flags (0 = none); laced blocks are not split. */
  lacing: number;
  /** The frame (view). */
  data: Uint8Array;
  /** Offset of the block element in the file. */
  offset: number;
}

/** A Cluster. */
export interface WebmCluster {
  offset: number;
  /** Bytes of the element, header included, as far as the file holds it. */
  size: number;
  /** Cluster Timestamp. */
  timestamp: number;
  /** False when the file ends inside it. */
  complete: boolean;
  /** Blocks that are whole in the file. */
  blocks: WebmBlock[];
}

/** A TrackEntry. */
export interface WebmTrack {
  number: number;
  type: number;
  codecId: string;
  codecPrivate?: Uint8Array;
  width?: number;
  height?: number;
  channels?: number;
  samplingFrequency?: number;
  codecDelay?: number;
  seekPreRoll?: number;
}

/** A CuePoint with one track position. */
export interface WebmCue {
  time: number;
  track: number;
  /** Position of the Cluster relative to the Segment's data. */
  clusterPosition: number;
}

/** What readWebm found. */
export interface WebmStructure {
  docType?: string;
  /** Offset of the Segment's data (where SeekPosition and CueClusterPosition count from). */
  segmentDataOffset?: number;
  /** Segment Data Size, or EBML_UNKNOWN_SIZE (-1). */
  segmentSize?: number;
  /** Offset of the Segment's size field (8 bytes in files this package writes). */
  segmentSizeOffset?: number;
  /** SeekHead entries: element ID → position relative to the Segment's data. */
  seekEntries: { id: number; position: number }[];
  timestampScale?: number;
  /** Info Duration in TimestampScale units. */
  duration?: number;
  /** Offset and size of the Info element. */
  info?: { offset: number; size: number };
  tracks: WebmTrack[];
  /** Offset of the Tracks element. */
  tracksOffset?: number;
  clusters: WebmCluster[];
  cues: WebmCue[];
  /** Offset of the Cues element, when present. */
  cuesOffset?: number;
  /** Offset of the first element that runs past the end of the bytes, when the file is cut. */
  truncatedAt?: number;
  /** Offset where reading stopped on bytes that are not an element header. */
  invalidAt?: number;
}

interface Element {
  id: number;
  /** Data size, or EBML_UNKNOWN_SIZE. */
  size: number;
  offset: number;
  dataOffset: number;
  /** End of the data (dataOffset + size); Infinity for unknown size. */
  end: number;
}

function elementAt(bytes: Uint8Array, offset: number): Element | undefined {
  const header = decodeEbmlElementHeader(bytes, offset);
  if (header === undefined) return undefined;
  const dataOffset = offset + header.headerLength;
  return {
    id: header.id,
    size: header.size,
    offset,
    dataOffset,
    end: header.size === EBML_UNKNOWN_SIZE ? Number.POSITIVE_INFINITY : dataOffset + header.size,
  };
}

/** The children of a master element whose data is [start, end), each whole; stops at the first that does not fit. */
function* children(bytes: Uint8Array, start: number, end: number): Generator<Element> {
  let at = start;
  while (at < end) {
    const element = elementAt(bytes, at);
    if (element === undefined || element.end > end) return;
    yield element;
    at = element.end;
  }
}

function uint(bytes: Uint8Array, element: Element): number {
  return element.size > 8 ? 0 : decodeUint(bytes, element.dataOffset, element.size);
}

function float(bytes: Uint8Array, element: Element): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset + element.dataOffset, element.size);
  if (element.size === 8) return view.getFloat64(0);
  if (element.size === 4) return view.getFloat32(0);
  return 0;
}

function text(bytes: Uint8Array, element: Element): string {
  return new TextDecoder().decode(bytes.subarray(element.dataOffset, element.end)).replace(/\0+$/, '');
}

/** Reads a SimpleBlock or Block at `element`; undefined when its header is malformed. */
function readBlock(
  bytes: Uint8Array,
  element: Element,
  clusterTimestamp: number,
  keyframe?: boolean,
): WebmBlock | undefined {
  const track = decodeVint(bytes, element.dataOffset);
  if (track === undefined || track.value < 0) return undefined;
  const at = element.dataOffset + track.length;
  if (at + 3 > element.end) return undefined;
  const relative = ((bytes[at] << 24) >> 16) | bytes[at + 1];
  const flags = bytes[at + 2];
  return {
    track: track.value,
    timestamp: clusterTimestamp + relative,
    keyframe: keyframe ?? (flags & 0x80) !== 0,
    lacing: (flags >>> 1) & 0x03,
    data: bytes.subarray(at + 3, element.end),
    offset: element.offset,
  };
}

function readCluster(bytes: Uint8Array, cluster: Element): WebmCluster {
  const available = Math.min(cluster.end, bytes.length);
  const result: WebmCluster = {
    offset: cluster.offset,
    size: available - cluster.offset,
    timestamp: 0,
    complete: cluster.end <= bytes.length,
    blocks: [],
  };
  let at = cluster.dataOffset;
  while (at < available) {
    const element = elementAt(bytes, at);
    if (element === undefined) break;
    // An unknown-size cluster ends where the next top-level element begins.
    if (cluster.size === EBML_UNKNOWN_SIZE && SEGMENT_CHILDREN.has(element.id)) {
      result.size = at - cluster.offset;
      result.complete = true;
      return result;
    }
    if (element.end > available) break;
    if (element.id === MatroskaId.Timestamp) {
      result.timestamp = uint(bytes, element);
    } else if (element.id === MatroskaId.SimpleBlock) {
      const block = readBlock(bytes, element, result.timestamp);
      if (block) result.blocks.push(block);
    } else if (element.id === BLOCK_GROUP) {
      let blockElement: Element | undefined;
      let referenced = false;
      for (const child of children(bytes, element.dataOffset, element.end)) {
        if (child.id === BLOCK) blockElement = child;
        else if (child.id === REFERENCE_BLOCK) referenced = true;
      }
      const block = blockElement ? readBlock(bytes, blockElement, result.timestamp, !referenced) : undefined;
      if (block) result.blocks.push(block);
    }
    at = element.end;
  }
  if (cluster.size === EBML_UNKNOWN_SIZE) result.complete = at >= bytes.length;
  result.size = at - cluster.offset;
  return result;
}

function readTrack(bytes: Uint8Array, entry: Element): WebmTrack {
  const track: WebmTrack = { number: 0, type: 0, codecId: '' };
  for (const child of children(bytes, entry.dataOffset, entry.end)) {
    switch (child.id) {
      case MatroskaId.TrackNumber:
        track.number = uint(bytes, child);
        break;
      case MatroskaId.TrackType:
        track.type = uint(bytes, child);
        break;
      case MatroskaId.CodecId:
        track.codecId = text(bytes, child);
        break;
      case MatroskaId.CodecPrivate:
        track.codecPrivate = bytes.subarray(child.dataOffset, child.end);
        break;
      case MatroskaId.CodecDelay:
        track.codecDelay = uint(bytes, child);
        break;
      case MatroskaId.SeekPreRoll:
        track.seekPreRoll = uint(bytes, child);
        break;
      case MatroskaId.Video:
        for (const video of children(bytes, child.dataOffset, child.end)) {
          if (video.id === MatroskaId.PixelWidth) track.width = uint(bytes, video);
          else if (video.id === MatroskaId.PixelHeight) track.height = uint(bytes, video);
        }
        break;
      case MatroskaId.Audio:
        for (const audio of children(bytes, child.dataOffset, child.end)) {
          if (audio.id === MatroskaId.Channels) track.channels = uint(bytes, audio);
          else if (audio.id === MatroskaId.SamplingFrequency) track.samplingFrequency = float(bytes, audio);
        }
        break;
    }
  }
  return track;
}

/** Reads the structure of a WebM/Matroska file held in memory. Never throws. */
export function readWebm(bytes: Uint8Array): WebmStructure {
  const structure: WebmStructure = { seekEntries: [], tracks: [], clusters: [], cues: [] };
  const ebml = elementAt(bytes, 0);
  if (ebml === undefined || ebml.id !== MatroskaId.Ebml) {
    structure.invalidAt = 0;
    return structure;
  }
  if (ebml.end > bytes.length) {
    structure.truncatedAt = 0;
    return structure;
  }
  for (const child of children(bytes, ebml.dataOffset, ebml.end))
    if (child.id === MatroskaId.DocType) structure.docType = text(bytes, child);
  const segment = elementAt(bytes, ebml.end);
  if (segment === undefined || segment.id !== MatroskaId.Segment) {
    if (segment === undefined && ebml.end >= bytes.length) structure.truncatedAt = ebml.end;
    else structure.invalidAt = ebml.end;
    return structure;
  }
  structure.segmentDataOffset = segment.dataOffset;
  structure.segmentSize = segment.size;
  structure.segmentSizeOffset = segment.offset + 4;
  const segmentEnd = Math.min(segment.end, bytes.length);
  let at = segment.dataOffset;
  while (at < segmentEnd) {
    const element = elementAt(bytes, at);
    if (element === undefined) {
      if (bytes.length - at < 12) structure.truncatedAt = at;
      else structure.invalidAt = at;
      break;
    }
    if (element.id === MatroskaId.Cluster) {
      const cluster = readCluster(bytes, element);
      structure.clusters.push(cluster);
      if (!cluster.complete) {
        structure.truncatedAt = at;
        break;
      }
      at = cluster.offset + cluster.size;
      continue;
    }
    if (element.end > bytes.length) {
      structure.truncatedAt = at;
      break;
    }
    switch (element.id) {
      case MatroskaId.SeekHead:
        for (const seek of children(bytes, element.dataOffset, element.end)) {
          if (seek.id !== MatroskaId.Seek) continue;
          let id = 0;
          let position = -1;
          for (const field of children(bytes, seek.dataOffset, seek.end)) {
            if (field.id === MatroskaId.SeekId) id = uint(bytes, field);
            else if (field.id === MatroskaId.SeekPosition) position = uint(bytes, field);
          }
          if (position >= 0) structure.seekEntries.push({ id, position });
        }
        break;
      case MatroskaId.Info:
        structure.info = { offset: element.offset, size: element.end - element.offset };
        for (const field of children(bytes, element.dataOffset, element.end)) {
          if (field.id === MatroskaId.TimestampScale) structure.timestampScale = uint(bytes, field);
          else if (field.id === MatroskaId.Duration) structure.duration = float(bytes, field);
        }
        break;
      case MatroskaId.Tracks:
        structure.tracksOffset = element.offset;
        for (const entry of children(bytes, element.dataOffset, element.end))
          if (entry.id === MatroskaId.TrackEntry) structure.tracks.push(readTrack(bytes, entry));
        break;
      case MatroskaId.Cues:
        structure.cuesOffset = element.offset;
        for (const point of children(bytes, element.dataOffset, element.end)) {
          if (point.id !== MatroskaId.CuePoint) continue;
          let time = 0;
          for (const field of children(bytes, point.dataOffset, point.end)) {
            if (field.id === MatroskaId.CueTime) time = uint(bytes, field);
            else if (field.id === MatroskaId.CueTrackPositions) {
              let track = 0;
              let clusterPosition = -1;
              for (const position of children(bytes, field.dataOffset, field.end)) {
                if (position.id === MatroskaId.CueTrack) track = uint(bytes, position);
                else if (position.id === MatroskaId.CueClusterPosition)
                  clusterPosition = uint(bytes, position);
              }
              if (clusterPosition >= 0) structure.cues.push({ time, track, clusterPosition });
            }
          }
        }
        break;
    }
    if (element.size === EBML_UNKNOWN_SIZE) {
      structure.invalidAt = at;
      break;
    }
    at = element.end;
  }
  return structure;
}
