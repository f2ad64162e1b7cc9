/**
 * A DataProducer: what one participant sends on its data channels, as the
 * room's source of that participant's messages (mediasoup's model, like a
 * Producer for a track). Each accepted envelope is written once, with the
 * participant as `from`, and handed to the DataConsumers it names (all of
 * them when it names none), on the channel it came on: reliable stays
 * reliable, lossy stays lossy.
 *
 * Each sender is held to a rate (DATA_RATE_LIMITS by default): past it,
 * messages are dropped and counted, as a link over its rate would, so one
 * participant cannot make the server fan a flood out to the whole room.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { ByteRateLimiter } from '../turn/bandwidth.js';
import { RateLimiter } from '../util/rate-limiter.js';
import type { DataConsumer } from './data-consumer.js';
import { encodeOutgoingEnvelope, type IncomingEnvelope } from './data-envelope.js';
import type { DataLink, DataReliability } from './data-link.js';

/** What one participant may send, per second (the burst is twice the message rate, one second of bytes). */
export interface DataRateLimits {
  messagesPerSecond: number;
  bytesPerSecond: number;
}

/** Default limits: room for 60 Hz state updates and chat, and files at a few MB/s. */
export const DATA_RATE_LIMITS: DataRateLimits = { messagesPerSecond: 200, bytesPerSecond: 4 * 1024 * 1024 };

/** Events of a {@link DataProducer}. */
export interface DataProducerEvents {
  close: [];
}

/** Counters of one data producer. */
export interface DataProducerStats {
  messagesReceived: number;
  bytesReceived: number;
  /** Messages handed to consumers (one per recipient). */
  messagesRouted: number;
  /** Messages dropped for going over the sender's rate. */
  messagesRateLimited: number;
}

/** One participant's messages, routed to the others. */
export class DataProducer extends EventEmitter<DataProducerEvents> {
  readonly id = randomUUID();
  /** The sender's link; its participant id is every message's `from`. */
  readonly link: DataLink;
  readonly appData: Record<string, unknown>;
  readonly stats: DataProducerStats = {
    messagesReceived: 0,
    bytesReceived: 0,
    messagesRouted: 0,
    messagesRateLimited: 0,
  };
  readonly #messages: RateLimiter;
  readonly #bytes: ByteRateLimiter;
  readonly #consumers = new Set<DataConsumer>();
  readonly #onMessage = (envelope: IncomingEnvelope, reliability: DataReliability) =>
    this.#route(envelope, reliability);
  #closed = false;

  constructor(
    link: DataLink,
    appData: Record<string, unknown> = {},
    limits: DataRateLimits = DATA_RATE_LIMITS,
  ) {
    super();
    this.link = link;
    this.appData = appData;
    this.#messages = new RateLimiter({
      perSecond: limits.messagesPerSecond,
      burst: limits.messagesPerSecond * 2,
    });
    this.#bytes = new ByteRateLimiter(limits.bytesPerSecond, Date.now());
    link.on('message', this.#onMessage);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** @internal A consumer of this producer, until it closes. */
  addConsumer(consumer: DataConsumer): void {
    if (this.#closed) return;
    this.#consumers.add(consumer);
    consumer.once('close', () => this.#consumers.delete(consumer));
  }

  /** Closes the producer and its consumers; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.link.off('message', this.#onMessage);
    for (const consumer of [...this.#consumers]) consumer.close();
    this.emit('close');
  }

  #route(envelope: IncomingEnvelope, reliability: DataReliability): void {
    const size =
      envelope.payload.kind === 'json' ? envelope.payload.text.length : envelope.payload.bytes.length;
    this.stats.messagesReceived++;
    this.stats.bytesReceived += size;
    if (!this.#messages.take('') || !this.#bytes.take(size, Date.now())) {
      this.stats.messagesRateLimited++;
      return;
    }
    const out = encodeOutgoingEnvelope({
      from: this.link.participantId,
      topic: envelope.topic,
      payload: envelope.payload,
    });
    const to = envelope.to === undefined ? undefined : new Set(envelope.to);
    for (const consumer of this.#consumers) {
      if (to !== undefined && !to.has(consumer.link.participantId)) continue;
      consumer.deliver(out, reliability);
      this.stats.messagesRouted++;
    }
  }
}
