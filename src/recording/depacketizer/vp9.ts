/**
 * VP9 depacketizer (RFC 9628, "RTP Payload Format for VP9 Video").
 *
 * Payload descriptor (§4.2), flexible mode (F = 1) and non-flexible mode:
 *
 *          0 1 2 3 4 5 6 7
 *         +-+-+-+-+-+-+-+-+
 *         |I|P|L|F|B|E|V|Z| (REQUIRED)
 *         +-+-+-+-+-+-+-+-+
 *    I:   |M| PICTURE ID  | (present when I = 1)
 *    M:   | EXTENDED PID  | (present when M = 1)
 *         +-+-+-+-+-+-+-+-+
 *    L:   | TID |U| SID |D| (present when L = 1)
 *         +-+-+-+-+-+-+-+-+
 *         |   TL0PICIDX   | (present when L = 1 and F = 0)
 *         +-+-+-+-+-+-+-+-+
 *   P,F:  | P_DIFF      |N| (when F = 1 and P = 1; up to 3, N = 1: one more)
 *         +-+-+-+-+-+-+-+-+
 *    V:   | SS            | (scalability structure, §4.2.1)
 *         +-+-+-+-+-+-+-+-+
 *
 * Scalability structure (§4.2.1):
 *
 *         | N_S |Y|G|-|-|-|
 *         | WIDTH, HEIGHT (16 bits each) × (N_S + 1) (when Y = 1)
 *         | N_G (when G = 1)
 *         | TID |U| R |-|-| then R × P_DIFF (8 bits), N_G times
 *
 * B = 1 starts a layer frame and E = 1 ends it (§4.2: both MUST be set on
 * the first and last packet of each layer frame). All packets of a picture
 * share the RTP timestamp; the marker is set on the last packet of the
 * picture. A picture with several spatial layer frames is stored as a VP9
 * superframe (VP9 Bitstream Specification Annex B), which is how Matroska
 * and WebM hold VP9 SVC.
 *
 * A key frame is a picture whose first layer frame starts with P = 0 in the
 * base spatial layer (SID = 0) and whose uncompressed header says KEY_FRAME:
 * the header check matters because some senders (FFmpeg's packetizer) send
 * only the B and E bits and leave P clear on every packet.
 */
import { buildVp9Superframe, parseVp9FrameHeader, vp9SuperframeSizes } from '../vpx-frame-header.js';
import { type AssembleResult, concatBytes, malformed, type PayloadDepacketizer } from './types.js';

/** A parsed VP9 payload descriptor; -1 marks an absent number. */
export interface Vp9Descriptor {
  /** P: the picture depends on an earlier picture. */
  interPicturePredicted: boolean;
  /** F: flexible mode. */
  flexible: boolean;
  /** B: first packet of a layer frame. */
  startOfLayerFrame: boolean;
  /** E: last packet of a layer frame. */
  endOfLayerFrame: boolean;
  /** Z: not a reference for upper spatial layers. */
  notUpperReference: boolean;
  /** 7- or 15-bit picture ID, or -1. */
  pictureId: number;
  /** Temporal layer (TID), or -1 without layer indices. */
  temporalId: number;
  /** Spatial layer (SID), or -1 without layer indices. */
  spatialId: number;
  /** D: depends on the spatial layer below. */
  interLayerDependency: boolean;
  /** TL0PICIDX in non-flexible mode, or -1. */
  tl0PicIdx: number;
  /** Reference picture ID differences (flexible mode). */
  referenceDiffs: number[];
  /** Per spatial layer resolution from the scalability structure, when it has one. */
  resolutions: { width: number; height: number }[];
  /** Bytes of the descriptor: the VP9 data starts here. */
  descriptorLength: number;
}

/** Reads a VP9 payload descriptor; undefined when truncated or more than 3 P_DIFFs are chained. Never throws. */
export function parseVp9Descriptor(payload: Uint8Array): Vp9Descriptor | undefined {
  const length = payload.length;
  if (length < 1) return undefined;
  const first = payload[0];
  const pictureIdPresent = (first & 0x80) !== 0;
  const interPicturePredicted = (first & 0x40) !== 0;
  const layerIndices = (first & 0x20) !== 0;
  const flexible = (first & 0x10) !== 0;
  const ssPresent = (first & 0x02) !== 0;
  let at = 1;
  let pictureId = -1;
  if (pictureIdPresent) {
    if (at >= length) return undefined;
    const high = payload[at++];
    if (high & 0x80) {
      if (at >= length) return undefined;
      pictureId = ((high & 0x7f) << 8) | payload[at++];
    } else {
      pictureId = high;
    }
  }
  let temporalId = -1;
  let spatialId = -1;
  let interLayerDependency = false;
  let tl0PicIdx = -1;
  if (layerIndices) {
    if (at >= length) return undefined;
    const layer = payload[at++];
    temporalId = layer >>> 5;
    spatialId = (layer >>> 1) & 0x07;
    interLayerDependency = (layer & 0x01) !== 0;
    if (!flexible) {
      if (at >= length) return undefined;
      tl0PicIdx = payload[at++];
    }
  }
  const referenceDiffs: number[] = [];
  if (flexible && interPicturePredicted) {
    for (;;) {
      if (at >= length || referenceDiffs.length === 3) return undefined;
      const byte = payload[at++];
      referenceDiffs.push(byte >>> 1);
      if ((byte & 0x01) === 0) break;
    }
  }
  const resolutions: { width: number; height: number }[] = [];
  if (ssPresent) {
    if (at >= length) return undefined;
    const ss = payload[at++];
    const layers = (ss >>> 5) + 1;
    if (ss & 0x10) {
      if (at + 4 * layers > length) return undefined;
      for (let i = 0; i < layers; i++, at += 4)
        resolutions.push({
          width: (payload[at] << 8) | payload[at + 1],
          height: (payload[at + 2] << 8) | payload[at + 3],
        });
    }
    if (ss & 0x08) {
      if (at >= length) return undefined;
      const groups = payload[at++];
      for (let i = 0; i < groups; i++) {
        if (at >= length) return undefined;
        const references = (payload[at++] >>> 2) & 0x03;
        at += references;
        if (at > length) return undefined;
      }
    }
  }
  return {
    interPicturePredicted,
    flexible,
    startOfLayerFrame: (first & 0x08) !== 0,
    endOfLayerFrame: (first & 0x04) !== 0,
    notUpperReference: (first & 0x01) !== 0,
    pictureId,
    temporalId,
    spatialId,
    interLayerDependency,
    tl0PicIdx,
    referenceDiffs,
    resolutions,
    descriptorLength: at,
  };
}

/** At most this many frames fit a superframe index (Annex B: 3 bits of count). */
const MAX_SUPERFRAME_FRAMES = 8;

/** Reassembles VP9 pictures, packing spatial layers into a superframe. */
export class Vp9Depacketizer implements PayloadDepacketizer {
  readonly codec = 'vp9' as const;
  readonly packetIsFrame = false;

  startsFrame(payload: Uint8Array): boolean {
    const descriptor = parseVp9Descriptor(payload);
    return (
      descriptor?.startOfLayerFrame === true &&
      descriptor.spatialId <= 0 &&
      descriptor.descriptorLength < payload.length
    );
  }

  assemble(payloads: readonly Uint8Array[]): AssembleResult {
    const layerFrames: Uint8Array[][] = [];
    let first: Vp9Descriptor | undefined;
    let previousEnded = false;
    for (let i = 0; i < payloads.length; i++) {
      const payload = payloads[i];
      const descriptor = parseVp9Descriptor(payload);
      if (descriptor === undefined) return malformed('truncated payload descriptor');
      if (descriptor.descriptorLength >= payload.length) return malformed('packet without VP9 data');
      if (i === 0) {
        if (!descriptor.startOfLayerFrame) return malformed('first packet does not start a layer frame');
        first = descriptor;
      } else if (descriptor.startOfLayerFrame !== previousEnded) {
        return malformed(
          descriptor.startOfLayerFrame ? 'layer frame starts before E' : 'data after E without B',
        );
      }
      if (descriptor.startOfLayerFrame) layerFrames.push([]);
      layerFrames[layerFrames.length - 1].push(payload.subarray(descriptor.descriptorLength));
      previousEnded = descriptor.endOfLayerFrame;
    }
    if (first === undefined) return malformed('no packets');
    if (!previousEnded) return malformed('last packet without E');
    const frames: Uint8Array[] = [];
    for (const parts of layerFrames) {
      const layerFrame = concatBytes(parts);
      if (parseVp9FrameHeader(layerFrame) === undefined) return malformed('invalid VP9 uncompressed header');
      // A layer frame may itself be a superframe (FFmpeg sends hidden + shown frames so); flatten to repack.
      const sizes = layerFrames.length > 1 ? vp9SuperframeSizes(layerFrame) : undefined;
      if (sizes === undefined) {
        frames.push(layerFrame);
        continue;
      }
      let at = 0;
      for (const size of sizes) {
        frames.push(layerFrame.subarray(at, at + size));
        at += size;
      }
    }
    if (frames.length > MAX_SUPERFRAME_FRAMES)
      return malformed(`${frames.length} frames exceed a superframe`);
    const header = parseVp9FrameHeader(frames[0])!;
    const keyframe = !first.interPicturePredicted && first.spatialId <= 0 && header.keyframe;
    return { kind: 'frame', data: buildVp9Superframe(frames), keyframe };
  }
}
