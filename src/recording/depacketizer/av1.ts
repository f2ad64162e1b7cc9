/**
 * AV1 depacketizer ("RTP Payload Format For AV1", AOMedia, v1.0.0, §4–§5).
 *
 * Every payload starts with the aggregation header (§4.4):
 *
 *     0 1 2 3 4 5 6 7
 *    +-+-+-+-+-+-+-+-+
 *    |Z|Y| W |N|-|-|-|
 *    +-+-+-+-+-+-+-+-+
 *
 * Z: the first OBU element continues an OBU fragment of the previous packet.
 * Y: the last OBU element continues in the next packet.
 * W: number of OBU elements; 0 means each element is preceded by its leb128
 *    length, otherwise the first W - 1 are and the last runs to the end.
 * N: first packet of a coded video sequence.
 *
 * OBU elements are OBUs, usually without obu_size (§4.5: obu_has_size_field
 * SHOULD be 0); one with obu_size must end exactly where the element does.
 * All packets of a temporal unit share the timestamp and the marker is set
 * on its last packet (§4.2). Temporal delimiters and tile lists are dropped
 * (§5: receivers MUST ignore them), and padding OBUs too.
 *
 * The output is the temporal unit in the low overhead bitstream format (AV1
 * §5.2): every OBU with obu_has_size_field = 1, as Matroska's V_AV1 stores
 * blocks. A key frame is a temporal unit holding a sequence header and
 * whose first frame header is a shown KEY_FRAME; one that arrives without
 * the sequence header gets the latest one put in front.
 */
import {
  type Av1Obu,
  Av1ObuType,
  type Av1SequenceHeader,
  av1ObuSize,
  decodeLeb128,
  encodeAv1ObuTo,
  isAv1KeyFrameHeader,
  parseAv1SequenceHeader,
  readAv1Obu,
} from '../av1-config.js';
import { type AssembleResult, concatBytes, malformed, type PayloadDepacketizer } from './types.js';

const Z_BIT = 0x80;
const Y_BIT = 0x40;
const N_BIT = 0x08;

/** OBU types kept in the output (§6.2.2); the rest are dropped. */
const KEPT_OBU_TYPES: ReadonlySet<number> = new Set([
  Av1ObuType.SequenceHeader,
  Av1ObuType.FrameHeader,
  Av1ObuType.TileGroup,
  Av1ObuType.Metadata,
  Av1ObuType.Frame,
  Av1ObuType.RedundantFrameHeader,
]);

/** The OBU elements of one packet (views), or a reason it is malformed. */
function packetElements(payload: Uint8Array): Uint8Array[] | string {
  const count = (payload[0] >>> 4) & 0x03;
  const elements: Uint8Array[] = [];
  let at = 1;
  while (at < payload.length) {
    if (count !== 0 && elements.length === count - 1) {
      elements.push(payload.subarray(at));
      at = payload.length;
      break;
    }
    const length = decodeLeb128(payload, at);
    if (length === undefined) return 'bad OBU element length';
    at += length.length;
    if (at + length.value > payload.length) return 'OBU element overruns the packet';
    elements.push(payload.subarray(at, at + length.value));
    at += length.value;
  }
  if (elements.length === 0) return 'packet without OBU elements';
  if (count !== 0 && elements.length !== count) return `W = ${count} but ${elements.length} elements`;
  return elements;
}

/** Reassembles AV1 temporal units and keeps the latest sequence header. */
export class Av1Depacketizer implements PayloadDepacketizer {
  readonly codec = 'av1' as const;
  readonly packetIsFrame = false;
  #sequenceHeader: Av1Obu | undefined;
  #sequence: Av1SequenceHeader | undefined;

  /** The latest sequence header OBU seen, if any. */
  get sequenceHeader(): Av1Obu | undefined {
    return this.#sequenceHeader;
  }

  startsFrame(payload: Uint8Array): boolean {
    if (payload.length < 2) return false;
    const aggregation = payload[0];
    if (aggregation & Z_BIT) return false;
    if (aggregation & N_BIT) return true;
    // Without N, only a sequence header or temporal delimiter first proves a temporal unit starts here.
    let at = 1;
    if (((aggregation >>> 4) & 0x03) !== 1) {
      const length = decodeLeb128(payload, at);
      if (length === undefined || length.value === 0) return false;
      at += length.length;
    }
    if (at >= payload.length) return false;
    const type = (payload[at] >>> 3) & 0x0f;
    return type === Av1ObuType.SequenceHeader || type === Av1ObuType.TemporalDelimiter;
  }

  assemble(payloads: readonly Uint8Array[]): AssembleResult {
    const elements: Uint8Array[] = [];
    let fragment: Uint8Array[] | undefined;
    for (let i = 0; i < payloads.length; i++) {
      const payload = payloads[i];
      if (payload.length < 2) return malformed('packet without OBU data');
      const aggregation = payload[0];
      const continues = (aggregation & Z_BIT) !== 0;
      if (continues !== (fragment !== undefined))
        return malformed(
          continues ? 'Z set without a fragment to continue' : 'fragment not continued (Z = 0)',
        );
      const parts = packetElements(payload);
      if (typeof parts === 'string') return malformed(parts);
      for (let j = 0; j < parts.length; j++) {
        if (j === 0 && fragment) fragment.push(parts[j]);
        else fragment = [parts[j]];
        if (!(j === parts.length - 1 && aggregation & Y_BIT)) {
          elements.push(fragment.length === 1 ? fragment[0] : concatBytes(fragment));
          fragment = undefined;
        }
      }
    }
    if (fragment) return malformed('last OBU fragment not finished (Y = 1)');
    const obus: Av1Obu[] = [];
    for (const element of elements) {
      const read = readAv1Obu(element, 0);
      if (read === undefined || read.next !== element.length) return malformed('invalid OBU');
      if (KEPT_OBU_TYPES.has(read.obu.type)) obus.push(read.obu);
    }
    return this.#temporalUnit(obus);
  }

  #temporalUnit(obus: Av1Obu[]): AssembleResult {
    let sequenceInUnit = false;
    let firstFrameHeader: Av1Obu | undefined;
    for (const obu of obus) {
      if (obu.type === Av1ObuType.SequenceHeader) {
        const sequence = parseAv1SequenceHeader(obu.payload);
        if (sequence === undefined) return malformed('invalid sequence header');
        this.#sequence = sequence;
        this.#sequenceHeader = { ...obu, header: obu.header.slice(), payload: obu.payload.slice() };
        sequenceInUnit = true;
      } else if (
        firstFrameHeader === undefined &&
        (obu.type === Av1ObuType.Frame || obu.type === Av1ObuType.FrameHeader)
      ) {
        firstFrameHeader = obu;
      }
    }
    // A sequence header or metadata alone: remembered, nothing to store.
    if (firstFrameHeader === undefined) return obus.length > 0 ? { kind: 'empty' } : malformed('no OBUs');
    const sequence = this.#sequence;
    let keyframe = sequence !== undefined && isAv1KeyFrameHeader(firstFrameHeader.payload, sequence);
    if (keyframe && !sequenceInUnit) obus = [this.#sequenceHeader!, ...obus];
    if (sequence === undefined) keyframe = false;
    let size = 0;
    for (const obu of obus) size += av1ObuSize(obu);
    const data = new Uint8Array(size);
    let at = 0;
    for (const obu of obus) at = encodeAv1ObuTo(data, at, obu);
    return { kind: 'frame', data, keyframe };
  }
}
