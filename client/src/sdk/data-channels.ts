/**
 * The data of an `sfu` room (docs/protocol.md, "Data channels in sfu rooms"):
 * the two channels the server opens on the subscribe connection, `reliable`
 * (ordered, reliable) and `lossy` (unordered, no retransmission), both
 * carrying envelopes (data-envelope.ts) in both directions. The client never
 * opens a channel itself; it takes those the server announces through
 * `ondatachannel`, and a later one of the same label replaces the earlier.
 *
 * Sending picks a channel by `reliable`, and:
 * - while the channel is not open yet, or the browser holds more than
 *   BUFFERED_AMOUNT_HIGH bytes for it, queues the message (at most
 *   DATA_QUEUE_LIMITS) and sends it on `open` or `bufferedamountlow`. When the
 *   reliable queue is full `sendData` throws DataQueueFullError (a reliable
 *   message is never dropped silently); when the lossy queue is full its
 *   oldest messages are dropped, since a lossy stream's newest message
 *   (a cursor, a position) is the one that matters.
 * - when no channel can carry it — the subscribe connection failed or closed,
 *   the server did not negotiate SCTP, the channel closed, or no channel
 *   opened within DATA_CHANNEL_OPEN_TIMEOUT_MS — sends JSON payloads as a
 *   signaling `data` message instead (the queue goes the same way), and
 *   refuses binary ones (DataChannelUnavailableError; those already queued
 *   are dropped and reported as a `data_dropped` error).
 *
 * Received envelopes are reported with `via: 'datachannel'`; malformed ones
 * are counted (`DataStats.malformed`) and otherwise ignored.
 */
import {
  decodeIncomingEnvelope,
  encodeBinaryEnvelope,
  encodeTextEnvelope,
  MAX_RECIPIENTS,
  MAX_TOPIC_LENGTH,
  type OutgoingEnvelopeHeader,
  utf8ByteLength,
} from './data-envelope.js';
import {
  BinaryDataUnsupportedError,
  DataChannelUnavailableError,
  DataQueueFullError,
  DataTooLargeError,
  InvalidDataError,
} from './errors.js';
import type { ClientMessage } from './protocol.js';

/** The labels of the two channels the server opens on the subscribe connection. */
export type DataChannelLabel = 'reliable' | 'lossy';

/** The `protocol` of both channels. */
export const DATA_CHANNEL_PROTOCOL = 'switchboard-data';

/** How a message travels: on a data channel (sfu rooms) or as a signaling `data` message. */
export type DataPath = 'datachannel' | 'signaling';

/** A data message as received. */
export interface DataMessage {
  /** The sender's participant id; null for data sent by the server (admin API). */
  from: string | null;
  topic: string | undefined;
  /** A JSON value, or a Uint8Array for a binary message (data channels only). */
  payload: unknown;
  /** The path it came by. */
  via: DataPath;
}

/** Options of `Room.sendData`. */
export interface SendDataOptions {
  /** A label for the receivers (the demo's chat uses `"chat"`); at most 128 characters. */
  topic?: string;
  /** Participant ids to send to (at most 256); every other participant when absent. */
  to?: string[];
  /**
   * Sfu rooms: false sends on the `lossy` channel (unordered, never
   * retransmitted: late data is worth less than new data). Default true.
   */
  reliable?: boolean;
}

/** A data channel as `Room.dataChannels` shows it. */
export interface DataChannelInfo {
  label: DataChannelLabel;
  readyState: RTCDataChannelState;
  /** Bytes the browser holds for it, not yet sent. */
  bufferedAmount: number;
  /** Messages this SDK holds for it (channel not open yet, or backpressure). */
  queued: number;
}

/** Counters of the data sent and received, over the life of a room. */
export interface DataStats {
  /** Messages sent on a data channel. */
  sentOnChannels: number;
  /** Messages sent as signaling `data` messages (p2p rooms, and the fallback of sfu rooms). */
  sentOnSignaling: number;
  /** Envelopes received on a data channel. */
  receivedOnChannels: number;
  /** `data` messages received through signaling. */
  receivedOnSignaling: number;
  /** Messages received on a data channel that were not a valid envelope, and were ignored. */
  malformed: number;
  /** Messages waiting now for a channel to open or to drain. */
  queued: number;
  /**
   * Messages given up: lossy ones pushed out of a full queue, binary ones
   * left without a channel, those a channel refused, and those still queued
   * when the session they belonged to ended.
   */
  dropped: number;
}

/** A new set of zeroed counters. */
export function emptyDataStats(): DataStats {
  return {
    sentOnChannels: 0,
    sentOnSignaling: 0,
    receivedOnChannels: 0,
    receivedOnSignaling: 0,
    malformed: 0,
    queued: 0,
    dropped: 0,
  };
}

/** How much a channel's send queue holds before it refuses (reliable) or drops its oldest (lossy). */
export const DATA_QUEUE_LIMITS = { maxMessages: 256, maxBytes: 1024 * 1024 } as const;

/** Above this many bytes buffered in the browser for a channel, messages wait in the queue. */
export const BUFFERED_AMOUNT_HIGH = 1024 * 1024;

/** The channel's `bufferedAmountLowThreshold`: the queue drains when the browser's buffer falls to it. */
export const BUFFERED_AMOUNT_LOW = 256 * 1024;

/**
 * The largest message assumed while the SCTP transport does not say
 * (`RTCSctpTransport.maxMessageSize`): 64 KiB, which every browser and
 * server takes.
 */
export const DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024;

/** The largest signaling frame the server takes (docs/protocol.md, "Connection"); it closes with 1009 past it. */
export const MAX_SIGNALING_FRAME_BYTES = 64 * 1024;

/** How long after the session starts a channel may take to open before its messages go through signaling. */
export const DATA_CHANNEL_OPEN_TIMEOUT_MS = 10_000;

/** What `DataChannels` needs from its session. */
export interface DataChannelsOptions {
  /** Sends a signaling message (the fallback). */
  signal: (message: ClientMessage) => void;
  /** An envelope arrived. */
  onMessage: (message: DataMessage) => void;
  /** Messages were dropped away from any call (`data_dropped`). */
  onError: (error: { code: string; message: string }) => void;
  /** The SCTP transport's `maxMessageSize`, once there is one. */
  maxMessageSize: () => number | undefined;
  /** Counters to add to (the room keeps them across sessions); fresh ones by default. */
  stats?: DataStats;
  /** Overrides DATA_CHANNEL_OPEN_TIMEOUT_MS. */
  openTimeoutMs?: number;
}

/** A message waiting for its channel. */
interface QueuedMessage {
  data: string | Uint8Array<ArrayBuffer>;
  /** Bytes on the wire. */
  size: number;
  /** JSON messages: what to send through signaling should the channel not come. */
  fallback: { payload: unknown; options: SendDataOptions } | undefined;
}

/** One label's channel and the messages waiting for it. */
interface Lane {
  label: DataChannelLabel;
  channel: RTCDataChannel | undefined;
  queue: QueuedMessage[];
  queuedBytes: number;
}

type Availability = 'open' | 'pending' | 'unavailable';

/** The reliable and lossy channels of one subscribe connection. */
export class DataChannels {
  /** Counters, shared with the room. */
  readonly stats: DataStats;
  private readonly options: DataChannelsOptions;
  private readonly lanes: Record<DataChannelLabel, Lane> = {
    reliable: { label: 'reliable', channel: undefined, queue: [], queuedBytes: 0 },
    lossy: { label: 'lossy', channel: undefined, queue: [], queuedBytes: 0 },
  };
  private connectionState: RTCPeerConnectionState = 'new';
  /** Whether the last subscribe negotiation set up SCTP; undefined before the first. */
  private negotiated: boolean | undefined;
  private openTimedOut = false;
  private openTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(options: DataChannelsOptions) {
    this.options = options;
    this.stats = options.stats ?? emptyDataStats();
    this.openTimer = setTimeout(() => {
      this.openTimer = undefined;
      this.openTimedOut = true;
      this.update();
    }, options.openTimeoutMs ?? DATA_CHANNEL_OPEN_TIMEOUT_MS);
  }

  /** The channels received so far (the latest of each label). */
  get channels(): DataChannelInfo[] {
    const infos: DataChannelInfo[] = [];
    for (const lane of Object.values(this.lanes))
      if (lane.channel)
        infos.push({
          label: lane.label,
          readyState: lane.channel.readyState,
          bufferedAmount: lane.channel.bufferedAmount,
          queued: lane.queue.length,
        });
    return infos;
  }

  /** Messages waiting in the queues now. */
  get queued(): number {
    return this.lanes.reliable.queue.length + this.lanes.lossy.queue.length;
  }

  /**
   * Takes a channel the server opened (`RTCPeerConnection.ondatachannel`).
   * Channels of other labels are left alone. A channel of a label already
   * held replaces it for sending; the old one still delivers what it receives
   * until it closes.
   */
  attach(channel: RTCDataChannel): void {
    if (this.closed) return;
    const label = channel.label;
    if (label !== 'reliable' && label !== 'lossy') return;
    const lane = this.lanes[label];
    const previous = lane.channel;
    if (previous === channel) return;
    if (previous) {
      previous.onopen = null;
      previous.onclose = null;
      previous.onbufferedamountlow = null;
    }
    lane.channel = channel;
    channel.binaryType = 'arraybuffer';
    channel.bufferedAmountLowThreshold = BUFFERED_AMOUNT_LOW;
    channel.onmessage = (event: MessageEvent) => this.receive(event.data);
    channel.onopen = () => this.update();
    channel.onclose = () => this.update();
    channel.onbufferedamountlow = () => this.drain(lane);
    this.update();
  }

  /** The subscribe connection's state: `failed` and `closed` send through signaling until it recovers. */
  setConnectionState(state: RTCPeerConnectionState): void {
    this.connectionState = state;
    this.update();
  }

  /** Whether the subscribe negotiation just completed set up SCTP (an m=application section). */
  setNegotiated(sctp: boolean): void {
    this.negotiated = sctp;
    this.update();
  }

  /**
   * Sends a message (see the file comment for the path it takes); returns
   * the path chosen now: `datachannel` when sent or queued for a channel
   * (a queued JSON message may still fall back to signaling later).
   */
  send(payload: unknown, options: SendDataOptions = {}): DataPath {
    checkDataOptions(options);
    const lane = this.lanes[options.reliable === false ? 'lossy' : 'reliable'];
    const bytes = binaryPayload(payload);
    if (this.availability(lane) === 'unavailable') {
      if (bytes)
        throw new DataChannelUnavailableError(
          `the ${lane.label} data channel is unavailable, and signaling cannot carry a binary payload`,
        );
      this.options.signal(signalingDataMessage(payload, options));
      this.stats.sentOnSignaling += 1;
      return 'signaling';
    }
    const header: OutgoingEnvelopeHeader = { topic: options.topic, to: options.to };
    const data = bytes ? encodeBinaryEnvelope(header, bytes) : encodeTextEnvelope(header, payload);
    const size = typeof data === 'string' ? utf8ByteLength(data) : data.length;
    const limit = this.maxMessageSize();
    if (size > limit) throw new DataTooLargeError(size, limit, 'datachannel');
    const channel = lane.channel;
    if (channel?.readyState === 'open' && lane.queue.length === 0 && fits(channel, size)) {
      sendOn(channel, data);
      this.stats.sentOnChannels += 1;
      return 'datachannel';
    }
    this.enqueue(lane, { data, size, fallback: bytes ? undefined : { payload, options } });
    return 'datachannel';
  }

  /** Stops: queued messages are dropped (they belong to a session that is over). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.openTimer !== undefined) clearTimeout(this.openTimer);
    this.openTimer = undefined;
    for (const lane of Object.values(this.lanes)) {
      this.stats.dropped += lane.queue.length;
      this.stats.queued -= lane.queue.length;
      lane.queue.length = 0;
      lane.queuedBytes = 0;
      const channel = lane.channel;
      if (!channel) continue;
      channel.onmessage = null;
      channel.onopen = null;
      channel.onclose = null;
      channel.onbufferedamountlow = null;
    }
  }

  /** The largest message a channel takes now. */
  private maxMessageSize(): number {
    const reported = this.options.maxMessageSize();
    // 0 or NaN would mean nothing is known; +Infinity is a real answer (W3C WebRTC, RTCSctpTransport.maxMessageSize).
    return reported !== undefined && reported > 0 ? reported : DEFAULT_MAX_MESSAGE_SIZE;
  }

  private availability(lane: Lane): Availability {
    if (this.closed || this.connectionState === 'failed' || this.connectionState === 'closed')
      return 'unavailable';
    const state = lane.channel?.readyState;
    if (state === 'open') return 'open';
    if (state === 'closing' || state === 'closed') return 'unavailable';
    if (this.negotiated === false || this.openTimedOut) return 'unavailable';
    return 'pending';
  }

  /** After any change: sends what an open channel can take, or moves the queue of an unavailable one to signaling. */
  private update(): void {
    if (this.closed) return;
    for (const lane of Object.values(this.lanes)) {
      const availability = this.availability(lane);
      if (availability === 'open') this.drain(lane);
      else if (availability === 'unavailable') this.fallBack(lane);
    }
  }

  private enqueue(lane: Lane, message: QueuedMessage): void {
    const { maxMessages, maxBytes } = DATA_QUEUE_LIMITS;
    const overflows = () => lane.queue.length + 1 > maxMessages || lane.queuedBytes + message.size > maxBytes;
    if (overflows()) {
      if (lane.label === 'reliable' || message.size > maxBytes)
        throw new DataQueueFullError(
          `the ${lane.label} data channel's queue holds ${lane.queue.length} messages (${lane.queuedBytes} bytes): ` +
            `the channel is not open yet or not draining; wait for it, or send less`,
        );
      while (overflows()) this.dropOldest(lane);
    }
    lane.queue.push(message);
    lane.queuedBytes += message.size;
    this.stats.queued += 1;
  }

  private dropOldest(lane: Lane): void {
    const oldest = lane.queue.shift();
    if (!oldest) return;
    lane.queuedBytes -= oldest.size;
    this.stats.queued -= 1;
    this.stats.dropped += 1;
  }

  /** Sends queued messages while the browser's buffer has room; `bufferedamountlow` calls again. */
  private drain(lane: Lane): void {
    const channel = lane.channel;
    if (!channel || this.availability(lane) !== 'open') return;
    let refused = 0;
    while (lane.queue.length > 0) {
      const next = lane.queue[0];
      if (!fits(channel, next.size)) break;
      lane.queue.shift();
      lane.queuedBytes -= next.size;
      this.stats.queued -= 1;
      try {
        sendOn(channel, next.data);
        this.stats.sentOnChannels += 1;
      } catch {
        refused += 1;
      }
    }
    if (refused > 0) this.reportDropped(refused, `the ${lane.label} data channel refused them`);
  }

  /** The channel will not come: JSON messages go through signaling, binary ones are lost. */
  private fallBack(lane: Lane): void {
    if (lane.queue.length === 0) return;
    const queued = lane.queue.splice(0);
    lane.queuedBytes = 0;
    this.stats.queued -= queued.length;
    let lost = 0;
    for (const message of queued) {
      if (!message.fallback) {
        lost += 1;
        continue;
      }
      try {
        this.options.signal(signalingDataMessage(message.fallback.payload, message.fallback.options));
        this.stats.sentOnSignaling += 1;
      } catch {
        lost += 1; // over the signaling frame limit
      }
    }
    if (lost > 0)
      this.reportDropped(
        lost,
        `the ${lane.label} data channel is unavailable, and signaling cannot carry them (binary, or over 64 KiB)`,
      );
  }

  private reportDropped(count: number, why: string): void {
    this.stats.dropped += count;
    this.options.onError({ code: 'data_dropped', message: `${count} data message(s) dropped: ${why}` });
  }

  private receive(data: unknown): void {
    const result = decodeIncomingEnvelope(data);
    if (!result.ok) {
      this.stats.malformed += 1;
      return;
    }
    this.stats.receivedOnChannels += 1;
    const { from, topic, payload } = result.value;
    this.options.onMessage({ from, topic, payload, via: 'datachannel' });
  }
}

/** Room for `size` more bytes in the browser's buffer (a message always goes when the buffer is empty). */
function fits(channel: RTCDataChannel, size: number): boolean {
  return channel.bufferedAmount === 0 || channel.bufferedAmount + size <= BUFFERED_AMOUNT_HIGH;
}

function sendOn(channel: RTCDataChannel, data: string | Uint8Array<ArrayBuffer>): void {
  if (typeof data === 'string') channel.send(data);
  else channel.send(data);
}

/**
 * The payload's bytes when it is binary (an ArrayBuffer or a view of one),
 * else undefined. The view shares the caller's memory: encode it at once.
 */
export function binaryPayload(payload: unknown): Uint8Array | undefined {
  if (payload instanceof ArrayBuffer) return new Uint8Array(payload);
  if (ArrayBuffer.isView(payload))
    return new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
  return undefined;
}

/** Refuses options no server accepts (the limits of docs/protocol.md, `data`). */
export function checkDataOptions(options: SendDataOptions): void {
  const { topic, to } = options;
  if (topic !== undefined && (typeof topic !== 'string' || topic.length > MAX_TOPIC_LENGTH))
    throw new InvalidDataError(`topic must be a string of at most ${MAX_TOPIC_LENGTH} characters`);
  if (
    to !== undefined &&
    (!Array.isArray(to) ||
      to.length > MAX_RECIPIENTS ||
      !to.every((id) => typeof id === 'string' && id.length > 0))
  )
    throw new InvalidDataError(`to must be an array of at most ${MAX_RECIPIENTS} participant ids`);
}

/**
 * The signaling `data` message for a JSON payload: refuses a binary one
 * (BinaryDataUnsupportedError: signaling is JSON) and one whose frame would
 * pass MAX_SIGNALING_FRAME_BYTES (the server would close the connection).
 */
export function signalingDataMessage(payload: unknown, options: SendDataOptions): ClientMessage {
  if (binaryPayload(payload))
    throw new BinaryDataUnsupportedError(
      'a binary payload needs the data channels of an sfu room: signaling `data` messages are JSON',
    );
  // Built field by field: `reliable` is no field of the wire message.
  const message: Extract<ClientMessage, { type: 'data' }> = { type: 'data', payload };
  if (options.topic !== undefined) message.topic = options.topic;
  if (options.to !== undefined) message.to = options.to;
  const text = JSON.stringify(message);
  const size = utf8ByteLength(text);
  if (size > MAX_SIGNALING_FRAME_BYTES)
    throw new DataTooLargeError(size, MAX_SIGNALING_FRAME_BYTES, 'signaling');
  return message;
}
