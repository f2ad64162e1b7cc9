/**
 * The data side of one participant's transport in an `sfu` room: the two
 * channels the server opens on it (RFC 8832 DCEP) and the envelopes that
 * travel on them (data-envelope.ts).
 *
 * - "reliable": ordered and reliable, for chat, state and files.
 * - "lossy": unordered with no retransmission (RFC 8831 §6.1's partially
 *   reliable mode), for data that is stale once late.
 *
 * Both are labelled with the protocol "switchboard-data". The participant
 * sends on them and receives on them; each direction is an envelope. A
 * channel the participant opens itself is closed: routing needs the
 * envelope, which only these two promise. A slow participant cannot make the
 * server buffer without bound: past MAX_BUFFERED_BYTES queued on the
 * association, messages to it are dropped and counted. Messages for a
 * participant whose channels are still opening (it just connected) are
 * held, up to MAX_PENDING_MESSAGES and MAX_PENDING_BYTES, and sent once
 * they open.
 */
import { EventEmitter } from 'node:events';
import type { DataChannel, DataChannelManager } from '../sctp/index.js';
import { decodeIncomingEnvelope, type IncomingEnvelope } from './data-envelope.js';

/** The subprotocol of the server's channels. */
export const DATA_CHANNEL_PROTOCOL = 'switchboard-data';

/** Which of the two channels a message takes. */
export type DataReliability = 'reliable' | 'lossy';

/** Most bytes queued towards one participant before messages to it are dropped. */
export const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
/** Messages held for a participant whose channels are not open yet (a newcomer), at most. */
export const MAX_PENDING_MESSAGES = 256;
/** Bytes held for a participant whose channels are not open yet, at most. */
export const MAX_PENDING_BYTES = 1024 * 1024;

/** Counters of one link. */
export interface DataLinkStats {
  /** Envelopes received and accepted. */
  messagesReceived: number;
  bytesReceived: number;
  /** Received messages that were not envelopes. */
  messagesRefused: number;
  messagesSent: number;
  bytesSent: number;
  /** Messages not sent: channel not open, over the size limit, or the participant's queue full. */
  messagesDropped: number;
}

/** Events of a {@link DataLink}. */
export interface DataLinkEvents {
  /** An envelope from the participant, and the channel it came on. */
  message: [envelope: IncomingEnvelope, reliability: DataReliability];
  /** A message that was not an envelope (why). */
  refused: [reason: string];
}

/** One participant's data channels with the server. */
export class DataLink extends EventEmitter<DataLinkEvents> {
  /** Who is at the other end, as the room names them. */
  readonly participantId: string;
  readonly stats: DataLinkStats = {
    messagesReceived: 0,
    bytesReceived: 0,
    messagesRefused: 0,
    messagesSent: 0,
    bytesSent: 0,
    messagesDropped: 0,
  };
  #manager: DataChannelManager | undefined;
  #association: { readonly bufferedAmount: number } | undefined;
  readonly #channels = new Map<DataReliability, DataChannel>();
  /** Messages waiting for a channel that is not open yet, per channel. */
  readonly #pending = new Map<DataReliability, (string | Buffer)[]>();
  #pendingCount = 0;
  #pendingBytes = 0;

  constructor(participantId: string) {
    super();
    this.participantId = participantId;
  }

  /** True once the reliable channel is open. */
  get open(): boolean {
    return this.#channels.get('reliable')?.readyState === 'open';
  }

  /** Opens the two channels on the transport's data channels (they open with the association). */
  attach(manager: DataChannelManager, association: { readonly bufferedAmount: number }): void {
    if (this.#manager) return;
    this.#manager = manager;
    this.#association = association;
    manager.on('datachannel', (channel) => channel.close());
    this.#open(manager, 'reliable', {});
    this.#open(manager, 'lossy', { ordered: false, maxRetransmits: 0 });
  }

  /**
   * Sends one envelope (as encodeOutgoingEnvelope wrote it) on a channel;
   * false, counted as dropped, when it could not go. A message for a channel that
   * is still opening is held (true) and sent once it opens.
   */
  send(message: string | Buffer, reliability: DataReliability): boolean {
    const channel = this.#channels.get(reliability);
    const manager = this.#manager;
    const size = typeof message === 'string' ? Buffer.byteLength(message, 'utf8') : message.length;
    // Opened but not open yet (the association is coming up, or the peer's DCEP ACK is on its way):
    // held, so that a newcomer gets what was said while it connected. Before the transport is
    // connected with data channels there is nothing to wait for: the caller reaches it another way.
    if (channel?.readyState === 'connecting') return this.#hold(message, reliability, size);
    if (
      !channel ||
      !manager ||
      channel.readyState !== 'open' ||
      size > manager.maxMessageSize ||
      (this.#association?.bufferedAmount ?? 0) > MAX_BUFFERED_BYTES
    ) {
      this.stats.messagesDropped++;
      return false;
    }
    try {
      channel.send(message);
    } catch {
      this.stats.messagesDropped++;
      return false;
    }
    this.stats.messagesSent++;
    this.stats.bytesSent += size;
    return true;
  }

  #hold(message: string | Buffer, reliability: DataReliability, size: number): boolean {
    if (this.#pendingCount >= MAX_PENDING_MESSAGES || this.#pendingBytes + size > MAX_PENDING_BYTES) {
      this.stats.messagesDropped++;
      return false;
    }
    let queue = this.#pending.get(reliability);
    if (!queue) {
      queue = [];
      this.#pending.set(reliability, queue);
    }
    // A Buffer may be a view of memory its owner reuses.
    queue.push(typeof message === 'string' ? message : Buffer.from(message));
    this.#pendingCount++;
    this.#pendingBytes += size;
    return true;
  }

  /** Sends what waited for the channel (open), or drops it (the channel closed first). */
  #release(reliability: DataReliability, send: boolean): void {
    const queue = this.#pending.get(reliability);
    if (!queue) return;
    this.#pending.delete(reliability);
    for (const message of queue) {
      this.#pendingCount--;
      this.#pendingBytes -= typeof message === 'string' ? Buffer.byteLength(message, 'utf8') : message.length;
      if (send) this.send(message, reliability);
      else this.stats.messagesDropped++;
    }
  }

  #open(
    manager: DataChannelManager,
    reliability: DataReliability,
    options: { ordered?: boolean; maxRetransmits?: number },
  ): void {
    let channel: DataChannel;
    try {
      channel = manager.createDataChannel(reliability, { ...options, protocol: DATA_CHANNEL_PROTOCOL });
    } catch {
      this.#release(reliability, false);
      return; // The association is already gone.
    }
    this.#channels.set(reliability, channel);
    channel.once('open', () => this.#release(reliability, true));
    channel.once('close', () => this.#release(reliability, false));
    channel.on('message', (message) => this.#onMessage(message, reliability));
  }

  #onMessage(message: string | Buffer, reliability: DataReliability): void {
    const decoded = decodeIncomingEnvelope(message);
    if (!decoded.ok) {
      this.stats.messagesRefused++;
      this.emit('refused', decoded.error);
      return;
    }
    this.stats.messagesReceived++;
    this.stats.bytesReceived +=
      typeof message === 'string' ? Buffer.byteLength(message, 'utf8') : message.length;
    this.emit('message', decoded.value, reliability);
  }
}
