/**
 * A DataProducer: what one participant sends on its data channels, as the
 * room's source of that participant's messages (mediasoup's model, like a
 * Producer for a track). Each accepted envelope is written once, with the
 * participant as `from`, and handed to the DataConsumers it names (all of
 * them when it names none), on the channel it came on: reliable stays
 * reliable, lossy stays lossy.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { DataConsumer } from './data-consumer.js';
import { encodeOutgoingEnvelope, type IncomingEnvelope } from './data-envelope.js';
import type { DataLink, DataReliability } from './data-link.js';

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
}

/** One participant's messages, routed to the others. */
export class DataProducer extends EventEmitter<DataProducerEvents> {
  readonly id = randomUUID();
  /** The sender's link; its participant id is every message's `from`. */
  readonly link: DataLink;
  readonly appData: Record<string, unknown>;
  readonly stats: DataProducerStats = { messagesReceived: 0, bytesReceived: 0, messagesRouted: 0 };
  readonly #consumers = new Set<DataConsumer>();
  readonly #onMessage = (envelope: IncomingEnvelope, reliability: DataReliability) =>
    this.#route(envelope, reliability);
  #closed = false;

  constructor(link: DataLink, appData: Record<string, unknown> = {}) {
    super();
    this.link = link;
    this.appData = appData;
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
    this.stats.messagesReceived++;
    this.stats.bytesReceived +=
      envelope.payload.kind === 'json' ? envelope.payload.text.length : envelope.payload.bytes.length;
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
