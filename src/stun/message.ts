/**
 * STUN message codec (RFC 8489 §5, §14).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |0 0|     STUN Message Type     |         Message Length        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                         Magic Cookie                          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                     Transaction ID (96 bits)                  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Each attribute is a 16-bit type, a 16-bit value length and the value,
 * padded to a multiple of 4 bytes.
 *
 * Decoded attribute values are views into the received buffer: they stay
 * valid as long as the caller does not reuse that buffer. Copy what is kept.
 */
import { randomBytes } from 'node:crypto';
import type { TransportAddress } from '../util/ip.js';
import { decodeAddress, decodeXorAddress, encodeAddressTo } from './address.js';
import {
  AttributeType,
  classOf,
  HEADER_SIZE,
  MAGIC_COOKIE,
  type MessageClass,
  messageType,
  methodOf,
  TRANSACTION_ID_SIZE,
} from './constants.js';
import { decodeErrorCode, type ErrorCodeValue, encodeErrorCode } from './error-code.js';
import { StunError } from './errors.js';
import { computeFingerprint } from './fingerprint.js';
import { computeIntegrity, INTEGRITY_SIZE, type IntegrityAlgorithm, verifyIntegrity } from './integrity.js';
import { encodeUnknownAttributes } from './unknown-attributes.js';

/** Upper bound on attributes per message; a legitimate message has a dozen at most. */
export const MAX_ATTRIBUTES = 128;

/** One attribute as found in a received message. */
export interface StunAttribute {
  readonly type: number;
  /** View of the value, without padding. */
  readonly value: Buffer;
  /** Offset of the attribute header within the message. */
  readonly offset: number;
}

/** Result of decoding: a message or a typed error, never an exception. */
export type DecodeResult = { ok: true; message: StunMessage } | { ok: false; error: StunError };

/** A decoded STUN message. */
export class StunMessage {
  /** The whole message (a view of the received bytes). */
  readonly raw: Buffer;
  /** The 14-bit message type. */
  readonly type: number;
  /** Magic cookie field; not MAGIC_COOKIE for RFC 3489 clients. */
  readonly cookie: number;
  /** The 96-bit transaction id (view). */
  readonly transactionId: Buffer;
  /** Attributes in wire order, excluding any that follow MESSAGE-INTEGRITY and must be ignored. */
  readonly attributes: readonly StunAttribute[];

  constructor(raw: Buffer, type: number, cookie: number, transactionId: Buffer, attributes: StunAttribute[]) {
    this.raw = raw;
    this.type = type;
    this.cookie = cookie;
    this.transactionId = transactionId;
    this.attributes = attributes;
  }

  /** The method (Binding, Allocate, …). */
  get method(): number {
    return methodOf(this.type);
  }

  /** The class (request, indication, success, error). */
  get messageClass(): MessageClass {
    return classOf(this.type);
  }

  /** False for RFC 3489 clients, which have no magic cookie. */
  get hasMagicCookie(): boolean {
    return this.cookie === MAGIC_COOKIE;
  }

  /** The first attribute of the type. */
  attribute(type: number): StunAttribute | undefined {
    for (const attribute of this.attributes) if (attribute.type === type) return attribute;
    return undefined;
  }

  /** The first value of the type (a view). */
  get(type: number): Buffer | undefined {
    return this.attribute(type)?.value;
  }

  /** Every value of the type, in order (views). */
  getAll(type: number): Buffer[] {
    const values: Buffer[] = [];
    for (const attribute of this.attributes) if (attribute.type === type) values.push(attribute.value);
    return values;
  }

  /** True when the attribute is present. */
  has(type: number): boolean {
    return this.attribute(type) !== undefined;
  }

  /** A UTF-8 attribute (USERNAME, REALM, NONCE, SOFTWARE, ALTERNATE-DOMAIN). */
  getString(type: number): string | undefined {
    return this.get(type)?.toString('utf8');
  }

  /** A 32-bit attribute (LIFETIME, PRIORITY); undefined when absent or of the wrong size. */
  getUint32(type: number): number | undefined {
    const value = this.get(type);
    return value && value.length === 4 ? value.readUInt32BE(0) : undefined;
  }

  /** A plain address attribute; undefined when absent or malformed. */
  getAddress(type: number): TransportAddress | undefined {
    const value = this.get(type);
    return value && decodeAddress(value);
  }

  /** An XOR address attribute; undefined when absent or malformed. */
  getXorAddress(type: number): TransportAddress | undefined {
    const value = this.get(type);
    return value && decodeXorAddress(value, this.transactionId);
  }

  /** Every XOR address of the type; an entry is undefined where one is malformed. */
  getAllXorAddresses(type: number): (TransportAddress | undefined)[] {
    return this.getAll(type).map((value) => decodeXorAddress(value, this.transactionId));
  }

  /** ERROR-CODE; undefined when absent or malformed. */
  getErrorCode(): ErrorCodeValue | undefined {
    const value = this.get(AttributeType.ErrorCode);
    return value && decodeErrorCode(value);
  }

  /**
   * Checks the message's integrity with the key. Prefers MESSAGE-INTEGRITY-SHA256
   * when present (RFC 8489 §9.2.4). Returns the algorithm that verified, 'missing'
   * when the message has no integrity, or false when it does not verify.
   */
  checkIntegrity(key: Buffer): IntegrityAlgorithm | 'missing' | false {
    const sha256 = this.attribute(AttributeType.MessageIntegritySha256);
    if (sha256)
      return verifyIntegrity('sha256', key, this.raw, sha256.offset, sha256.value) ? 'sha256' : false;
    const sha1 = this.attribute(AttributeType.MessageIntegrity);
    if (sha1) return verifyIntegrity('sha1', key, this.raw, sha1.offset, sha1.value) ? 'sha1' : false;
    return 'missing';
  }
}

/**
 * Quick check that a datagram looks like STUN (RFC 7983 demultiplexing plus
 * the header invariants). Does not validate attributes.
 */
export function isStunMessage(buf: Buffer): boolean {
  return (
    buf.length >= HEADER_SIZE &&
    (buf[0] & 0xc0) === 0 &&
    buf.readUInt32BE(4) === MAGIC_COOKIE &&
    (buf.readUInt16BE(2) & 3) === 0 &&
    buf.readUInt16BE(2) + HEADER_SIZE === buf.length
  );
}

function fail(code: StunError['code'], message: string): DecodeResult {
  return { ok: false, error: new StunError(code, message) };
}

/**
 * Decodes a whole STUN message. The buffer must hold exactly one message (a
 * datagram, or a frame already cut from a stream). Never throws.
 */
export function decodeMessage(buf: Buffer): DecodeResult {
  if (buf.length < HEADER_SIZE)
    return fail('ERR_STUN_TOO_SHORT', `${buf.length} bytes is shorter than a header`);
  if ((buf[0] & 0xc0) !== 0) return fail('ERR_STUN_NOT_STUN', 'the two top bits are not zero');
  const type = buf.readUInt16BE(0);
  const length = buf.readUInt16BE(2);
  if (length % 4 !== 0) return fail('ERR_STUN_BAD_LENGTH', `length ${length} is not a multiple of 4`);
  if (HEADER_SIZE + length !== buf.length) {
    return fail(
      'ERR_STUN_BAD_LENGTH',
      `length field ${length} does not match ${buf.length - HEADER_SIZE} bytes`,
    );
  }
  const cookie = buf.readUInt32BE(4);
  const transactionId = buf.subarray(8, HEADER_SIZE);
  const attributes: StunAttribute[] = [];
  let offset = HEADER_SIZE;
  let afterIntegrity = false;
  let afterIntegritySha256 = false;
  while (offset < buf.length) {
    if (offset + 4 > buf.length)
      return fail('ERR_STUN_BAD_ATTRIBUTE', `truncated attribute header at ${offset}`);
    const attributeType = buf.readUInt16BE(offset);
    const valueLength = buf.readUInt16BE(offset + 2);
    const valueEnd = offset + 4 + valueLength;
    if (valueEnd > buf.length) {
      return fail('ERR_STUN_BAD_ATTRIBUTE', `attribute 0x${attributeType.toString(16)} overruns the message`);
    }
    const padded = offset + 4 + ((valueLength + 3) & ~3);
    if (padded > buf.length) return fail('ERR_STUN_BAD_ATTRIBUTE', 'attribute padding overruns the message');
    if (attributes.length >= MAX_ATTRIBUTES)
      return fail('ERR_STUN_TOO_MANY_ATTRIBUTES', 'too many attributes');
    const value = buf.subarray(offset + 4, valueEnd);
    if (attributeType === AttributeType.Fingerprint) {
      if (padded !== buf.length) {
        return fail('ERR_STUN_ATTRIBUTE_AFTER_FINGERPRINT', 'FINGERPRINT is not the last attribute');
      }
      if (valueLength !== 4 || value.readUInt32BE(0) !== computeFingerprint(buf, offset)) {
        return fail('ERR_STUN_BAD_FINGERPRINT', 'FINGERPRINT does not match');
      }
      attributes.push({ type: attributeType, value, offset });
    } else if (attributeType === AttributeType.MessageIntegritySha256) {
      // Only FINGERPRINT may follow (RFC 8489 §14.6); anything else is ignored.
      if (!afterIntegritySha256) attributes.push({ type: attributeType, value, offset });
      afterIntegrity = true;
      afterIntegritySha256 = true;
    } else if (attributeType === AttributeType.MessageIntegrity) {
      if (!afterIntegrity) attributes.push({ type: attributeType, value, offset });
      afterIntegrity = true;
    } else if (!afterIntegrity) {
      attributes.push({ type: attributeType, value, offset });
    }
    offset = padded;
  }
  return { ok: true, message: new StunMessage(buf, type, cookie, transactionId, attributes) };
}

/** Scratch space for one encoded address value (at most 20 bytes); only used synchronously. */
const addressScratch = Buffer.alloc(20);

/** A fresh random transaction id. */
export function randomTransactionId(): Buffer {
  return randomBytes(TRANSACTION_ID_SIZE);
}

/**
 * Builds a STUN message attribute by attribute. Integrity and fingerprint
 * attributes must be added last, in the order MESSAGE-INTEGRITY,
 * MESSAGE-INTEGRITY-SHA256, FINGERPRINT.
 */
export class StunMessageBuilder {
  /** The transaction id written in the header. */
  readonly transactionId: Buffer;
  private buf: Buffer;
  private end = HEADER_SIZE;

  constructor(type: number, transactionId: Buffer = randomTransactionId(), cookie: number = MAGIC_COOKIE) {
    if (transactionId.length !== TRANSACTION_ID_SIZE) {
      throw new StunError('ERR_STUN_INVALID_ARGUMENT', 'a transaction id is 12 bytes');
    }
    this.transactionId = transactionId;
    this.buf = Buffer.allocUnsafe(512);
    this.buf.writeUInt16BE(type & 0x3fff, 0);
    this.buf.writeUInt32BE(cookie >>> 0, 4);
    transactionId.copy(this.buf, 8);
  }

  /** A builder for a request or indication of the method. */
  static create(method: number, messageClass: MessageClass, transactionId?: Buffer): StunMessageBuilder {
    return new StunMessageBuilder(messageType(method, messageClass), transactionId);
  }

  /** A builder for the response to a request: same method, transaction id and cookie. */
  static response(request: StunMessage, messageClass: MessageClass): StunMessageBuilder {
    return new StunMessageBuilder(
      messageType(request.method, messageClass),
      request.transactionId,
      request.cookie,
    );
  }

  /** Reserves room for an attribute and writes its header; returns the value offset. */
  private reserve(type: number, valueLength: number): number {
    if (valueLength > 0xffff)
      throw new StunError('ERR_STUN_INVALID_ARGUMENT', 'attribute value over 65535 bytes');
    const padded = (valueLength + 3) & ~3;
    const needed = this.end + 4 + padded;
    if (needed - HEADER_SIZE > 0xffff)
      throw new StunError('ERR_STUN_BUFFER_TOO_SMALL', 'message over 65535 bytes');
    if (needed > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.buf.length * 2));
      this.buf.copy(grown, 0, 0, this.end);
      this.buf = grown;
    }
    this.buf.writeUInt16BE(type, this.end);
    this.buf.writeUInt16BE(valueLength, this.end + 2);
    const valueOffset = this.end + 4;
    this.buf.fill(0, valueOffset + valueLength, valueOffset + padded);
    this.end = valueOffset + padded;
    return valueOffset;
  }

  /** Adds an attribute with raw bytes or UTF-8 text. */
  add(type: number, value: Buffer | string): this {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    // reserve() may replace this.buf, so it must run before this.buf is read.
    const valueOffset = this.reserve(type, bytes.length);
    bytes.copy(this.buf, valueOffset);
    return this;
  }

  /** Adds an attribute with no value (USE-CANDIDATE, DONT-FRAGMENT). */
  addEmpty(type: number): this {
    this.reserve(type, 0);
    return this;
  }

  /** Adds a 32-bit attribute (LIFETIME, PRIORITY, REQUESTED-TRANSPORT as protocol<<24, …). */
  addUint32(type: number, value: number): this {
    const valueOffset = this.reserve(type, 4);
    this.buf.writeUInt32BE(value >>> 0, valueOffset);
    return this;
  }

  /** Adds a 64-bit attribute (ICE-CONTROLLED/ICE-CONTROLLING tie-breaker, RESERVATION-TOKEN). */
  addUint64(type: number, value: bigint): this {
    const valueOffset = this.reserve(type, 8);
    this.buf.writeBigUInt64BE(BigInt.asUintN(64, value), valueOffset);
    return this;
  }

  /** Adds a plain address attribute (MAPPED-ADDRESS, ALTERNATE-SERVER). */
  addAddress(type: number, address: TransportAddress): this {
    return this.addEncodedAddress(type, address, undefined);
  }

  /** Adds an XOR address attribute (XOR-MAPPED-, XOR-PEER-, XOR-RELAYED-ADDRESS). */
  addXorAddress(type: number, address: TransportAddress): this {
    return this.addEncodedAddress(type, address, this.transactionId);
  }

  /** Encodes into scratch space first, so that an invalid address throws before anything is reserved. */
  private addEncodedAddress(type: number, address: TransportAddress, transactionId?: Buffer): this {
    const size = encodeAddressTo(addressScratch, 0, address, transactionId);
    return this.add(type, addressScratch.subarray(0, size));
  }

  /** Adds ERROR-CODE with the standard reason phrase unless one is given. */
  addErrorCode(code: number, reason?: string): this {
    return this.add(AttributeType.ErrorCode, encodeErrorCode(code, reason));
  }

  /** Adds UNKNOWN-ATTRIBUTES. */
  addUnknownAttributes(types: readonly number[]): this {
    return this.add(AttributeType.UnknownAttributes, encodeUnknownAttributes(types));
  }

  /** Adds MESSAGE-INTEGRITY (HMAC-SHA1) over everything added so far. */
  addMessageIntegrity(key: Buffer): this {
    return this.addIntegrity('sha1', key);
  }

  /** Adds MESSAGE-INTEGRITY-SHA256 (HMAC-SHA256, full 32 bytes). */
  addMessageIntegritySha256(key: Buffer): this {
    return this.addIntegrity('sha256', key);
  }

  /** Adds the integrity attribute of the algorithm. */
  addIntegrity(algorithm: IntegrityAlgorithm, key: Buffer): this {
    const size = INTEGRITY_SIZE[algorithm];
    const type = algorithm === 'sha1' ? AttributeType.MessageIntegrity : AttributeType.MessageIntegritySha256;
    const attributeOffset = this.end;
    const valueOffset = this.reserve(type, size);
    this.writeLength();
    computeIntegrity(algorithm, key, this.buf, attributeOffset, size).copy(this.buf, valueOffset);
    return this;
  }

  /** Adds FINGERPRINT; must be the last attribute. */
  addFingerprint(): this {
    const attributeOffset = this.end;
    const valueOffset = this.reserve(AttributeType.Fingerprint, 4);
    this.writeLength();
    this.buf.writeUInt32BE(computeFingerprint(this.buf, attributeOffset), valueOffset);
    return this;
  }

  private writeLength(): void {
    this.buf.writeUInt16BE(this.end - HEADER_SIZE, 2);
  }

  /** Finishes the message and returns its bytes (a view of the builder's buffer). */
  build(): Buffer {
    this.writeLength();
    return this.buf.subarray(0, this.end);
  }
}
