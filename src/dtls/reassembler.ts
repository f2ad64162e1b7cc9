/**
 * Handshake reassembly (RFC 6347 §4.2.3): fragments of one message may arrive
 * in any order, overlap, or repeat, and messages may arrive ahead of their
 * turn. Messages are released strictly in message_seq order.
 */
import type { HandshakeFragment } from './handshake-header.js';

/** A complete handshake message; `body` is owned (copied out of the datagrams). */
export interface HandshakeMessage {
  messageType: number;
  messageSeq: number;
  body: Buffer;
}

/** Largest handshake message accepted: certificates of a WebRTC peer are a few kilobytes. */
export const MAX_HANDSHAKE_MESSAGE_LENGTH = 64 * 1024;

/** How far ahead of the next expected message_seq fragments are buffered. */
export const MAX_MESSAGES_AHEAD = 16;

/** What happened to an offered fragment. */
export type FragmentDisposition = 'buffered' | 'old' | 'too-far' | 'too-large' | 'conflict';

interface PartialMessage {
  messageType: number;
  body: Buffer;
  /** One flag per body byte received. */
  received: Uint8Array;
  missing: number;
}

/** Collects fragments and hands out whole messages in order. */
export class HandshakeReassembler {
  #nextSeq: number;
  readonly #partial = new Map<number, PartialMessage>();

  /** A reassembler expecting `nextSeq` first. */
  constructor(nextSeq = 0) {
    this.#nextSeq = nextSeq;
  }

  /** The message_seq of the next message to be released. */
  get nextSeq(): number {
    return this.#nextSeq;
  }

  /** True when no fragment of a later message is held. */
  get empty(): boolean {
    return this.#partial.size === 0;
  }

  /** Forgets everything and expects `nextSeq` next (the server resets on each ClientHello it refuses). */
  reset(nextSeq: number): void {
    this.#nextSeq = nextSeq;
    this.#partial.clear();
  }

  /** Offers one fragment; the body bytes are copied, so the datagram may be reused afterwards. */
  add(fragment: HandshakeFragment): FragmentDisposition {
    const seq = fragment.messageSeq;
    if (seq < this.#nextSeq) return 'old';
    if (seq >= this.#nextSeq + MAX_MESSAGES_AHEAD) return 'too-far';
    if (fragment.length > MAX_HANDSHAKE_MESSAGE_LENGTH) return 'too-large';
    let partial = this.#partial.get(seq);
    if (!partial) {
      partial = {
        messageType: fragment.messageType,
        body: Buffer.alloc(fragment.length),
        received: new Uint8Array(fragment.length),
        missing: fragment.length,
      };
      this.#partial.set(seq, partial);
    } else if (partial.messageType !== fragment.messageType || partial.body.length !== fragment.length) {
      return 'conflict';
    }
    const start = fragment.fragmentOffset;
    const bytes = fragment.fragment;
    for (let i = 0; i < bytes.length; i++) {
      if (partial.received[start + i] === 0) {
        partial.received[start + i] = 1;
        partial.body[start + i] = bytes[i];
        partial.missing--;
      }
    }
    return 'buffered';
  }

  /** The next message when all of it has arrived, else undefined. */
  next(): HandshakeMessage | undefined {
    const partial = this.#partial.get(this.#nextSeq);
    if (!partial || partial.missing > 0) return undefined;
    this.#partial.delete(this.#nextSeq);
    const message = { messageType: partial.messageType, messageSeq: this.#nextSeq, body: partial.body };
    this.#nextSeq++;
    return message;
  }
}
