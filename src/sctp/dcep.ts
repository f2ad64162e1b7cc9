/**
 * The Data Channel Establishment Protocol (RFC 8832): the two messages that
 * open a WebRTC data channel on an SCTP stream, sent with PPID 50, and the
 * payload protocol identifiers of the messages that follow (RFC 8831 §8).
 *
 * DATA_CHANNEL_OPEN (§5.1):
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Message Type |  Channel Type |            Priority           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Reliability Parameter                      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |         Label Length          |       Protocol Length         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   \                             Label                             /
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   \                            Protocol                           /
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * DATA_CHANNEL_ACK (§5.2) is the single byte 0x02. Label and protocol are
 * UTF-8 (§5.1); the channel type's high bit makes the channel unordered,
 * its low bits say how unreliable it may be.
 */
import { SctpError, type SctpResult, sctpFail } from './errors.js';

/** Payload protocol identifiers of WebRTC data channels (RFC 8831 §8, RFC 8832 §8.1). */
export const DataChannelPpid = {
  /** DCEP messages. */
  Dcep: 50,
  /** A UTF-8 string message. */
  String: 51,
  /** A binary message. */
  Binary: 53,
  /** An empty string message (SCTP cannot carry zero bytes: one byte is sent and ignored). */
  StringEmpty: 56,
  /** An empty binary message. */
  BinaryEmpty: 57,
} as const;

/** DCEP message types (RFC 8832 §8.2.1). */
export const DcepMessageType = { Ack: 0x02, Open: 0x03 } as const;

/** Reliability of a channel, from the channel type's low bits (RFC 8832 §5.1). */
export type DataChannelReliability = 'reliable' | 'max-retransmits' | 'max-lifetime';

/** A decoded or to-be-encoded DATA_CHANNEL_OPEN. */
export interface DataChannelOpen {
  /** Messages may be delivered out of order. */
  unordered: boolean;
  reliability: DataChannelReliability;
  /** Retransmissions (max-retransmits) or milliseconds (max-lifetime); 0 for reliable channels. */
  reliabilityParameter: number;
  /** Priority (RFC 8832 §5.1, the values of RFC 8831 §6.4: 128 below normal, 256 normal, …). */
  priority: number;
  label: string;
  protocol: string;
}

/** Size of the fixed part of DATA_CHANNEL_OPEN. */
const OPEN_HEADER_SIZE = 12;
/** Channel type: the unordered bit. */
const UNORDERED_BIT = 0x80;
/** Channel type low bits for each reliability (RFC 8832 §8.2.2). */
const RELIABILITY_BITS: Record<DataChannelReliability, number> = {
  reliable: 0x00,
  'max-retransmits': 0x01,
  'max-lifetime': 0x02,
};

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Decodes a DATA_CHANNEL_OPEN (a PPID 50 message whose first byte is 0x03). Never throws. */
export function decodeDataChannelOpen(message: Uint8Array): SctpResult<DataChannelOpen> {
  if (message.length < OPEN_HEADER_SIZE)
    return sctpFail(
      'ERR_SCTP_TOO_SHORT',
      'dcep',
      `${message.length} bytes is shorter than DATA_CHANNEL_OPEN`,
    );
  if (message[0] !== DcepMessageType.Open)
    return sctpFail('ERR_SCTP_WRONG_TYPE', 'dcep', `message type ${message[0]} is not DATA_CHANNEL_OPEN`, 0);
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  const channelType = message[1];
  const low = channelType & ~UNORDERED_BIT;
  const reliability = (Object.keys(RELIABILITY_BITS) as DataChannelReliability[]).find(
    (name) => RELIABILITY_BITS[name] === low,
  );
  if (reliability === undefined)
    return sctpFail('ERR_SCTP_BAD_FORMAT', 'dcep', `unknown channel type 0x${channelType.toString(16)}`, 1);
  const labelLength = view.getUint16(8);
  const protocolLength = view.getUint16(10);
  if (OPEN_HEADER_SIZE + labelLength + protocolLength !== message.length)
    return sctpFail(
      'ERR_SCTP_BAD_LENGTH',
      'dcep',
      `label (${labelLength}) and protocol (${protocolLength}) do not fill the ${message.length}-byte message`,
      8,
    );
  let label: string;
  let protocol: string;
  try {
    label = decoder.decode(message.subarray(OPEN_HEADER_SIZE, OPEN_HEADER_SIZE + labelLength));
    protocol = decoder.decode(message.subarray(OPEN_HEADER_SIZE + labelLength));
  } catch {
    return sctpFail('ERR_SCTP_BAD_FORMAT', 'dcep', 'label or protocol is not UTF-8', OPEN_HEADER_SIZE);
  }
  return {
    ok: true,
    value: {
      unordered: (channelType & UNORDERED_BIT) !== 0,
      reliability,
      reliabilityParameter: reliability === 'reliable' ? 0 : view.getUint32(4),
      priority: view.getUint16(2),
      label,
      protocol,
    },
  };
}

/** Encodes a DATA_CHANNEL_OPEN. Throws SctpError for a label or protocol over 65535 bytes. */
export function encodeDataChannelOpen(open: DataChannelOpen): Buffer {
  const label = Buffer.from(open.label, 'utf8');
  const protocol = Buffer.from(open.protocol, 'utf8');
  if (label.length > 0xffff || protocol.length > 0xffff)
    throw new SctpError(
      'ERR_SCTP_INVALID_ARGUMENT',
      'dcep',
      'label and protocol are at most 65535 bytes each',
    );
  if (!Number.isInteger(open.priority) || open.priority < 0 || open.priority > 0xffff)
    throw new SctpError('ERR_SCTP_INVALID_ARGUMENT', 'dcep', 'priority is a 16-bit value');
  const parameter = open.reliability === 'reliable' ? 0 : open.reliabilityParameter;
  if (!Number.isInteger(parameter) || parameter < 0 || parameter > 0xffffffff)
    throw new SctpError('ERR_SCTP_INVALID_ARGUMENT', 'dcep', 'the reliability parameter is a 32-bit value');
  const message = Buffer.alloc(OPEN_HEADER_SIZE + label.length + protocol.length);
  message[0] = DcepMessageType.Open;
  message[1] = RELIABILITY_BITS[open.reliability] | (open.unordered ? UNORDERED_BIT : 0);
  message.writeUInt16BE(open.priority, 2);
  message.writeUInt32BE(parameter, 4);
  message.writeUInt16BE(label.length, 8);
  message.writeUInt16BE(protocol.length, 10);
  label.copy(message, OPEN_HEADER_SIZE);
  protocol.copy(message, OPEN_HEADER_SIZE + label.length);
  return message;
}

/** DATA_CHANNEL_ACK (RFC 8832 §5.2). */
export function encodeDataChannelAck(): Buffer {
  return Buffer.from([DcepMessageType.Ack]);
}

/** True for a DATA_CHANNEL_ACK. */
export function isDataChannelAck(message: Uint8Array): boolean {
  return message.length === 1 && message[0] === DcepMessageType.Ack;
}
