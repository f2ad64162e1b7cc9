/**
 * Defaults and validation of SctpAssociationOptions. The timer defaults
 * differ from RFC 9260 §16 on purpose; the file comment of association.ts
 * gives the reasons.
 */
import { randomBytes } from 'node:crypto';
import type { SctpAssociationOptions } from './association-types.js';
import { SctpError } from './errors.js';
import type { SctpRtoOptions } from './rto.js';
import { NODE_SCTP_TIMERS, type SctpTimers } from './timer.js';

const DEFAULT_MAX_MESSAGE_SIZE = 256 * 1024;
const DEFAULT_MAX_PACKET_SIZE = 1160;
const DEFAULT_RECEIVE_BUFFER_SIZE = 1024 * 1024;
const DEFAULT_RTO: SctpRtoOptions = { initialMs: 500, minMs: 300, maxMs: 10_000 };
const DEFAULT_COOKIE_LIFETIME_MS = 60_000;
const DEFAULT_MAX_RETRANSMISSIONS = 10;
const DEFAULT_HEARTBEAT_INTERVAL_MS = 30_000;
const DEFAULT_DELAYED_ACK_MS = 200;

/** The optional settings of SctpAssociationOptions with their defaults filled in. */
export interface ResolvedAssociationOptions {
  timers: SctpTimers;
  maxPacketSize: number;
  maxMessageSize: number;
  receiveBufferSize: number;
  cookieSecret: Uint8Array;
  cookieLifetimeMs: number;
  rto: SctpRtoOptions;
  maxRetransmissions: number;
  heartbeatIntervalMs: number;
  delayedAckMs: number;
  messageInterleaving: boolean;
}

/** Fills in defaults and checks ports and sizes; throws SctpError ERR_SCTP_INVALID_ARGUMENT on bad values. */
export function resolveAssociationOptions(options: SctpAssociationOptions): ResolvedAssociationOptions {
  const resolved: ResolvedAssociationOptions = {
    timers: options.timers ?? NODE_SCTP_TIMERS,
    maxPacketSize: options.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE,
    maxMessageSize: options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
    receiveBufferSize: options.receiveBufferSize ?? DEFAULT_RECEIVE_BUFFER_SIZE,
    cookieSecret: options.cookieSecret ?? randomBytes(32),
    cookieLifetimeMs: options.cookieLifetimeMs ?? DEFAULT_COOKIE_LIFETIME_MS,
    rto: { ...DEFAULT_RTO, ...options.rto },
    maxRetransmissions: options.maxRetransmissions ?? DEFAULT_MAX_RETRANSMISSIONS,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS,
    delayedAckMs: options.delayedAckMs ?? DEFAULT_DELAYED_ACK_MS,
    messageInterleaving: options.messageInterleaving ?? true,
  };
  const ports = [options.localPort, options.remotePort];
  if (ports.some((port) => !Number.isInteger(port) || port < 0 || port > 0xffff))
    throw new SctpError('ERR_SCTP_INVALID_ARGUMENT', 'association', 'ports must be integers in 0..65535');
  const { maxPacketSize, receiveBufferSize } = resolved;
  // The smallest packet must hold a DATA chunk with some payload and a SACK with a few blocks.
  if (!Number.isInteger(maxPacketSize) || maxPacketSize < 128 || maxPacketSize > 65532)
    throw new SctpError('ERR_SCTP_INVALID_ARGUMENT', 'association', 'maxPacketSize must be in 128..65532');
  if (receiveBufferSize < maxPacketSize)
    throw new SctpError('ERR_SCTP_INVALID_ARGUMENT', 'association', 'receiveBufferSize below maxPacketSize');
  return resolved;
}
