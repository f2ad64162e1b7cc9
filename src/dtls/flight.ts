/**
 * Flights (RFC 6347 §4.2.4): the messages one side sends before waiting for
 * the other, sent and retransmitted as a unit. Packing fragments each
 * handshake message to fit the MTU (§4.2.3) and puts as many records in each
 * datagram as fit (§4.1.1). Every transmission takes fresh record sequence
 * numbers, so a flight is kept as messages, not as datagrams.
 */
import { ContentType } from './constants.js';
import { encodeHandshakeFragment, HANDSHAKE_HEADER_SIZE } from './handshake-header.js';
import { RECORD_HEADER_SIZE } from './record.js';

/** One message of a flight. */
export type FlightMessage =
  | { kind: 'handshake'; epoch: number; messageType: number; messageSeq: number; body: Buffer }
  | { kind: 'change-cipher-spec'; epoch: number };

/** The record layer as packing sees it. */
export interface RecordWriter {
  /** Bytes protection adds to a fragment in `epoch`. */
  overhead(epoch: number): number;
  /** A whole record (header and protected fragment) with the next sequence number of `epoch`. */
  record(epoch: number, contentType: number, plaintext: Buffer): Buffer;
}

/** Smallest useful fragment: below it, a fresh datagram is started rather than a sliver sent. */
const MIN_FRAGMENT = 32;

/** Packs records into datagrams of at most `mtu` bytes. */
export class DatagramPacker {
  readonly #mtu: number;
  readonly #datagrams: Buffer[] = [];
  #current: Buffer[] = [];
  #currentLength = 0;

  /** A packer for datagrams of at most `mtu` bytes. */
  constructor(mtu: number) {
    this.#mtu = mtu;
  }

  /** Bytes still free in the datagram being filled. */
  get room(): number {
    return this.#mtu - this.#currentLength;
  }

  /** True when the datagram being filled holds nothing yet. */
  get currentEmpty(): boolean {
    return this.#currentLength === 0;
  }

  /** Closes the datagram being filled. */
  flush(): void {
    if (this.#currentLength === 0) return;
    this.#datagrams.push(this.#current.length === 1 ? this.#current[0] : Buffer.concat(this.#current));
    this.#current = [];
    this.#currentLength = 0;
  }

  /** Adds a record, starting a new datagram when it does not fit. */
  add(record: Buffer): void {
    if (record.length > this.room) this.flush();
    this.#current.push(record);
    this.#currentLength += record.length;
  }

  /** The datagrams, after a final flush. */
  finish(): Buffer[] {
    this.flush();
    return this.#datagrams;
  }
}

/** Encodes a flight into datagrams of at most `mtu` bytes. */
export function packFlight(messages: readonly FlightMessage[], mtu: number, writer: RecordWriter): Buffer[] {
  const packer = new DatagramPacker(mtu);
  for (const message of messages) {
    const overhead = RECORD_HEADER_SIZE + writer.overhead(message.epoch);
    if (message.kind === 'change-cipher-spec') {
      packer.add(writer.record(message.epoch, ContentType.changeCipherSpec, Buffer.from([1])));
      continue;
    }
    const body = message.body;
    let offset = 0;
    do {
      const remaining = body.length - offset;
      let room = packer.room - overhead - HANDSHAKE_HEADER_SIZE;
      if (room < Math.min(remaining, MIN_FRAGMENT) && !packer.currentEmpty) {
        packer.flush();
        room = packer.room - overhead - HANDSHAKE_HEADER_SIZE;
      }
      // An MTU below the per-record overhead still makes progress, one byte per record.
      const length = Math.max(1, Math.min(remaining, room));
      const fragment = encodeHandshakeFragment(
        message.messageType,
        message.messageSeq,
        body,
        offset,
        Math.min(length, remaining),
      );
      packer.add(writer.record(message.epoch, ContentType.handshake, fragment));
      offset += length;
    } while (offset < body.length);
  }
  return packer.finish();
}
