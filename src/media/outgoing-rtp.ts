/**
 * Writes a forwarded RTP packet for one subscriber into a caller-owned
 * buffer: the fixed header with the subscriber's payload type, sequence
 * number, timestamp and SSRC (RFC 3550 §5.1), a header extension block
 * rebuilt for the ids the subscriber negotiated (RFC 8285), then the payload.
 * Padding of the incoming packet is dropped.
 *
 * Extensions written, in this order, when the subscriber negotiated them:
 *
 *   audio-level (RFC 6464), video-orientation (3GPP TS 26.114 §7.4.5),
 *   rtp-stream-id and repaired-rtp-stream-id (RFC 8852)
 *                            copied from the incoming packet, if present;
 *   sdes:mid (RFC 8843 §15)  the subscriber's MID, given by the caller;
 *   abs-send-time            24-bit 6.18 fixed-point seconds from the caller's clock;
 *   transport-wide-cc        a 16-bit sequence number given by the caller
 *                            (draft-holmer-rmcat-transport-wide-cc-extensions-01 §2).
 *
 * The one-byte form (§4.2) is used when every element fits it (ids 1–14,
 * values 1–16 bytes), otherwise the two-byte form (§4.3). An ExtensionMap is
 * resolved once per subscriber from the negotiated URIs, so the packet path
 * compares numbers only and allocates nothing.
 */
import type { RtpPacket } from '../rtp/packet.js';
import { ForwardingError } from './forwarding-errors.js';

/** Header extensions the SFU understands, as small integers for table lookups. */
export const RtpExtensionKind = {
  /** Not understood: dropped when forwarding. */
  None: 0,
  AudioLevel: 1,
  VideoOrientation: 2,
  RtpStreamId: 3,
  RepairedRtpStreamId: 4,
  Mid: 5,
  AbsSendTime: 6,
  TransportWideCc: 7,
} as const;

/** One of the RtpExtensionKind values. */
export type RtpExtensionKind = (typeof RtpExtensionKind)[keyof typeof RtpExtensionKind];

/** Number of kinds, None included. */
const KIND_COUNT = 8;

/** The URI each kind is negotiated with in a=extmap (RFC 8285 §8). */
export const RTP_EXTENSION_URIS: Readonly<Record<string, RtpExtensionKind>> = {
  'urn:ietf:params:rtp-hdrext:ssrc-audio-level': RtpExtensionKind.AudioLevel,
  'urn:3gpp:video-orientation': RtpExtensionKind.VideoOrientation,
  'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id': RtpExtensionKind.RtpStreamId,
  'urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id': RtpExtensionKind.RepairedRtpStreamId,
  'urn:ietf:params:rtp-hdrext:sdes:mid': RtpExtensionKind.Mid,
  'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time': RtpExtensionKind.AbsSendTime,
  'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01':
    RtpExtensionKind.TransportWideCc,
};

/** A negotiated a=extmap entry: id and URI. */
export interface ExtensionMapping {
  /** Local id, 1–255. */
  id: number;
  /** Extension URI. */
  uri: string;
}

/**
 * Incoming id → kind and kind → outgoing id, for one producer/subscriber
 * pair. Build it once when the consumer is created.
 */
export class ExtensionMap {
  /** Kind of each incoming id (index 0–255), None when not understood. */
  readonly incomingKind = new Uint8Array(256);
  /** Outgoing id of each kind (index: kind), 0 when the subscriber did not negotiate it. */
  readonly outgoingId = new Uint8Array(KIND_COUNT);

  /** Builds a map from the producer's and the subscriber's negotiated extmaps; unknown URIs are ignored. */
  static fromMappings(
    incoming: Iterable<ExtensionMapping>,
    outgoing: Iterable<ExtensionMapping>,
  ): ExtensionMap {
    const map = new ExtensionMap();
    for (const { id, uri } of incoming) {
      const kind = RTP_EXTENSION_URIS[uri];
      if (kind !== undefined) map.setIncoming(id, kind);
    }
    for (const { id, uri } of outgoing) {
      const kind = RTP_EXTENSION_URIS[uri];
      if (kind !== undefined) map.setOutgoing(kind, id);
    }
    return map;
  }

  /** Declares that the producer sends `kind` with `id`. */
  setIncoming(id: number, kind: RtpExtensionKind): void {
    checkId(id);
    this.incomingKind[id] = kind;
  }

  /** Declares that the subscriber receives `kind` with `id`. */
  setOutgoing(kind: RtpExtensionKind, id: number): void {
    checkId(id);
    if (kind !== RtpExtensionKind.None) this.outgoingId[kind] = id;
  }
}

function checkId(id: number): void {
  if (!Number.isInteger(id) || id < 1 || id > 255)
    throw new ForwardingError('ERR_MEDIA_INVALID_ARGUMENT', `extension id ${id} is not 1–255`);
}

/** Per-packet values for writeOutgoingRtp; one object per subscriber, updated in place. */
export interface OutgoingRtpParams {
  /** The subscriber's payload type. */
  payloadType: number;
  /** Marker bit. */
  marker: boolean;
  /** Outgoing sequence number. */
  sequenceNumber: number;
  /** Outgoing timestamp. */
  timestamp: number;
  /** The subscriber's SSRC. */
  ssrc: number;
  /** The subscriber's MID as bytes (encode once); empty to write no MID. */
  mid: Uint8Array;
  /** abs-send-time value (see absSendTime()). */
  absSendTime: number;
  /** Transport-wide sequence number, or -1 to write none. */
  transportSequenceNumber: number;
  /**
   * For an RTX packet (RFC 4588 §4): the original sequence number, written as
   * the first two payload bytes; -1 for a plain packet.
   */
  originalSequenceNumber: number;
}

/** Fresh params with every optional value off. */
export function createOutgoingRtpParams(): OutgoingRtpParams {
  return {
    payloadType: 0,
    marker: false,
    sequenceNumber: 0,
    timestamp: 0,
    ssrc: 0,
    mid: new Uint8Array(0),
    absSendTime: 0,
    transportSequenceNumber: -1,
    originalSequenceNumber: -1,
  };
}

/**
 * The abs-send-time value for a time in milliseconds: seconds in 6.18 fixed
 * point, keeping the low 24 bits (it wraps every 64 s).
 */
export function absSendTime(nowMs: number): number {
  return Math.round((nowMs * 262144) / 1000) & 0xffffff;
}

// Scratch for one call: the copied value of each kind (views into the incoming packet).
const copied: (Uint8Array | undefined)[] = new Array(KIND_COUNT).fill(undefined);
const scratch3 = new Uint8Array(3);
const scratch2 = new Uint8Array(2);

/** Collects the value of every element to write into `copied`, indexed by kind. */
function planExtensions(packet: RtpPacket, map: ExtensionMap, params: OutgoingRtpParams): void {
  for (let kind = 0; kind < KIND_COUNT; kind++) copied[kind] = undefined;
  const outgoingId = map.outgoingId;
  const extension = packet.extension;
  if (extension) {
    const elements = extension.elements;
    for (let i = 0; i < elements.length; i++) {
      const element = elements[i];
      const kind = map.incomingKind[element.id];
      // Only the first four kinds are copied; MID, abs-send-time and transport-cc are the SFU's own.
      if (kind === RtpExtensionKind.None || kind > RtpExtensionKind.RepairedRtpStreamId) continue;
      if (outgoingId[kind] !== 0 && copied[kind] === undefined) copied[kind] = element.value;
    }
  }
  if (outgoingId[RtpExtensionKind.Mid] !== 0 && params.mid.length > 0)
    copied[RtpExtensionKind.Mid] = params.mid;
  if (outgoingId[RtpExtensionKind.AbsSendTime] !== 0) {
    const value = params.absSendTime;
    scratch3[0] = value >>> 16;
    scratch3[1] = value >>> 8;
    scratch3[2] = value;
    copied[RtpExtensionKind.AbsSendTime] = scratch3;
  }
  if (outgoingId[RtpExtensionKind.TransportWideCc] !== 0 && params.transportSequenceNumber >= 0) {
    const value = params.transportSequenceNumber;
    scratch2[0] = value >>> 8;
    scratch2[1] = value;
    copied[RtpExtensionKind.TransportWideCc] = scratch2;
  }
}

/** True when every planned element fits the one-byte form. */
function plannedFitsOneByte(map: ExtensionMap): boolean {
  for (let kind = 1; kind < KIND_COUNT; kind++) {
    const value = copied[kind];
    if (value === undefined) continue;
    const id = map.outgoingId[kind];
    if (id > 14 || value.length < 1 || value.length > 16) return false;
  }
  return true;
}

/** Size of the planned extension data, padded to 32 bits; -1 when nothing is planned. */
function plannedSize(oneByte: boolean): number {
  let size = 0;
  let any = false;
  for (let kind = 1; kind < KIND_COUNT; kind++) {
    const value = copied[kind];
    if (value === undefined) continue;
    // Only the caller's MID can be this long; incoming values are at most 255 bytes.
    if (value.length > 255)
      throw new ForwardingError('ERR_MEDIA_INVALID_ARGUMENT', `extension value of ${value.length} bytes`);
    any = true;
    size += (oneByte ? 1 : 2) + value.length;
  }
  return any ? (size + 3) & ~3 : -1;
}

/** Bytes writeOutgoingRtp would write for this packet. */
export function outgoingRtpSize(packet: RtpPacket, map: ExtensionMap, params: OutgoingRtpParams): number {
  planExtensions(packet, map, params);
  const extensionSize = plannedSize(plannedFitsOneByte(map));
  for (let kind = 0; kind < KIND_COUNT; kind++) copied[kind] = undefined;
  return (
    12 +
    4 * packet.csrcs.length +
    (extensionSize < 0 ? 0 : 4 + extensionSize) +
    (params.originalSequenceNumber >= 0 ? 2 : 0) +
    packet.payload.length
  );
}

/**
 * Writes the outgoing packet at `offset` and returns its length. CSRCs are
 * kept; extensions follow the rules above; padding is dropped. Throws
 * ForwardingError when the buffer is too small. The incoming packet's views
 * are only read during the call.
 */
export function writeOutgoingRtp(
  out: Uint8Array,
  offset: number,
  packet: RtpPacket,
  map: ExtensionMap,
  params: OutgoingRtpParams,
): number {
  planExtensions(packet, map, params);
  const oneByte = plannedFitsOneByte(map);
  const extensionSize = plannedSize(oneByte);
  const csrcs = packet.csrcs;
  const payload = packet.payload;
  const rtx = params.originalSequenceNumber >= 0;
  const size =
    12 + 4 * csrcs.length + (extensionSize < 0 ? 0 : 4 + extensionSize) + (rtx ? 2 : 0) + payload.length;
  if (offset < 0 || offset + size > out.length)
    throw new ForwardingError('ERR_MEDIA_BUFFER_TOO_SMALL', `${size} bytes do not fit at ${offset}`);
  out[offset] = 0x80 | (extensionSize >= 0 ? 0x10 : 0) | csrcs.length;
  out[offset + 1] = (params.marker ? 0x80 : 0) | (params.payloadType & 0x7f);
  writeUint16(out, offset + 2, params.sequenceNumber);
  writeUint32(out, offset + 4, params.timestamp);
  writeUint32(out, offset + 8, params.ssrc);
  let at = offset + 12;
  for (let i = 0; i < csrcs.length; i++, at += 4) writeUint32(out, at, csrcs[i]);
  if (extensionSize >= 0) {
    writeUint16(out, at, oneByte ? 0xbede : 0x1000);
    writeUint16(out, at + 2, extensionSize / 4);
    at += 4;
    const end = at + extensionSize;
    for (let kind = 1; kind < KIND_COUNT; kind++) {
      const value = copied[kind];
      if (value === undefined) continue;
      const id = map.outgoingId[kind];
      if (oneByte) {
        out[at++] = (id << 4) | (value.length - 1);
      } else {
        out[at++] = id;
        out[at++] = value.length;
      }
      out.set(value, at);
      at += value.length;
    }
    out.fill(0, at, end);
    at = end;
  }
  for (let kind = 0; kind < KIND_COUNT; kind++) copied[kind] = undefined;
  if (rtx) {
    writeUint16(out, at, params.originalSequenceNumber);
    at += 2;
  }
  out.set(payload, at);
  return at + payload.length - offset;
}

function writeUint16(out: Uint8Array, at: number, value: number): void {
  out[at] = value >>> 8;
  out[at + 1] = value;
}

function writeUint32(out: Uint8Array, at: number, value: number): void {
  out[at] = value >>> 24;
  out[at + 1] = value >>> 16;
  out[at + 2] = value >>> 8;
  out[at + 3] = value;
}
