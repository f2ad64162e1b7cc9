/**
 * A DataConsumer: one DataProducer's messages as one participant receives
 * them, on that participant's link (like a Consumer for a track). Closing it
 * stops the flow from that sender only.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { DataLink, DataReliability } from './data-link.js';
import type { DataProducer } from './data-producer.js';

/** Events of a {@link DataConsumer}. */
export interface DataConsumerEvents {
  close: [];
}

/** Counters of one data consumer. */
export interface DataConsumerStats {
  messagesSent: number;
  /** Messages the link could not send (channel not open, too large, queue full). */
  messagesDropped: number;
}

/** One sender's messages towards one participant. */
export class DataConsumer extends EventEmitter<DataConsumerEvents> {
  readonly id = randomUUID();
  readonly dataProducer: DataProducer;
  /** The receiving participant's link. */
  readonly link: DataLink;
  readonly appData: Record<string, unknown>;
  readonly stats: DataConsumerStats = { messagesSent: 0, messagesDropped: 0 };
  #closed = false;

  constructor(dataProducer: DataProducer, link: DataLink, appData: Record<string, unknown> = {}) {
    super();
    this.dataProducer = dataProducer;
    this.link = link;
    this.appData = appData;
    dataProducer.addConsumer(this);
    if (dataProducer.closed) this.close();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** @internal One envelope from the producer. */
  deliver(message: string | Buffer, reliability: DataReliability): void {
    if (this.#closed) return;
    if (this.link.send(message, reliability)) this.stats.messagesSent++;
    else this.stats.messagesDropped++;
  }

  /** Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.emit('close');
  }
}
