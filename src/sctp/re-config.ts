/**
 * RE-CONFIG chunk (RFC 6525 §3.1) with the parameters data channels use:
 * Outgoing SSN Reset Request (§4.1), Incoming SSN Reset Request (§4.2) and
 * Re-configuration Response (§4.4). Other parameters are kept raw.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   | Type = 130    |  Chunk Flags  |      Chunk Length             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   \                                                               \
 *   /                  Re-configuration Parameter                   /
 *   \                                                               \
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   \                                                               \
 *   /             Re-configuration Parameter (optional)             /
 *   \                                                               \
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Outgoing SSN Reset Request Parameter (type 13):
 *   | Re-configuration Request Sequence Number                      |
 *   | Re-configuration Response Sequence Number                     |
 *   | Sender's Last Assigned TSN                                    |
 *   | Stream Number 1 (optional)    |  Stream Number 2 (optional)   | ...
 *
 * Incoming SSN Reset Request Parameter (type 14):
 *   | Re-configuration Request Sequence Number                      |
 *   | Stream Number 1 (optional)    |  Stream Number 2 (optional)   | ...
 *
 * Re-configuration Response Parameter (type 16):
 *   | Re-configuration Response Sequence Number                     |
 *   | Result                                                        |
 *   | Sender's Next TSN (optional)                                  |
 *   | Receiver's Next TSN (optional)                                |
 *
 * An empty stream list means every stream. RFC 6525 §3.1 allows one or two
 * parameters per chunk; the decoder accepts any number and leaves that rule
 * to the association.
 */
import { CHUNK_HEADER_SIZE, ChunkType, type RawChunk, viewOf, writeChunkHeader } from './chunk-header.js';
import { type SctpResult, sctpFail } from './errors.js';
import {
  decodeParameters,
  encodeParameterTo,
  PARAMETER_HEADER_SIZE,
  parameterPadding,
  parameterSize,
  type RawParameter,
  writeParameterHeader,
} from './parameter.js';

/** Re-configuration parameter types (RFC 6525 §4). */
export const ReconfigParameterType = {
  OutgoingSsnResetRequest: 13,
  IncomingSsnResetRequest: 14,
  SsnTsnResetRequest: 15,
  ReconfigurationResponse: 16,
  AddOutgoingStreamsRequest: 17,
  AddIncomingStreamsRequest: 18,
} as const;

/** Results of a Re-configuration Response (RFC 6525 §4.4, §5.2). */
export const ReconfigResult = {
  SuccessNothingToDo: 0,
  SuccessPerformed: 1,
  Denied: 2,
  ErrorWrongSsn: 3,
  ErrorRequestAlreadyInProgress: 4,
  ErrorBadSequenceNumber: 5,
  InProgress: 6,
} as const;

/** Asks the receiver to reset its incoming side of streams the sender resets outgoing. */
export interface OutgoingSsnResetRequest {
  kind: 'outgoing-ssn-reset';
  /** This request's sequence number. */
  requestSequenceNumber: number;
  /** The peer request this one answers, or the sender's last response sequence number. */
  responseSequenceNumber: number;
  /** The sender's last assigned TSN before the reset. */
  senderLastAssignedTsn: number;
  /** Streams to reset; empty means all. */
  streamIds: number[];
}

/** Asks the receiver to reset its outgoing side of streams. */
export interface IncomingSsnResetRequest {
  kind: 'incoming-ssn-reset';
  /** This request's sequence number. */
  requestSequenceNumber: number;
  /** Streams to reset; empty means all. */
  streamIds: number[];
}

/** The answer to a request. */
export interface ReconfigResponse {
  kind: 'response';
  /** The request answered. */
  responseSequenceNumber: number;
  /** One of ReconfigResult. */
  result: number;
  /** Sender's and receiver's next TSN, present together or not at all (SSN/TSN reset only). */
  nextTsns: { sender: number; receiver: number } | undefined;
}

/** A parameter this layer does not interpret, kept raw. */
export interface OtherReconfigParameter {
  kind: 'other';
  /** The raw parameter (value is a view). */
  parameter: RawParameter;
}

/** One re-configuration parameter. */
export type ReconfigParameter =
  | OutgoingSsnResetRequest
  | IncomingSsnResetRequest
  | ReconfigResponse
  | OtherReconfigParameter;

/** A decoded RE-CONFIG. */
export interface ReConfigChunk {
  kind: 're-config';
  /** The parameters, in order. */
  parameters: ReconfigParameter[];
}

function streamList(view: DataView, from: number, length: number): number[] | undefined {
  if ((length - from) % 2 !== 0) return undefined;
  const streams: number[] = [];
  for (let at = from; at < length; at += 2) streams.push(view.getUint16(at));
  return streams;
}

function decodeReconfigParameter(parameter: RawParameter): SctpResult<ReconfigParameter> {
  const { type, value } = parameter;
  const view = viewOf(value);
  switch (type) {
    case ReconfigParameterType.OutgoingSsnResetRequest: {
      const streamIds = value.length >= 12 ? streamList(view, 12, value.length) : undefined;
      if (!streamIds)
        return sctpFail('ERR_SCTP_BAD_LENGTH', 're-config', `outgoing reset of ${value.length}`);
      return {
        ok: true,
        value: {
          kind: 'outgoing-ssn-reset',
          requestSequenceNumber: view.getUint32(0),
          responseSequenceNumber: view.getUint32(4),
          senderLastAssignedTsn: view.getUint32(8),
          streamIds,
        },
      };
    }
    case ReconfigParameterType.IncomingSsnResetRequest: {
      const streamIds = value.length >= 4 ? streamList(view, 4, value.length) : undefined;
      if (!streamIds)
        return sctpFail('ERR_SCTP_BAD_LENGTH', 're-config', `incoming reset of ${value.length}`);
      return {
        ok: true,
        value: { kind: 'incoming-ssn-reset', requestSequenceNumber: view.getUint32(0), streamIds },
      };
    }
    case ReconfigParameterType.ReconfigurationResponse: {
      if (value.length !== 8 && value.length !== 16)
        return sctpFail('ERR_SCTP_BAD_LENGTH', 're-config', `response of ${value.length}`);
      return {
        ok: true,
        value: {
          kind: 'response',
          responseSequenceNumber: view.getUint32(0),
          result: view.getUint32(4),
          nextTsns:
            value.length === 16 ? { sender: view.getUint32(8), receiver: view.getUint32(12) } : undefined,
        },
      };
    }
    default:
      return { ok: true, value: { kind: 'other', parameter } };
  }
}

/** Decodes a RE-CONFIG. Never throws. */
export function decodeReConfig(raw: RawChunk): SctpResult<ReConfigChunk> {
  if (raw.type !== ChunkType.ReConfig)
    return sctpFail('ERR_SCTP_WRONG_TYPE', 're-config', `chunk type ${raw.type}`, 0);
  const list = decodeParameters(raw.value, 're-config');
  if (!list.ok) return list;
  const parameters: ReconfigParameter[] = [];
  for (const raw of list.value) {
    const decoded = decodeReconfigParameter(raw);
    if (!decoded.ok) return decoded;
    parameters.push(decoded.value);
  }
  return { ok: true, value: { kind: 're-config', parameters } };
}

function valueLength(parameter: ReconfigParameter): number {
  switch (parameter.kind) {
    case 'outgoing-ssn-reset':
      return 12 + 2 * parameter.streamIds.length;
    case 'incoming-ssn-reset':
      return 4 + 2 * parameter.streamIds.length;
    case 'response':
      return parameter.nextTsns ? 16 : 8;
    case 'other':
      return parameter.parameter.value.length;
  }
}

/** Encoded size of the chunk, padding included. */
export function reConfigSize(chunk: ReConfigChunk): number {
  let size = CHUNK_HEADER_SIZE;
  for (const parameter of chunk.parameters) size += parameterSize(valueLength(parameter));
  return size;
}

function encodeReconfigParameterTo(buf: Uint8Array, at: number, parameter: ReconfigParameter): number {
  if (parameter.kind === 'other') return encodeParameterTo(buf, at, parameter.parameter, 're-config');
  const length = valueLength(parameter);
  const type =
    parameter.kind === 'outgoing-ssn-reset'
      ? ReconfigParameterType.OutgoingSsnResetRequest
      : parameter.kind === 'incoming-ssn-reset'
        ? ReconfigParameterType.IncomingSsnResetRequest
        : ReconfigParameterType.ReconfigurationResponse;
  const view = writeParameterHeader(buf, at, type, length, 're-config');
  const body = at + PARAMETER_HEADER_SIZE;
  let streamsAt = body;
  switch (parameter.kind) {
    case 'outgoing-ssn-reset':
      view.setUint32(body, parameter.requestSequenceNumber >>> 0);
      view.setUint32(body + 4, parameter.responseSequenceNumber >>> 0);
      view.setUint32(body + 8, parameter.senderLastAssignedTsn >>> 0);
      streamsAt = body + 12;
      break;
    case 'incoming-ssn-reset':
      view.setUint32(body, parameter.requestSequenceNumber >>> 0);
      streamsAt = body + 4;
      break;
    case 'response':
      view.setUint32(body, parameter.responseSequenceNumber >>> 0);
      view.setUint32(body + 4, parameter.result >>> 0);
      if (parameter.nextTsns) {
        view.setUint32(body + 8, parameter.nextTsns.sender >>> 0);
        view.setUint32(body + 12, parameter.nextTsns.receiver >>> 0);
      }
      return parameterSize(length);
  }
  for (const streamId of parameter.streamIds) {
    view.setUint16(streamsAt, streamId & 0xffff);
    streamsAt += 2;
  }
  return parameterSize(length);
}

/** Writes the chunk at offset and returns the bytes written; throws SctpError when it cannot. */
export function encodeReConfigTo(buf: Uint8Array, offset: number, chunk: ReConfigChunk): number {
  const size = reConfigSize(chunk);
  const last = chunk.parameters[chunk.parameters.length - 1];
  const length = size - (last ? parameterPadding(valueLength(last)) : 0);
  writeChunkHeader(buf, offset, ChunkType.ReConfig, 0, length, 're-config');
  let at = offset + CHUNK_HEADER_SIZE;
  for (const parameter of chunk.parameters) at += encodeReconfigParameterTo(buf, at, parameter);
  return size;
}
