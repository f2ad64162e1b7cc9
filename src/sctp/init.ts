/**
 * INIT (RFC 9260 §3.3.2) and INIT ACK (§3.3.3) chunks, which share a layout.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |   Type = 1|2  |  Chunk Flags  |      Chunk Length             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                         Initiate Tag                          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |          Advertised Receiver Window Credit (a_rwnd)           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Number of Outbound Streams   |   Number of Inbound Streams   |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                          Initial TSN                          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   \                                                               \
 *   /              Optional/Variable-Length Parameters              /
 *   \                                                               \
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The parameters WebRTC uses are decoded into fields: State Cookie (type 7,
 * INIT ACK only), Forward-TSN-Supported (0xC000, RFC 3758 §3.1) and Supported
 * Extensions (0x8008, RFC 5061 §4.2.7). Any other parameter is kept raw, in
 * order, with its type's upper two bits saying what an unknown one asks
 * (§3.2.1); the association acts on those.
 */
import { CHUNK_HEADER_SIZE, ChunkType, type RawChunk, viewOf, writeChunkHeader } from './chunk-header.js';
import { type SctpResult, sctpFail } from './errors.js';
import {
  decodeParameters,
  encodeParametersTo,
  PARAMETER_HEADER_SIZE,
  parameterPadding,
  parameterSize,
  parametersSize,
  type RawParameter,
  writeParameterHeader,
} from './parameter.js';

/** Size of the fixed part of INIT and INIT ACK, chunk header included. */
export const INIT_HEADER_SIZE = 20;

/** INIT parameter types decoded into fields. */
export const InitParameterType = {
  StateCookie: 7,
  UnrecognizedParameter: 8,
  SupportedExtensions: 0x8008,
  ForwardTsnSupported: 0xc000,
} as const;

/** A decoded INIT or INIT ACK. Views stay valid as long as the packet buffer. */
export interface InitChunk {
  kind: 'init' | 'init-ack';
  /** Verification tag the sender expects on every packet sent to it; never 0. */
  initiateTag: number;
  /** Receive window the sender offers. */
  advertisedReceiverWindowCredit: number;
  /** Number of outbound streams the sender wants. */
  outboundStreams: number;
  /** Maximum number of inbound streams the sender accepts. */
  inboundStreams: number;
  /** TSN of the sender's first DATA chunk. */
  initialTsn: number;
  /** State Cookie (INIT ACK only). */
  stateCookie: Uint8Array | undefined;
  /** Forward-TSN-Supported parameter present (RFC 3758). */
  forwardTsnSupported: boolean;
  /** Chunk types listed in Supported Extensions, when present. */
  supportedExtensions: number[] | undefined;
  /** Every other parameter, raw and in order. */
  otherParameters: RawParameter[];
}

/** Decodes an INIT or INIT ACK. Never throws. */
export function decodeInit(raw: RawChunk): SctpResult<InitChunk> {
  if (raw.type !== ChunkType.Init && raw.type !== ChunkType.InitAck)
    return sctpFail('ERR_SCTP_WRONG_TYPE', 'init', `chunk type ${raw.type}`, 0);
  const fixed = INIT_HEADER_SIZE - CHUNK_HEADER_SIZE;
  if (raw.value.length < fixed)
    return sctpFail(
      'ERR_SCTP_TOO_SHORT',
      'init',
      `INIT value of ${raw.value.length} bytes`,
      CHUNK_HEADER_SIZE,
    );
  const view = viewOf(raw.value);
  const parameters = decodeParameters(raw.value.subarray(fixed), 'init');
  if (!parameters.ok) return parameters;
  const chunk: InitChunk = {
    kind: raw.type === ChunkType.Init ? 'init' : 'init-ack',
    initiateTag: view.getUint32(0),
    advertisedReceiverWindowCredit: view.getUint32(4),
    outboundStreams: view.getUint16(8),
    inboundStreams: view.getUint16(10),
    initialTsn: view.getUint32(12),
    stateCookie: undefined,
    forwardTsnSupported: false,
    supportedExtensions: undefined,
    otherParameters: [],
  };
  for (const parameter of parameters.value) {
    switch (parameter.type) {
      case InitParameterType.StateCookie:
        chunk.stateCookie = parameter.value;
        break;
      case InitParameterType.ForwardTsnSupported:
        chunk.forwardTsnSupported = true;
        break;
      case InitParameterType.SupportedExtensions:
        chunk.supportedExtensions = Array.from(parameter.value);
        break;
      default:
        chunk.otherParameters.push(parameter);
    }
  }
  return { ok: true, value: chunk };
}

/** Encoded size of the chunk, padding included. */
export function initSize(chunk: InitChunk): number {
  let size = INIT_HEADER_SIZE + parametersSize(chunk.otherParameters);
  if (chunk.stateCookie) size += parameterSize(chunk.stateCookie.length);
  if (chunk.forwardTsnSupported) size += PARAMETER_HEADER_SIZE;
  if (chunk.supportedExtensions) size += parameterSize(chunk.supportedExtensions.length);
  return size;
}

/**
 * Writes the chunk at offset and returns the bytes written; throws SctpError
 * when it cannot. Parameters go in a fixed order: cookie, Forward-TSN-Supported,
 * Supported Extensions, then the others.
 */
export function encodeInitTo(buf: Uint8Array, offset: number, chunk: InitChunk): number {
  const size = initSize(chunk);
  // §3.2: the chunk length covers the padding of every parameter but the last.
  const others = chunk.otherParameters;
  let lastValueLength = 0;
  if (others.length > 0) lastValueLength = others[others.length - 1].value.length;
  else if (chunk.supportedExtensions) lastValueLength = chunk.supportedExtensions.length;
  else if (!chunk.forwardTsnSupported && chunk.stateCookie) lastValueLength = chunk.stateCookie.length;
  const type = chunk.kind === 'init' ? ChunkType.Init : ChunkType.InitAck;
  const length = size - parameterPadding(lastValueLength);
  const view = writeChunkHeader(buf, offset, type, 0, length, 'init');
  view.setUint32(offset + 4, chunk.initiateTag >>> 0);
  view.setUint32(offset + 8, chunk.advertisedReceiverWindowCredit >>> 0);
  view.setUint16(offset + 12, chunk.outboundStreams & 0xffff);
  view.setUint16(offset + 14, chunk.inboundStreams & 0xffff);
  view.setUint32(offset + 16, chunk.initialTsn >>> 0);
  let at = offset + INIT_HEADER_SIZE;
  if (chunk.stateCookie) {
    writeParameterHeader(buf, at, InitParameterType.StateCookie, chunk.stateCookie.length, 'init');
    buf.set(chunk.stateCookie, at + PARAMETER_HEADER_SIZE);
    at += parameterSize(chunk.stateCookie.length);
  }
  if (chunk.forwardTsnSupported) {
    writeParameterHeader(buf, at, InitParameterType.ForwardTsnSupported, 0, 'init');
    at += PARAMETER_HEADER_SIZE;
  }
  if (chunk.supportedExtensions) {
    const types = chunk.supportedExtensions;
    writeParameterHeader(buf, at, InitParameterType.SupportedExtensions, types.length, 'init');
    for (let i = 0; i < types.length; i++) buf[at + PARAMETER_HEADER_SIZE + i] = types[i];
    at += parameterSize(types.length);
  }
  at += encodeParametersTo(buf, at, chunk.otherParameters, 'init');
  return at - offset;
}
