/**
 * Transport-wide congestion control feedback
 * (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1): transport-layer
 * feedback, PT 205, FMT 15.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |V=2|P|  FMT=15 |    PT=205     |           length              |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                     SSRC of packet sender                     |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                      SSRC of media source                     |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |      base sequence number     |      packet status count      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                 reference time                | fb pkt. count |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |          packet chunk         |         packet chunk          |
 *   .                                                               .
 *   |         packet chunk          |  recv delta   |  recv delta   |
 *   .                                                               .
 *   |           recv delta          |  recv delta   | zero padding  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Packet chunks (§3.1.2–3.1.4), 16 bits each:
 *   run length:    |0| S (2) |      run length (13)      |
 *   status vector: |1|S|   14 one-bit or 7 two-bit symbols   |
 *
 * Symbols: 0 not received, 1 received with a small delta (one byte,
 * unsigned), 2 received with a large or negative delta (two bytes, signed),
 * 3 reserved. Deltas count 250 µs; the reference time counts 64 ms and is a
 * signed 24-bit value.
 */
import { RtcpError, type RtcpResult, rtcpFail } from './errors.js';
import { decodeFeedbackBody, FEEDBACK_HEADER_SIZE, writeFeedbackHeader } from './feedback.js';
import { RtcpPacketType, TransportFeedbackFormat } from './header.js';

/** Reception status of one packet (§3.1.1). */
export const PacketStatus = {
  NotReceived: 0,
  SmallDelta: 1,
  LargeOrNegativeDelta: 2,
} as const;

/** Microseconds per receive delta unit. */
export const DELTA_UNIT_MICROSECONDS = 250;
/** Microseconds per reference time unit. */
export const REFERENCE_TIME_UNIT_MICROSECONDS = 64_000;

const MAX_RUN_LENGTH = 0x1fff;

/** A transport-wide congestion control feedback message. */
export interface TransportCcFeedback {
  /** SSRC of the packet sender. */
  senderSsrc: number;
  /** SSRC of the media source. */
  mediaSsrc: number;
  /** Transport-wide sequence number of the first packet reported. */
  baseSequenceNumber: number;
  /** Reference time in 64 ms units, signed 24-bit. */
  referenceTime: number;
  /** Feedback packet count, 0–255, to detect lost feedback. */
  feedbackPacketCount: number;
  /** One PacketStatus per packet from baseSequenceNumber on (at most 65535). */
  statuses: number[];
  /** One receive delta (250 µs units) per received packet, in order. */
  deltas: number[];
}

/** Decodes one transport-cc feedback packet. Never throws. */
export function decodeTransportCcFeedback(buf: Uint8Array): RtcpResult<TransportCcFeedback> {
  const decoded = decodeFeedbackBody(
    buf,
    RtcpPacketType.TransportFeedback,
    TransportFeedbackFormat.TransportCc,
  );
  if (!decoded.ok) return decoded;
  const { senderSsrc, mediaSsrc, fci, view } = decoded.value;
  if (fci.length < 8)
    return rtcpFail('ERR_RTCP_TOO_SHORT', 'transport-cc FCI under 8 bytes', FEEDBACK_HEADER_SIZE);
  const baseSequenceNumber = view.getUint16(0);
  const statusCount = view.getUint16(2);
  const referenceTime = view.getInt32(4) >> 8;
  const feedbackPacketCount = fci[7];
  const statuses: number[] = [];
  let offset = 8;
  while (statuses.length < statusCount) {
    if (offset + 2 > fci.length)
      return rtcpFail(
        'ERR_RTCP_TOO_SHORT',
        'packet chunks overrun the packet',
        FEEDBACK_HEADER_SIZE + offset,
      );
    const chunk = view.getUint16(offset);
    const remaining = statusCount - statuses.length;
    if ((chunk & 0x8000) === 0) {
      const symbol = (chunk >>> 13) & 3;
      const run = Math.min(chunk & MAX_RUN_LENGTH, remaining);
      if (symbol === 3 && run > 0)
        return rtcpFail('ERR_RTCP_BAD_FORMAT', 'reserved status symbol', FEEDBACK_HEADER_SIZE + offset);
      for (let i = 0; i < run; i++) statuses.push(symbol);
    } else if ((chunk & 0x4000) === 0) {
      const n = Math.min(14, remaining);
      for (let i = 0; i < n; i++) statuses.push((chunk >>> (13 - i)) & 1);
    } else {
      const n = Math.min(7, remaining);
      for (let i = 0; i < n; i++) {
        const symbol = (chunk >>> (12 - 2 * i)) & 3;
        if (symbol === 3)
          return rtcpFail('ERR_RTCP_BAD_FORMAT', 'reserved status symbol', FEEDBACK_HEADER_SIZE + offset);
        statuses.push(symbol);
      }
    }
    offset += 2;
  }
  const deltas: number[] = [];
  for (const status of statuses) {
    if (status === PacketStatus.SmallDelta) {
      if (offset + 1 > fci.length)
        return rtcpFail(
          'ERR_RTCP_TOO_SHORT',
          'receive deltas overrun the packet',
          FEEDBACK_HEADER_SIZE + offset,
        );
      deltas.push(fci[offset]);
      offset += 1;
    } else if (status === PacketStatus.LargeOrNegativeDelta) {
      if (offset + 2 > fci.length)
        return rtcpFail(
          'ERR_RTCP_TOO_SHORT',
          'receive deltas overrun the packet',
          FEEDBACK_HEADER_SIZE + offset,
        );
      deltas.push(view.getInt16(offset));
      offset += 2;
    }
  }
  return {
    ok: true,
    value: {
      senderSsrc,
      mediaSsrc,
      baseSequenceNumber,
      referenceTime,
      feedbackPacketCount,
      statuses,
      deltas,
    },
  };
}

/**
 * Chooses packet chunks for the statuses: a run-length chunk for runs of 7 or
 * more, otherwise a one-bit vector when the next 14 symbols need no large
 * delta, else a two-bit vector. Returns the 16-bit chunk values.
 */
export function transportCcChunks(statuses: readonly number[]): number[] {
  const chunks: number[] = [];
  let i = 0;
  while (i < statuses.length) {
    const symbol = statuses[i];
    let run = 1;
    while (i + run < statuses.length && statuses[i + run] === symbol && run < MAX_RUN_LENGTH) run++;
    if (run >= 7 || i + run === statuses.length) {
      chunks.push((symbol << 13) | run);
      i += run;
      continue;
    }
    const oneBitCount = Math.min(14, statuses.length - i);
    let oneBit = true;
    for (let k = 0; k < oneBitCount; k++) if (statuses[i + k] > 1) oneBit = false;
    if (oneBit) {
      let chunk = 0x8000;
      for (let k = 0; k < oneBitCount; k++) chunk |= statuses[i + k] << (13 - k);
      chunks.push(chunk);
      i += oneBitCount;
    } else {
      const count = Math.min(7, statuses.length - i);
      let chunk = 0xc000;
      for (let k = 0; k < count; k++) chunk |= statuses[i + k] << (12 - 2 * k);
      chunks.push(chunk);
      i += count;
    }
  }
  return chunks;
}

function deltasSize(statuses: readonly number[]): number {
  let size = 0;
  for (const status of statuses)
    if (status === PacketStatus.SmallDelta) size += 1;
    else if (status === PacketStatus.LargeOrNegativeDelta) size += 2;
  return size;
}

/** Size of the encoded feedback. */
export function transportCcFeedbackSize(feedback: TransportCcFeedback): number {
  const unpadded =
    FEEDBACK_HEADER_SIZE +
    8 +
    2 * transportCcChunks(feedback.statuses).length +
    deltasSize(feedback.statuses);
  return (unpadded + 3) & ~3;
}

function validate(feedback: TransportCcFeedback): void {
  const { statuses, deltas, referenceTime, feedbackPacketCount } = feedback;
  const invalid = (message: string) => new RtcpError('ERR_RTCP_INVALID_ARGUMENT', message);
  if (statuses.length > 0xffff) throw invalid('more than 65535 packet statuses');
  if (!Number.isInteger(referenceTime) || referenceTime < -0x800000 || referenceTime > 0x7fffff)
    throw invalid(`reference time ${referenceTime} is not signed 24-bit`);
  if (feedbackPacketCount < 0 || feedbackPacketCount > 255)
    throw invalid('feedback packet count is not 8-bit');
  let d = 0;
  for (const status of statuses) {
    if (status === PacketStatus.NotReceived) continue;
    const delta = deltas[d++];
    if (status === PacketStatus.SmallDelta) {
      if (!Number.isInteger(delta) || delta < 0 || delta > 255)
        throw invalid(`small delta ${delta} out of range`);
    } else if (status === PacketStatus.LargeOrNegativeDelta) {
      if (!Number.isInteger(delta) || delta < -0x8000 || delta > 0x7fff)
        throw invalid(`large delta ${delta} out of range`);
    } else throw invalid(`packet status ${status} is not 0, 1 or 2`);
  }
  if (d !== deltas.length) throw invalid(`${deltas.length} deltas for ${d} received packets`);
}

/** Writes the feedback at offset and returns the bytes written; throws RtcpError when it cannot. */
export function encodeTransportCcFeedbackTo(
  buf: Uint8Array,
  offset: number,
  feedback: TransportCcFeedback,
): number {
  validate(feedback);
  const chunks = transportCcChunks(feedback.statuses);
  const size = transportCcFeedbackSize(feedback);
  const view = writeFeedbackHeader(
    buf,
    offset,
    RtcpPacketType.TransportFeedback,
    TransportFeedbackFormat.TransportCc,
    size,
    feedback.senderSsrc,
    feedback.mediaSsrc,
  );
  let at = offset + FEEDBACK_HEADER_SIZE;
  view.setUint16(at, feedback.baseSequenceNumber & 0xffff);
  view.setUint16(at + 2, feedback.statuses.length);
  view.setUint32(at + 4, (((feedback.referenceTime & 0xffffff) << 8) | feedback.feedbackPacketCount) >>> 0);
  at += 8;
  for (const chunk of chunks) {
    view.setUint16(at, chunk);
    at += 2;
  }
  let d = 0;
  for (const status of feedback.statuses) {
    if (status === PacketStatus.SmallDelta) {
      buf[at] = feedback.deltas[d++];
      at += 1;
    } else if (status === PacketStatus.LargeOrNegativeDelta) {
      view.setInt16(at, feedback.deltas[d++]);
      at += 2;
    }
  }
  buf.fill(0, at, offset + size);
  return size;
}

/** One packet's outcome, as read from a feedback message. */
export interface TransportCcPacketResult {
  /** Transport-wide sequence number (16-bit). */
  sequenceNumber: number;
  /** Arrival time in microseconds on the receiver's clock, or undefined when not received. */
  arrivalTimeMicroseconds: number | undefined;
}

/**
 * Per-packet results: arrival times accumulate the deltas from the reference
 * time (§3.1.5), so they are comparable across feedback from one receiver.
 */
export function transportCcPacketResults(feedback: TransportCcFeedback): TransportCcPacketResult[] {
  const results: TransportCcPacketResult[] = [];
  let time = feedback.referenceTime * REFERENCE_TIME_UNIT_MICROSECONDS;
  let d = 0;
  feedback.statuses.forEach((status, i) => {
    const sequenceNumber = (feedback.baseSequenceNumber + i) & 0xffff;
    if (status === PacketStatus.NotReceived) {
      results.push({ sequenceNumber, arrivalTimeMicroseconds: undefined });
      return;
    }
    time += feedback.deltas[d++] * DELTA_UNIT_MICROSECONDS;
    results.push({ sequenceNumber, arrivalTimeMicroseconds: time });
  });
  return results;
}
