/**
 * VP9 RTP payload descriptor (RFC 9628 §4.2), as far as key frame detection
 * needs it.
 *
 *         0 1 2 3 4 5 6 7
 *        +-+-+-+-+-+-+-+-+
 *        |I|P|L|F|B|E|V|Z| (REQUIRED)
 *        +-+-+-+-+-+-+-+-+
 *   I:   |M| PICTURE ID  | (present when I = 1)
 *        +-+-+-+-+-+-+-+-+
 *   M:   | EXTENDED PID  | (present when M = 1)
 *        +-+-+-+-+-+-+-+-+
 *   L:   |  TID  |U| SID |D| (present when L = 1)
 *        +-+-+-+-+-+-+-+-+
 *        |   TL0PICIDX   | (present when L = 1 and F = 0)
 *        +-+-+-+-+-+-+-+-+
 *
 * P = 1 means the picture depends on an earlier picture (inter-picture
 * prediction); B = 1 marks the first packet of a layer frame. A key frame is
 * the start (B = 1) of a picture that depends on no earlier one (P = 0) in the
 * base spatial layer (SID = 0, which also cannot depend on a lower layer).
 */

/** Bits of the first descriptor byte. */
const PICTURE_ID_PRESENT = 0x80;
const INTER_PICTURE_PREDICTED = 0x40;
const LAYER_INDICES_PRESENT = 0x20;
const START_OF_FRAME = 0x08;

/** True when the packet starts a VP9 key frame. Never throws. */
export function isKeyframe(payload: Uint8Array): boolean {
  const length = payload.length;
  if (length < 1) return false;
  const first = payload[0];
  if ((first & INTER_PICTURE_PREDICTED) !== 0 || (first & START_OF_FRAME) === 0) return false;
  let at = 1;
  if (first & PICTURE_ID_PRESENT) {
    if (at >= length) return false;
    at += payload[at] & 0x80 ? 2 : 1;
  }
  if (first & LAYER_INDICES_PRESENT) {
    if (at >= length) return false;
    const spatialLayerId = (payload[at] >>> 1) & 0x07;
    if (spatialLayerId !== 0) return false;
  }
  return true;
}

/** The spatial layer (SID) of the packet, 0 when the descriptor has no layer indices, -1 when truncated. */
export function vp9SpatialLayerId(payload: Uint8Array): number {
  const layer = layerIndicesOffset(payload);
  if (layer === -1) return -1;
  if (layer === 0) return 0;
  return (payload[layer] >>> 1) & 0x07;
}

/** The temporal layer (TID) of the packet, 0 when the descriptor has no layer indices, -1 when truncated. */
export function vp9TemporalLayerId(payload: Uint8Array): number {
  const layer = layerIndicesOffset(payload);
  if (layer === -1) return -1;
  if (layer === 0) return 0;
  return payload[layer] >>> 5;
}

/** Offset of the layer indices byte, 0 when absent, -1 when truncated. */
function layerIndicesOffset(payload: Uint8Array): number {
  const length = payload.length;
  if (length < 1) return -1;
  const first = payload[0];
  let at = 1;
  if (first & PICTURE_ID_PRESENT) {
    if (at >= length) return -1;
    at += payload[at] & 0x80 ? 2 : 1;
  }
  if ((first & LAYER_INDICES_PRESENT) === 0) return 0;
  return at < length ? at : -1;
}
