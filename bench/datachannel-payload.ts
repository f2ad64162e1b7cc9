/**
 * The bytes bench/datachannel.ts transfers, and their check on arrival, in
 * one place so that the benchmark process and the libwebrtc peer processes
 * (bench/datachannel-peer.ts) agree on them.
 *
 * A transfer of N bytes is ceil(N / messageSize) binary messages, all
 * messageSize long but the last. Every message is the same pseudo-random
 * block with its index (uint32, big-endian) written over its first four
 * bytes, so a message lost, repeated or delivered out of order changes the
 * SHA-256 of the stream as well as failing the index check. The expected
 * digest is computed from the settings alone, before the transfer, so no
 * sender spends time hashing.
 */
import { createHash, type Hash } from 'node:crypto';

/** How much one run moves, and in what messages. */
export interface TransferShape {
  /** Total payload bytes. */
  bytes: number;
  /** Bytes per message (the last one may be shorter). */
  messageSize: number;
}

/** A deterministic pseudo-random block (xorshift32): the payload of every message. */
export function payloadBlock(size: number): Buffer {
  const block = Buffer.allocUnsafe(size);
  let state = 0x9e3779b9;
  for (let i = 0; i < size; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    block[i] = state & 0xff;
  }
  return block;
}

/** Number of messages of a transfer. */
export function messageCount(shape: TransferShape): number {
  return Math.ceil(shape.bytes / shape.messageSize);
}

/** Length of message `index`. */
export function messageLength(shape: TransferShape, index: number): number {
  return Math.min(shape.messageSize, shape.bytes - index * shape.messageSize);
}

/**
 * Message `index`, written into `block` (which must be messageSize long)
 * and returned as a view of it: valid until the next call, which suits
 * senders that copy on send() — both stacks measured here do.
 */
export function messageInto(block: Buffer, shape: TransferShape, index: number): Buffer {
  const length = messageLength(shape, index);
  if (length >= 4) block.writeUInt32BE(index >>> 0, 0);
  return length === block.length ? block : block.subarray(0, length);
}

/** The SHA-256 (hex) of a whole transfer's bytes, in order. */
export function expectedDigest(shape: TransferShape): string {
  const block = payloadBlock(shape.messageSize);
  const hash = createHash('sha256');
  const count = messageCount(shape);
  for (let index = 0; index < count; index++) hash.update(messageInto(block, shape, index));
  return hash.digest('hex');
}

/** What a receiver saw, reported when the last byte arrived. */
export interface ReceiveSummary {
  bytes: number;
  messages: number;
  /** SHA-256 (hex) of every byte received, in order. */
  digest: string;
  /** Messages whose index or length was not the next expected one. */
  misordered: number;
  /** process.hrtime.bigint() (CLOCK_MONOTONIC, shared by the processes of one machine) at the first and last message, ns. */
  firstNs: string;
  lastNs: string;
}

/** Hashes and checks messages as they arrive; `done` once the expected bytes are in. */
export class PayloadVerifier {
  readonly #shape: TransferShape;
  readonly #hash: Hash = createHash('sha256');
  #bytes = 0;
  #messages = 0;
  #misordered = 0;
  #firstNs = 0n;
  #lastNs = 0n;

  constructor(shape: TransferShape) {
    this.#shape = shape;
  }

  /** True once at least the expected number of bytes arrived. */
  get done(): boolean {
    return this.#bytes >= this.#shape.bytes;
  }

  /** Takes one received message. */
  add(data: Uint8Array): void {
    const now = process.hrtime.bigint();
    if (this.#messages === 0) this.#firstNs = now;
    this.#lastNs = now;
    const index = this.#messages++;
    const expectedLength = messageLength(this.#shape, index);
    if (data.length !== expectedLength) this.#misordered++;
    else if (data.length >= 4) {
      const stamped = ((data[0] << 24) | (data[1] << 16) | (data[2] << 8) | data[3]) >>> 0;
      if (stamped !== index >>> 0) this.#misordered++;
    }
    this.#bytes += data.length;
    this.#hash.update(data);
  }

  /** The summary; call once, when done. */
  summary(): ReceiveSummary {
    return {
      bytes: this.#bytes,
      messages: this.#messages,
      digest: this.#hash.digest('hex'),
      misordered: this.#misordered,
      firstNs: String(this.#firstNs),
      lastNs: String(this.#lastNs),
    };
  }
}

/** What is wrong with a received transfer: empty when it is exactly the one sent, in order. */
export function transferProblems(shape: TransferShape, digest: string, summary: ReceiveSummary): string[] {
  const problems: string[] = [];
  if (summary.bytes !== shape.bytes) problems.push(`${summary.bytes} bytes instead of ${shape.bytes}`);
  if (summary.messages !== messageCount(shape))
    problems.push(`${summary.messages} messages instead of ${messageCount(shape)}`);
  if (summary.misordered > 0) problems.push(`${summary.misordered} messages out of place`);
  if (summary.digest !== digest) problems.push('SHA-256 mismatch');
  return problems;
}
