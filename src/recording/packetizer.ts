/**
 * RTP packetizers, the inverse of the depacketizers: they split a frame into
 * RTP payloads for Opus (RFC 7587 §4.2), VP8 (RFC 7741 §4.2), VP9 (RFC 9628
 * §4.2), H.264 (RFC 6184 §5.6–§5.8, non-interleaved) and AV1 (AV1 RTP
 * payload format §4.4–§5). They exist to generate synthetic streams (the
 * recording benchmark, tests, a sender without a peer) and to pin down the
 * descriptor variants the depacketizers must read; the SFU forwards packets
 * as they come and does not use them.
 *
 * Each returns the payloads of one frame in order, the marker set on the
 * last (for video); the caller adds RTP headers with consecutive sequence
 * numbers and the frame's timestamp.
 */
import { Av1ObuType, encodeLeb128To, leb128Size, splitAv1TemporalUnit } from './av1-config.js';
import { RecordingError } from './errors.js';

/** One RTP payload of a frame. */
export interface PacketizedPayload {
  payload: Uint8Array;
  /** RTP marker: the last packet of a video frame. */
  marker: boolean;
}

/** Options shared by the packetizers. */
export interface PacketizeOptions {
  /** Largest payload, bytes; default 1200 (what WebRTC stacks use to stay under path MTUs). */
  maxPayloadSize?: number;
}

const DEFAULT_MAX_PAYLOAD = 1200;

function maxPayload(options: PacketizeOptions | undefined, overhead: number): number {
  const size = options?.maxPayloadSize ?? DEFAULT_MAX_PAYLOAD;
  if (!Number.isInteger(size) || size <= overhead)
    throw new RecordingError(
      'ERR_RECORDING_INVALID_ARGUMENT',
      `payload size ${size} leaves no room after ${overhead}`,
    );
  return size - overhead;
}

/** Splits `data` into chunks of at most `size` bytes (at least one chunk, possibly empty). */
function chunks(data: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < data.length; at += size) out.push(data.subarray(at, at + size));
  return out.length > 0 ? out : [data];
}

function withPrefix(prefix: Uint8Array, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(prefix.length + body.length);
  out.set(prefix, 0);
  out.set(body, prefix.length);
  return out;
}

/** An Opus packet is one payload (RFC 7587 §4.2). */
export function packetizeOpus(packet: Uint8Array): PacketizedPayload[] {
  return [{ payload: packet, marker: false }];
}

/** VP8 payload descriptor fields to write (RFC 7741 §4.2); all optional. */
export interface Vp8PacketizeOptions extends PacketizeOptions {
  /** 0–127 is written in 7 bits, 128–32767 in 15 bits. */
  pictureId?: number;
  tl0PicIdx?: number;
  temporalLayerId?: number;
  layerSync?: boolean;
  keyIndex?: number;
  nonReference?: boolean;
}

/** Splits a VP8 frame into payloads, all in partition 0 (PID = 0), S = 1 on the first. */
export function packetizeVp8(frame: Uint8Array, options: Vp8PacketizeOptions = {}): PacketizedPayload[] {
  const { pictureId, tl0PicIdx, temporalLayerId, layerSync, keyIndex, nonReference } = options;
  const extension =
    (pictureId !== undefined ? 0x80 : 0) |
    (tl0PicIdx !== undefined ? 0x40 : 0) |
    (temporalLayerId !== undefined ? 0x20 : 0) |
    (keyIndex !== undefined ? 0x10 : 0);
  const tail: number[] = [];
  if (pictureId !== undefined) {
    if (pictureId > 0x7f) tail.push(0x80 | ((pictureId >>> 8) & 0x7f), pictureId & 0xff);
    else tail.push(pictureId & 0x7f);
  }
  if (tl0PicIdx !== undefined) tail.push(tl0PicIdx & 0xff);
  if (extension & 0x30)
    tail.push((((temporalLayerId ?? 0) & 0x03) << 6) | (layerSync ? 0x20 : 0) | ((keyIndex ?? 0) & 0x1f));
  const descriptorLength = 1 + (extension ? 1 + tail.length : 0);
  const pieces = chunks(frame, maxPayload(options, descriptorLength));
  return pieces.map((piece, index) => {
    const descriptor = new Uint8Array(descriptorLength);
    descriptor[0] = (extension ? 0x80 : 0) | (nonReference ? 0x20 : 0) | (index === 0 ? 0x10 : 0);
    if (extension) {
      descriptor[1] = extension;
      descriptor.set(tail, 2);
    }
    return { payload: withPrefix(descriptor, piece), marker: index === pieces.length - 1 };
  });
}

/** VP9 payload descriptor fields to write (RFC 9628 §4.2). */
export interface Vp9PacketizeOptions extends PacketizeOptions {
  /** 0–127 in 7 bits, 128–32767 in 15 bits; absent: no I. */
  pictureId?: number;
  /** P: the frame refers to an earlier picture. */
  interPicturePredicted?: boolean;
  /** Flexible mode (F); with P, `referenceDiffs` are written. */
  flexible?: boolean;
  referenceDiffs?: number[];
  /** Layer indices (L). */
  layer?: {
    temporalId: number;
    spatialId: number;
    switchingUp?: boolean;
    interLayerDependency?: boolean;
    tl0PicIdx?: number;
  };
  /** A scalability structure (V) with these resolutions on the first packet. */
  resolutions?: { width: number; height: number }[];
  /** Set the marker on the last packet (end of the picture); default true. */
  endOfPicture?: boolean;
}

/** Splits one VP9 layer frame into payloads, B on the first and E on the last. */
export function packetizeVp9(frame: Uint8Array, options: Vp9PacketizeOptions = {}): PacketizedPayload[] {
  const { pictureId, interPicturePredicted, flexible, referenceDiffs = [], layer, resolutions } = options;
  const fixed: number[] = [];
  if (pictureId !== undefined) {
    if (pictureId > 0x7f) fixed.push(0x80 | ((pictureId >>> 8) & 0x7f), pictureId & 0xff);
    else fixed.push(pictureId & 0x7f);
  }
  if (layer) {
    fixed.push(
      ((layer.temporalId & 0x07) << 5) |
        (layer.switchingUp ? 0x10 : 0) |
        ((layer.spatialId & 0x07) << 1) |
        (layer.interLayerDependency ? 1 : 0),
    );
    if (!flexible) fixed.push((layer.tl0PicIdx ?? 0) & 0xff);
  }
  if (flexible && interPicturePredicted) {
    if (referenceDiffs.length < 1 || referenceDiffs.length > 3)
      throw new RecordingError(
        'ERR_RECORDING_INVALID_ARGUMENT',
        'flexible mode with P needs 1–3 reference diffs',
      );
    referenceDiffs.forEach((diff, index) => {
      fixed.push(((diff & 0x7f) << 1) | (index < referenceDiffs.length - 1 ? 1 : 0));
    });
  }
  const ss: number[] = [];
  if (resolutions?.length) {
    ss.push(((resolutions.length - 1) << 5) | 0x10);
    for (const { width, height } of resolutions)
      ss.push(width >>> 8, width & 0xff, height >>> 8, height & 0xff);
  }
  const pieces = chunks(frame, maxPayload(options, 1 + fixed.length + ss.length));
  const first =
    (pictureId !== undefined ? 0x80 : 0) |
    (interPicturePredicted ? 0x40 : 0) |
    (layer ? 0x20 : 0) |
    (flexible ? 0x10 : 0);
  return pieces.map((piece, index) => {
    const last = index === pieces.length - 1;
    const extra = index === 0 ? ss : [];
    const descriptor = Uint8Array.from([
      first | (index === 0 ? 0x08 : 0) | (last ? 0x04 : 0) | (extra.length ? 0x02 : 0),
      ...fixed,
      ...extra,
    ]);
    return { payload: withPrefix(descriptor, piece), marker: last && (options.endOfPicture ?? true) };
  });
}

/** How the H.264 packetizer groups small NAL units. */
export interface H264PacketizeOptions extends PacketizeOptions {
  /** Aggregate consecutive small NAL units into STAP-A packets; default true. */
  aggregate?: boolean;
}

/** Splits an access unit (NAL units, header byte first, no start codes) into single NAL, STAP-A and FU-A payloads. */
export function packetizeH264(
  nalUnits: readonly Uint8Array[],
  options: H264PacketizeOptions = {},
): PacketizedPayload[] {
  const limit = maxPayload(options, 0);
  const out: Uint8Array[] = [];
  let stap: Uint8Array[] = [];
  let stapSize = 1;
  const flushStap = () => {
    if (stap.length === 1) out.push(stap[0]);
    else if (stap.length > 1) {
      const payload = new Uint8Array(stapSize);
      let nri = 0;
      for (const unit of stap) nri = Math.max(nri, unit[0] & 0x60);
      payload[0] = nri | 24;
      let at = 1;
      for (const unit of stap) {
        payload[at] = unit.length >>> 8;
        payload[at + 1] = unit.length & 0xff;
        payload.set(unit, at + 2);
        at += 2 + unit.length;
      }
      out.push(payload);
    }
    stap = [];
    stapSize = 1;
  };
  for (const unit of nalUnits) {
    if (unit.length === 0) continue;
    if (unit.length <= limit) {
      if ((options.aggregate ?? true) && stapSize + 2 + unit.length <= limit) {
        stap.push(unit);
        stapSize += 2 + unit.length;
        continue;
      }
      flushStap();
      if ((options.aggregate ?? true) && 3 + unit.length <= limit) {
        stap.push(unit);
        stapSize += 2 + unit.length;
      } else {
        out.push(unit);
      }
      continue;
    }
    flushStap();
    // FU-A (§5.8): indicator = F|NRI|28, header = S|E|R|type, then a fragment of the unit after its header byte.
    const pieces = chunks(unit.subarray(1), maxPayload(options, 2));
    pieces.forEach((piece, index) => {
      const header = (index === 0 ? 0x80 : 0) | (index === pieces.length - 1 ? 0x40 : 0) | (unit[0] & 0x1f);
      out.push(withPrefix(Uint8Array.of((unit[0] & 0xe0) | 28, header), piece));
    });
  }
  flushStap();
  return out.map((payload, index) => ({ payload, marker: index === out.length - 1 }));
}

/** How the AV1 packetizer writes OBU elements. */
export interface Av1PacketizeOptions extends PacketizeOptions {
  /** Set W to the element count when it is 1–3 (the last element then has no length); default true. */
  useElementCount?: boolean;
}

/**
 * Splits a temporal unit (low overhead format, OBUs with obu_size) into AV1
 * RTP payloads: temporal delimiters, tile lists and padding dropped, OBUs
 * sent without obu_size (§4.5), fragmented across packets with Z/Y, N set on
 * the first packet when the unit starts with a sequence header.
 */
export function packetizeAv1(
  temporalUnit: Uint8Array,
  options: Av1PacketizeOptions = {},
): PacketizedPayload[] {
  const obus = splitAv1TemporalUnit(temporalUnit);
  if (obus === undefined) throw new RecordingError('ERR_RECORDING_INVALID_ARGUMENT', 'not a temporal unit');
  const elements: Uint8Array[] = [];
  for (const obu of obus) {
    if (
      obu.type === Av1ObuType.TemporalDelimiter ||
      obu.type === Av1ObuType.TileList ||
      obu.type === Av1ObuType.Padding
    )
      continue;
    const element = new Uint8Array(obu.header.length + obu.payload.length);
    element.set(obu.header, 0);
    element[0] &= ~0x02;
    element.set(obu.payload, obu.header.length);
    elements.push(element);
  }
  const startsSequence = elements.length > 0 && ((elements[0][0] >>> 3) & 0x0f) === Av1ObuType.SequenceHeader;
  const limit = maxPayload(options, 1);
  const useCount = options.useElementCount ?? true;
  const packets: { parts: Uint8Array[]; z: boolean; y: boolean }[] = [];
  let parts: Uint8Array[] = [];
  let used = 0;
  let z = false;
  const close = (y: boolean) => {
    packets.push({ parts, z, y });
    parts = [];
    used = 0;
    z = y;
  };
  for (const element of elements) {
    let rest = element;
    for (;;) {
      // Room for this element (or its next fragment) with a length field in front.
      const room = limit - used;
      const lengthField = leb128Size(rest.length);
      if (rest.length + lengthField <= room) {
        parts.push(rest);
        used += lengthField + rest.length;
        break;
      }
      const fragmentRoom = room - leb128Size(room);
      if (fragmentRoom < 1) {
        close(false);
        continue;
      }
      parts.push(rest.subarray(0, fragmentRoom));
      rest = rest.subarray(fragmentRoom);
      close(true);
    }
  }
  if (parts.length > 0) close(false);
  return packets.map((packet, index) => {
    const count = useCount && packet.parts.length <= 3 ? packet.parts.length : 0;
    let size = 1;
    packet.parts.forEach((part, i) => {
      size += part.length + (count !== 0 && i === packet.parts.length - 1 ? 0 : leb128Size(part.length));
    });
    const payload = new Uint8Array(size);
    payload[0] =
      (packet.z ? 0x80 : 0) |
      (packet.y ? 0x40 : 0) |
      (count << 4) |
      (index === 0 && startsSequence ? 0x08 : 0);
    let at = 1;
    packet.parts.forEach((part, i) => {
      if (!(count !== 0 && i === packet.parts.length - 1)) at = encodeLeb128To(payload, at, part.length);
      payload.set(part, at);
      at += part.length;
    });
    return { payload, marker: index === packets.length - 1 };
  });
}
