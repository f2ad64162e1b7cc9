/**
 * WebRTC data channels (RFC 8831) over one SCTP association, opened with the
 * Data Channel Establishment Protocol (RFC 8832).
 *
 * - Stream ids (RFC 8832 §6): the DTLS client takes even ids, the DTLS server
 *   odd ones, so both ends can open channels without colliding.
 * - Opening (RFC 8832 §6): DATA_CHANNEL_OPEN goes out with PPID 50 on the new
 *   stream, reliable and ordered whatever the channel's own reliability; the
 *   peer answers DATA_CHANNEL_ACK. The opener may send once the OPEN is
 *   queued (ordered delivery puts it first); the channel is 'open' at the ACK
 *   or at the first message that arrives on the stream.
 * - Messages (RFC 8831 §6.6, §8): strings with PPID 51, binary with 53; an
 *   empty message travels as one zero byte with PPID 56 (string) or 57
 *   (binary), since a DATA chunk cannot be empty, and is delivered empty.
 * - Closing (RFC 8831 §6.7): a channel closes by resetting its outgoing
 *   stream (RFC 6525); the peer answers by resetting its own, and the channel
 *   is closed once both directions are reset.
 */
import { EventEmitter } from 'node:events';
import type { SctpAssociation } from './association.js';
import type { SctpSendOptions } from './association-types.js';
import {
  DataChannelPpid,
  type DataChannelReliability,
  DcepMessageType,
  decodeDataChannelOpen,
  encodeDataChannelAck,
  encodeDataChannelOpen,
  isDataChannelAck,
} from './dcep.js';
import { SctpError } from './errors.js';

/** The largest stream id a channel may use (65535 is reserved, RFC 8831 §6.5). */
const MAX_STREAM_ID = 65534;
/** Largest label or protocol, in UTF-8 bytes (the 16-bit length fields of DATA_CHANNEL_OPEN). */
const MAX_LABEL_BYTES = 0xffff;
/** Normal priority (RFC 8831 §6.4). */
const DEFAULT_PRIORITY = 256;
/** What a peer that states no a=max-message-size can take (RFC 8841 §6.1). */
const DEFAULT_REMOTE_MAX_MESSAGE_SIZE = 65_536;
/** Sent in place of an empty message (RFC 8831 §6.6). */
const EMPTY_MESSAGE_BYTE = Buffer.from([0]);

/** State of a channel, as RTCDataChannel.readyState. */
export type DataChannelState = 'connecting' | 'open' | 'closing' | 'closed';

/** Options of createDataChannel(), as RTCDataChannelInit. */
export interface DataChannelOptions {
  /** Deliver in order. Default true. */
  ordered?: boolean;
  /** Give up on a message after this many retransmissions; exclusive with maxPacketLifeTime. */
  maxRetransmits?: number;
  /** Give up on a message this many ms after it was sent; exclusive with maxRetransmits. */
  maxPacketLifeTime?: number;
  /** Subprotocol name. Default ''. */
  protocol?: string;
  /** The application agreed on the channel out of band: no DCEP, `id` is required. */
  negotiated?: boolean;
  /** Stream id; chosen by role parity when not negotiated and not given. */
  id?: number;
  /** DCEP priority (RFC 8831 §6.4). Default 256 (normal). */
  priority?: number;
}

/** Events of a {@link DataChannel}. */
export interface DataChannelEvents {
  /** The channel can carry messages both ways. */
  open: [];
  /** A whole message: a string for PPIDs 51/56, a Buffer (the listener's to keep) for 53/57. */
  message: [data: string | Buffer];
  /** bufferedAmount fell from above bufferedAmountLowThreshold to at or below it, as acknowledgements came in. */
  bufferedamountlow: [];
  /** Both directions are reset, or the association ended. */
  close: [];
}

/** What a channel needs from its manager. */
interface ChannelLink {
  send(channel: DataChannel, ppid: number, data: Uint8Array): void;
  close(channel: DataChannel): void;
  maxMessageSize(): number;
  /** The channel's stream's unacknowledged bytes. */
  bufferedAmount(channel: DataChannel): number;
  /** Asks for a check against the low threshold as acknowledgements come in. */
  watchBufferedAmount(channel: DataChannel): void;
}

/** One data channel on one SCTP stream. */
export class DataChannel extends EventEmitter<DataChannelEvents> {
  /** SCTP stream id. */
  readonly id: number;
  readonly label: string;
  readonly protocol: string;
  readonly ordered: boolean;
  readonly maxRetransmits: number | undefined;
  readonly maxPacketLifeTime: number | undefined;
  readonly negotiated: boolean;
  readonly priority: number;
  readonly #link: ChannelLink;
  #state: DataChannelState = 'connecting';
  #bufferedAmountLowThreshold = 0;
  /** Counters. */
  readonly stats = { messagesSent: 0, bytesSent: 0, messagesReceived: 0, bytesReceived: 0 };

  /** @internal Created by DataChannelManager. */
  constructor(id: number, label: string, options: DataChannelOptions, link: ChannelLink) {
    super();
    this.id = id;
    this.label = label;
    this.protocol = options.protocol ?? '';
    this.ordered = options.ordered ?? true;
    this.maxRetransmits = options.maxRetransmits;
    this.maxPacketLifeTime = options.maxPacketLifeTime;
    this.negotiated = options.negotiated ?? false;
    this.priority = options.priority ?? DEFAULT_PRIORITY;
    this.#link = link;
  }

  /** Current state. */
  get readyState(): DataChannelState {
    return this.#state;
  }

  /**
   * Bytes sent on the channel and not yet acknowledged by the peer, as
   * RTCDataChannel.bufferedAmount: what send() queued, whether or not it
   * has left yet. (The DCEP OPEN travels on the stream too and counts until acked.)
   */
  get bufferedAmount(): number {
    return this.#link.bufferedAmount(this);
  }

  /** The level at or below which 'bufferedamountlow' fires. Default 0. */
  get bufferedAmountLowThreshold(): number {
    return this.#bufferedAmountLowThreshold;
  }

  /** Throws TypeError unless a non-negative integer. */
  set bufferedAmountLowThreshold(bytes: number) {
    if (!Number.isInteger(bytes) || bytes < 0)
      throw new TypeError('bufferedAmountLowThreshold is a non-negative integer');
    this.#bufferedAmountLowThreshold = bytes;
  }

  /** The SCTP send options of this channel's messages. */
  get sendOptions(): SctpSendOptions {
    return {
      unordered: !this.ordered,
      maxRetransmits: this.maxRetransmits,
      maxPacketLifeTimeMs: this.maxPacketLifeTime,
    };
  }

  /**
   * Sends a message. Throws SctpError ERR_SCTP_INVALID_STATE unless open,
   * ERR_SCTP_MESSAGE_TOO_LARGE above the association's maximum.
   */
  send(data: string | Uint8Array): void {
    if (this.#state !== 'open')
      throw new SctpError('ERR_SCTP_INVALID_STATE', 'dcep', `send() on a ${this.#state} channel`);
    const isString = typeof data === 'string';
    const bytes = isString ? Buffer.from(data, 'utf8') : data;
    const limit = this.#link.maxMessageSize();
    if (bytes.length > limit)
      throw new SctpError(
        'ERR_SCTP_MESSAGE_TOO_LARGE',
        'dcep',
        `${bytes.length} bytes exceed the ${limit}-byte limit`,
      );
    if (bytes.length === 0)
      this.#link.send(
        this,
        isString ? DataChannelPpid.StringEmpty : DataChannelPpid.BinaryEmpty,
        EMPTY_MESSAGE_BYTE,
      );
    else this.#link.send(this, isString ? DataChannelPpid.String : DataChannelPpid.Binary, bytes);
    this.stats.messagesSent++;
    this.stats.bytesSent += bytes.length;
    if (this.bufferedAmount > this.#bufferedAmountLowThreshold) this.#link.watchBufferedAmount(this);
  }

  /** @internal */
  emitBufferedAmountLow(): void {
    if (this.#state !== 'closed') this.#safeEmit('bufferedamountlow');
  }

  /** Starts closing: resets the outgoing stream; 'close' follows the peer's reset. Idempotent. */
  close(): void {
    if (this.#state === 'closing' || this.#state === 'closed') return;
    this.#state = 'closing';
    this.#link.close(this);
  }

  /** @internal */
  setState(state: DataChannelState): void {
    if (this.#state === state || this.#state === 'closed') return;
    this.#state = state;
    if (state === 'open') this.#safeEmit('open');
    else if (state === 'closed') this.#safeEmit('close');
  }

  /** @internal */
  deliver(ppid: number, data: Buffer): void {
    let message: string | Buffer;
    switch (ppid) {
      case DataChannelPpid.String:
        message = data.toString('utf8');
        break;
      case DataChannelPpid.Binary:
        message = data;
        break;
      case DataChannelPpid.StringEmpty:
        message = '';
        break;
      case DataChannelPpid.BinaryEmpty:
        message = Buffer.alloc(0);
        break;
      default:
        // The deprecated partial PPIDs (52, 54) and anything unknown (RFC 8831 §8).
        return;
    }
    this.stats.messagesReceived++;
    this.stats.bytesReceived += typeof message === 'string' ? data.length : message.length;
    this.#safeEmit('message', message);
  }

  /** Listener errors do not reach the association's packet handler. */
  #safeEmit<K extends keyof DataChannelEvents>(name: K, ...args: DataChannelEvents[K]): void {
    try {
      (this.emit as (name: K, ...args: DataChannelEvents[K]) => boolean)(name, ...args);
    } catch {
      // Counted by nobody on purpose: a listener's bug is the listener's.
    }
  }
}

/** Options of a {@link DataChannelManager}. */
export interface DataChannelManagerOptions {
  /** Our DTLS role: the client uses even stream ids, the server odd ones (RFC 8832 §6). */
  role: 'client' | 'server';
  /** The peer's a=max-message-size (RFC 8841 §6.1), 0 for unlimited, 64 KiB when absent; sends above the smaller of this and the association's limit fail. */
  remoteMaxMessageSize?: number;
}

/** Events of a {@link DataChannelManager}. */
export interface DataChannelManagerEvents {
  /** The peer opened a channel (DATA_CHANNEL_OPEN); it is already open. */
  datachannel: [channel: DataChannel];
}

/** Per-channel progress of the close handshake. */
interface ClosingState {
  outgoingReset: boolean;
  incomingReset: boolean;
  requested: boolean;
}

/** The data channels of one SCTP association. */
export class DataChannelManager extends EventEmitter<DataChannelManagerEvents> {
  readonly #association: SctpAssociation;
  readonly #options: DataChannelManagerOptions;
  readonly #channels = new Map<number, DataChannel>();
  readonly #closing = new Map<number, ClosingState>();
  /** Channels waiting for the association to open before their OPEN (or, negotiated, their 'open'). */
  readonly #pending: DataChannel[] = [];
  /** Channels that sent OPEN and wait for ACK. */
  readonly #awaitingAck = new Set<number>();
  /** Channels whose bufferedAmount is above their low threshold: checked as acknowledgements come in. */
  readonly #aboveLowThreshold = new Set<DataChannel>();
  #nextId: number;
  #closed = false;

  constructor(association: SctpAssociation, options: DataChannelManagerOptions) {
    super();
    this.#association = association;
    this.#options = options;
    this.#nextId = options.role === 'client' ? 0 : 1;
    association.on('open', () => this.#onAssociationOpen());
    association.on('message', (streamId, ppid, data) => this.#onMessage(streamId, ppid, data));
    association.on('streamreset', (ids, direction) => this.#onStreamReset(ids, direction));
    association.on('bufferedamountdecrease', () => this.#onBufferedAmountDecrease());
    association.on('close', () => this.close());
  }

  /** Open and opening channels by stream id. */
  get channels(): ReadonlyMap<number, DataChannel> {
    return this.#channels;
  }

  /** Largest message a channel may send. */
  get maxMessageSize(): number {
    const local = this.#association.maxMessageSize;
    // RFC 8841 §6.1: a peer that states no a=max-message-size takes 64 KiB; 0 means no limit.
    const remote = this.#options.remoteMaxMessageSize ?? DEFAULT_REMOTE_MAX_MESSAGE_SIZE;
    return remote === 0 ? local : Math.min(local, remote);
  }

  /**
   * Creates a channel. Without `negotiated` it sends DATA_CHANNEL_OPEN (now,
   * or once the association opens) and opens at the peer's ACK. Throws
   * TypeError on bad options, SctpError ERR_SCTP_INVALID_STATE when closed or
   * out of stream ids.
   */
  createDataChannel(label: string, options: DataChannelOptions = {}): DataChannel {
    if (this.#closed) throw new SctpError('ERR_SCTP_INVALID_STATE', 'dcep', 'the manager is closed');
    if (Buffer.byteLength(label, 'utf8') > MAX_LABEL_BYTES)
      throw new TypeError('a label is at most 65535 bytes');
    if (Buffer.byteLength(options.protocol ?? '', 'utf8') > MAX_LABEL_BYTES)
      throw new TypeError('a protocol is at most 65535 bytes');
    if (options.maxRetransmits !== undefined && options.maxPacketLifeTime !== undefined)
      throw new TypeError('maxRetransmits and maxPacketLifeTime are exclusive');
    for (const value of [options.maxRetransmits, options.maxPacketLifeTime])
      if (value !== undefined && (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff))
        throw new TypeError('maxRetransmits and maxPacketLifeTime are unsigned 32-bit integers');
    if (
      options.priority !== undefined &&
      (!Number.isInteger(options.priority) || options.priority < 0 || options.priority > 0xffff)
    )
      throw new TypeError('priority is an unsigned 16-bit integer');
    if (options.negotiated && options.id === undefined)
      throw new TypeError('a negotiated channel needs an id');
    let id = options.id;
    if (id !== undefined) {
      if (!Number.isInteger(id) || id < 0 || id > MAX_STREAM_ID)
        throw new TypeError(`stream id ${id} is out of 0..${MAX_STREAM_ID}`);
      if (this.#channels.has(id)) throw new TypeError(`stream id ${id} is in use`);
    } else id = this.#allocateId();
    const channel = new DataChannel(id, label, options, this.#linkFor());
    this.#channels.set(id, channel);
    if (this.#association.state === 'established') this.#start(channel);
    else this.#pending.push(channel);
    return channel;
  }

  /** Closes every channel at once (no reset handshake) and stops taking new ones. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const channels = [...this.#channels.values()];
    this.#channels.clear();
    this.#closing.clear();
    this.#pending.length = 0;
    this.#awaitingAck.clear();
    this.#aboveLowThreshold.clear();
    for (const channel of channels) channel.setState('closed');
  }

  /** The next free id of our parity. */
  #allocateId(): number {
    for (let tries = 0; tries <= MAX_STREAM_ID / 2 + 1; tries++) {
      const id = this.#nextId;
      this.#nextId += 2;
      if (this.#nextId > MAX_STREAM_ID) this.#nextId = this.#options.role === 'client' ? 0 : 1;
      if (!this.#channels.has(id)) return id;
    }
    throw new SctpError('ERR_SCTP_INVALID_STATE', 'dcep', 'no free stream id');
  }

  #linkFor(): ChannelLink {
    return {
      send: (channel, ppid, data) => this.#association.send(channel.id, ppid, data, channel.sendOptions),
      close: (channel) => this.#requestReset(channel),
      maxMessageSize: () => this.maxMessageSize,
      bufferedAmount: (channel) => this.#association.bufferedAmountOf(channel.id),
      watchBufferedAmount: (channel) => {
        if (this.#channels.get(channel.id) === channel) this.#aboveLowThreshold.add(channel);
      },
    };
  }

  /**
   * Fires 'bufferedamountlow' on the channels that fell to their threshold.
   * Over a copy: a listener that sends again puts its channel back in the set.
   */
  #onBufferedAmountDecrease(): void {
    if (this.#aboveLowThreshold.size === 0) return;
    for (const channel of [...this.#aboveLowThreshold]) {
      if (channel.bufferedAmount > channel.bufferedAmountLowThreshold) continue;
      this.#aboveLowThreshold.delete(channel);
      channel.emitBufferedAmountLow();
    }
  }

  /** Sends the OPEN (RFC 8832 §6: reliable and ordered), or opens a negotiated channel. */
  #start(channel: DataChannel): void {
    if (channel.readyState !== 'connecting') return;
    if (channel.negotiated) {
      channel.setState('open');
      return;
    }
    const reliability: DataChannelReliability =
      channel.maxRetransmits !== undefined
        ? 'max-retransmits'
        : channel.maxPacketLifeTime !== undefined
          ? 'max-lifetime'
          : 'reliable';
    const open = encodeDataChannelOpen({
      unordered: !channel.ordered,
      reliability,
      reliabilityParameter: channel.maxRetransmits ?? channel.maxPacketLifeTime ?? 0,
      priority: channel.priority,
      label: channel.label,
      protocol: channel.protocol,
    });
    this.#awaitingAck.add(channel.id);
    this.#association.send(channel.id, DataChannelPpid.Dcep, open);
  }

  #onAssociationOpen(): void {
    const pending = this.#pending.splice(0);
    for (const channel of pending) {
      if (this.#channels.get(channel.id) !== channel) continue;
      if (channel.readyState === 'closing') {
        // Closed before it ever opened: nothing to reset on the wire.
        this.#finish(channel);
        continue;
      }
      this.#start(channel);
    }
  }

  #onMessage(streamId: number, ppid: number, data: Buffer): void {
    if (this.#closed) return;
    if (ppid === DataChannelPpid.Dcep) {
      this.#onDcep(streamId, data);
      return;
    }
    const channel = this.#channels.get(streamId);
    if (!channel) return;
    // RFC 8832 §6: a message on the stream before the ACK implies it.
    if (this.#awaitingAck.delete(streamId)) channel.setState('open');
    if (channel.readyState === 'closed') return;
    channel.deliver(ppid, data);
  }

  #onDcep(streamId: number, data: Buffer): void {
    if (isDataChannelAck(data)) {
      const channel = this.#channels.get(streamId);
      if (channel && this.#awaitingAck.delete(streamId)) channel.setState('open');
      return;
    }
    if (data[0] !== DcepMessageType.Open) return;
    const decoded = decodeDataChannelOpen(data);
    // A malformed OPEN or one on a stream in use is ignored (RFC 8832 §6 leaves it to the implementation).
    if (!decoded.ok || this.#channels.has(streamId) || streamId > MAX_STREAM_ID) return;
    const open = decoded.value;
    const channel = new DataChannel(
      streamId,
      open.label,
      {
        ordered: !open.unordered,
        maxRetransmits: open.reliability === 'max-retransmits' ? open.reliabilityParameter : undefined,
        maxPacketLifeTime: open.reliability === 'max-lifetime' ? open.reliabilityParameter : undefined,
        protocol: open.protocol,
        priority: open.priority,
      },
      this.#linkFor(),
    );
    this.#channels.set(streamId, channel);
    // The ACK is reliable and ordered like the OPEN (RFC 8832 §6).
    this.#association.send(streamId, DataChannelPpid.Dcep, encodeDataChannelAck());
    channel.setState('open');
    try {
      this.emit('datachannel', channel);
    } catch {
      // A listener's error must not reach the association.
    }
  }

  #requestReset(channel: DataChannel): void {
    if (this.#channels.get(channel.id) !== channel) return;
    const state = this.#closingState(channel.id);
    if (state.requested) return;
    if (this.#association.state !== 'established') {
      // Not yet open: the pending start finishes it; already gone: finish now.
      if (!this.#pending.includes(channel)) this.#finish(channel);
      return;
    }
    state.requested = true;
    try {
      this.#association.resetStreams([channel.id]);
    } catch {
      // A peer without RE-CONFIG cannot reset streams: the channel just ends here.
      this.#finish(channel);
    }
  }

  #onStreamReset(ids: number[], direction: 'incoming' | 'outgoing'): void {
    for (const id of ids) {
      const channel = this.#channels.get(id);
      if (!channel) continue;
      const state = this.#closingState(id);
      if (direction === 'outgoing') state.outgoingReset = true;
      else {
        state.incomingReset = true;
        // RFC 8831 §6.7: the peer closed; answer by resetting our side.
        if (!state.requested) {
          channel.close();
          if (!this.#channels.has(id)) continue;
        }
      }
      if (state.incomingReset && state.outgoingReset) this.#finish(channel);
    }
  }

  #closingState(id: number): ClosingState {
    let state = this.#closing.get(id);
    if (!state) {
      state = { outgoingReset: false, incomingReset: false, requested: false };
      this.#closing.set(id, state);
    }
    return state;
  }

  #finish(channel: DataChannel): void {
    if (this.#channels.get(channel.id) === channel) this.#channels.delete(channel.id);
    this.#closing.delete(channel.id);
    this.#awaitingAck.delete(channel.id);
    this.#aboveLowThreshold.delete(channel);
    channel.setState('closed');
  }
}
