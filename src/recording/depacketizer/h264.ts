/**
 * H.264 depacketizer (RFC 6184), non-interleaved mode (packetization-mode 0
 * or 1, §6.2–§6.3, what WebRTC uses): single NAL unit packets (§5.6),
 * STAP-A (§5.7.1) and FU-A (§5.8). The interleaved-mode types STAP-B,
 * MTAP16/24 and FU-B are refused.
 *
 * NAL unit header (§5.3) and FU header (§5.8):
 *
 *      +---------------+      +---------------+
 *      |0|1|2|3|4|5|6|7|      |0|1|2|3|4|5|6|7|
 *      +-+-+-+-+-+-+-+-+      +-+-+-+-+-+-+-+-+
 *      |F|NRI|  Type   |      |S|E|R|  Type   |
 *      +---------------+      +---------------+
 *
 * STAP-A: the STAP-A NAL header, then for each aggregated NAL unit a 16-bit
 * size and the unit. FU-A: the FU indicator (F and NRI of the fragmented
 * unit, type 28), the FU header (S on the first fragment, E on the last,
 * the original type), then a fragment; the fragmented unit's header is
 * rebuilt from F|NRI of the indicator and the type of the FU header.
 *
 * All packets of an access unit carry the same timestamp and the marker is
 * set on the last one (§5.1). The output is an AVC length-prefixed sample
 * (4-byte lengths, ISO/IEC 14496-15 §5.3.2) as Matroska's V_MPEG4/ISO/AVC
 * stores it. SPS and PPS seen in the stream (or given from the SDP's
 * sprop-parameter-sets) are kept: a key frame (one with an IDR slice) that
 * arrives without them gets the latest ones put in front, so that every
 * stored key frame decodes on its own; without any it is not a key frame.
 */

import { AVC_NAL_LENGTH_SIZE, NalUnitType, nalUnitToRbsp, parseH264Sps } from '../avc-config.js';
import { BitReader } from '../bit-reader.js';
import { type AssembleResult, concatBytes, malformed, type PayloadDepacketizer } from './types.js';

/** RTP packet types of RFC 6184 Table 1. */
const STAP_A = 24;
const FU_A = 28;

/**
 * True when a NAL unit can only begin an access unit (§7.4.1.2.3): an access
 * unit delimiter or an SPS. A slice with first_mb_in_slice = 0 also begins a
 * picture, but the SPS and PPS sent before it may have been lost with a
 * change in them, so after a loss only these two prove a start.
 */
function nalStartsAccessUnit(type: number): boolean {
  return type === NalUnitType.AccessUnitDelimiter || type === NalUnitType.Sps;
}

/** The id of a PPS (§7.3.2.2: pic_parameter_set_id is its first field), or -1. */
function ppsId(nal: Uint8Array): number {
  const reader = new BitReader(nalUnitToRbsp(nal));
  const id = reader.ue();
  return reader.overrun || id > 255 ? -1 : id;
}

/** Reassembles H.264 access units into AVC samples and keeps the parameter sets. */
export class H264Depacketizer implements PayloadDepacketizer {
  readonly codec = 'h264' as const;
  readonly packetIsFrame = false;
  readonly #sps = new Map<number, Uint8Array>();
  readonly #pps = new Map<number, Uint8Array>();

  /** The latest SPS per id and PPS per id, header byte included. */
  get parameterSets(): { sps: Uint8Array[]; pps: Uint8Array[] } {
    return { sps: [...this.#sps.values()], pps: [...this.#pps.values()] };
  }

  /** Adds parameter sets known out of band (SDP sprop-parameter-sets, RFC 6184 §8.1). Others are ignored. */
  addParameterSets(units: readonly Uint8Array[]): void {
    for (const unit of units) this.#remember(unit);
  }

  startsFrame(payload: Uint8Array): boolean {
    if (payload.length < 2 || payload[0] & 0x80) return false;
    const type = payload[0] & 0x1f;
    if (type === STAP_A) {
      if (payload.length < 4) return false;
      const size = (payload[1] << 8) | payload[2];
      if (size === 0 || 3 + size > payload.length) return false;
      return nalStartsAccessUnit(payload[3] & 0x1f);
    }
    if (type === FU_A) return (payload[1] & 0x80) !== 0 && nalStartsAccessUnit(payload[1] & 0x1f);
    if (type >= 1 && type <= 23) return nalStartsAccessUnit(type);
    return false;
  }

  assemble(payloads: readonly Uint8Array[]): AssembleResult {
    const units: Uint8Array[] = [];
    let fragments: Uint8Array[] | undefined;
    let fragmentType = 0;
    for (const payload of payloads) {
      if (payload.length < 1) return malformed('empty payload');
      const indicator = payload[0];
      if (indicator & 0x80) return malformed('forbidden_zero_bit set');
      const type = indicator & 0x1f;
      if (fragments && type !== FU_A) return malformed('FU-A not ended before another packet');
      if (type >= 1 && type <= 23) {
        units.push(payload);
      } else if (type === STAP_A) {
        let at = 1;
        if (payload.length < 4) return malformed('STAP-A without a unit');
        while (at < payload.length) {
          if (at + 2 > payload.length) return malformed('truncated STAP-A size');
          const size = (payload[at] << 8) | payload[at + 1];
          at += 2;
          if (size === 0 || at + size > payload.length) return malformed('STAP-A size overruns the packet');
          const unit = payload.subarray(at, at + size);
          const unitType = unit[0] & 0x1f;
          if (unit[0] & 0x80 || unitType < 1 || unitType > 23)
            return malformed(`STAP-A holds NAL type ${unitType}`);
          units.push(unit);
          at += size;
        }
      } else if (type === FU_A) {
        if (payload.length < 3) return malformed('FU-A without data');
        const header = payload[1];
        const start = (header & 0x80) !== 0;
        const end = (header & 0x40) !== 0;
        const innerType = header & 0x1f;
        if (innerType < 1 || innerType > 23) return malformed(`FU-A of NAL type ${innerType}`);
        if (start && end) return malformed('FU-A with both S and E');
        if (start) {
          if (fragments) return malformed('FU-A starts again before it ended');
          fragments = [Uint8Array.of((indicator & 0xe0) | innerType)];
          fragmentType = innerType;
        } else if (!fragments || innerType !== fragmentType) {
          return malformed('FU-A continuation without its start');
        }
        fragments.push(payload.subarray(2));
        if (end) {
          units.push(concatBytes(fragments));
          fragments = undefined;
        }
      } else {
        return malformed(`packet type ${type} is not supported in non-interleaved mode`);
      }
    }
    if (fragments) return malformed('FU-A not ended');
    return this.#sample(units);
  }

  #sample(units: Uint8Array[]): AssembleResult {
    let hasIdr = false;
    let hasSlice = false;
    let hasSps = false;
    let hasPps = false;
    for (const unit of units) {
      const type = unit[0] & 0x1f;
      if (type === NalUnitType.Sps) hasSps = true;
      else if (type === NalUnitType.Pps) hasPps = true;
      else if (type === NalUnitType.Idr) hasIdr = true;
      if (type >= NalUnitType.Slice && type <= NalUnitType.Idr) hasSlice = true;
      this.#remember(unit);
    }
    // Parameter sets or SEI alone: kept for later, nothing to store.
    if (!hasSlice) return { kind: 'empty' };
    let keyframe = hasIdr;
    if (keyframe && !(hasSps && hasPps)) {
      if (this.#sps.size > 0 && this.#pps.size > 0) {
        const missing = [...(hasSps ? [] : this.#sps.values()), ...(hasPps ? [] : this.#pps.values())];
        units = [...missing, ...units];
      } else {
        keyframe = false;
      }
    }
    let size = 0;
    for (const unit of units) size += AVC_NAL_LENGTH_SIZE + unit.length;
    const data = new Uint8Array(size);
    let at = 0;
    for (const unit of units) {
      const length = unit.length;
      data[at] = length >>> 24;
      data[at + 1] = (length >>> 16) & 0xff;
      data[at + 2] = (length >>> 8) & 0xff;
      data[at + 3] = length & 0xff;
      data.set(unit, at + AVC_NAL_LENGTH_SIZE);
      at += AVC_NAL_LENGTH_SIZE + length;
    }
    return { kind: 'frame', data, keyframe };
  }

  #remember(unit: Uint8Array): void {
    const type = unit[0] & 0x1f;
    if (type === NalUnitType.Sps) {
      const sps = parseH264Sps(unit);
      if (sps) this.#sps.set(sps.spsId, unit.slice());
    } else if (type === NalUnitType.Pps) {
      const id = ppsId(unit);
      if (id >= 0) this.#pps.set(id, unit.slice());
    }
  }
}
