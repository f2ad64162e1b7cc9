/**
 * Property tests for the STUN message codec: garbage never throws, damage is
 * caught by FINGERPRINT and MESSAGE-INTEGRITY, and decode(build(x)) = x.
 * Integrity values and fingerprints are recomputed here with node:crypto and
 * node:zlib rather than with the code under test.
 */
import { createHmac } from 'node:crypto';
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIp, type TransportAddress } from '../util/ip.js';
import { decodeXorAddress } from './address.js';
import { AttributeType, errorReasons, MAGIC_COOKIE } from './constants.js';
import { decodeErrorCode } from './error-code.js';
import { StunError } from './errors.js';
import { verifyIntegrity } from './integrity.js';
import { type DecodeResult, decodeMessage, type StunMessage, StunMessageBuilder } from './message.js';
import { decodeUnknownAttributes } from './unknown-attributes.js';

/**
 * Run options. Shrinking a failure near the builder's 512-byte growth point can take minutes (every
 * smaller candidate passes), so a run, shrinking included, stops after a few seconds and still reports
 * the failure it found.
 */
function runs(numRuns: number): fc.Parameters<unknown> {
  return { numRuns, interruptAfterTimeLimit: 4_000 };
}

type IntegrityChoice = 'none' | 'sha1' | 'sha256' | 'both';

type Attribute =
  | { kind: 'text'; type: number; text: string }
  | { kind: 'bytes'; type: number; value: Uint8Array }
  | { kind: 'uint32'; type: number; value: number }
  | { kind: 'xor'; type: number; address: TransportAddress }
  | { kind: 'error'; code: number; reason: string | undefined }
  | { kind: 'unknown'; types: number[] };

interface MessageSpec {
  type: number;
  transactionId: Uint8Array;
  attributes: Attribute[];
  integrity: IntegrityChoice;
  fingerprint: boolean;
  key: Uint8Array;
}

const SPECIAL_TYPES = new Set<number>([
  AttributeType.MessageIntegrity,
  AttributeType.MessageIntegritySha256,
  AttributeType.Fingerprint,
]);

const attributeType = fc.integer({ min: 0, max: 0xffff }).filter((type) => !SPECIAL_TYPES.has(type));

/** Zero groups are frequent so that '::' lands everywhere; ::ffff:a.b.c.d is generated too. */
const ipv6Bytes = fc.oneof(
  fc
    .array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 })
    .map((groups) => {
      const bytes = Buffer.alloc(16);
      groups.forEach((group, i) => {
        bytes.writeUInt16BE(group, i * 2);
      });
      return bytes;
    }),
  fc
    .uint8Array({ minLength: 4, maxLength: 4 })
    .map((v4) => Buffer.concat([Buffer.from('00000000000000000000ffff', 'hex'), v4])),
);

const transportAddress: fc.Arbitrary<TransportAddress> = fc.oneof(
  fc.record({
    family: fc.constant(4 as const),
    address: fc.uint8Array({ minLength: 4, maxLength: 4 }).map(formatIp),
    port: fc.integer({ min: 0, max: 0xffff }),
  }),
  fc.record({
    family: fc.constant(6 as const),
    address: ipv6Bytes.map(formatIp),
    port: fc.integer({ min: 0, max: 0xffff }),
  }),
);

const attribute: fc.Arbitrary<Attribute> = fc.oneof(
  fc.record({
    kind: fc.constant('text' as const),
    type: attributeType,
    text: fc.string({ unit: 'grapheme', maxLength: 40 }),
  }),
  // Large enough that messages often outgrow the builder's first 512-byte buffer.
  fc.record({
    kind: fc.constant('bytes' as const),
    type: attributeType,
    value: fc.uint8Array({ maxLength: 300, size: 'max' }),
  }),
  fc.record({
    kind: fc.constant('uint32' as const),
    type: attributeType,
    value: fc.integer({ min: 0, max: 0xffffffff }),
  }),
  fc.record({ kind: fc.constant('xor' as const), type: attributeType, address: transportAddress }),
  fc.record({
    kind: fc.constant('error' as const),
    code: fc.integer({ min: 300, max: 699 }),
    reason: fc.option(
      fc.string({ unit: 'grapheme', maxLength: 60 }).filter((reason) => Array.from(reason).length < 128),
      { nil: undefined },
    ),
  }),
  fc.record({
    kind: fc.constant('unknown' as const),
    types: fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 8 }),
  }),
);

const messageSpec: fc.Arbitrary<MessageSpec> = fc.record({
  type: fc.integer({ min: 0, max: 0x3fff }),
  transactionId: fc.uint8Array({ minLength: 12, maxLength: 12 }),
  attributes: fc.array(attribute, { maxLength: 10 }),
  integrity: fc.constantFrom<IntegrityChoice>('none', 'sha1', 'sha256', 'both'),
  fingerprint: fc.boolean(),
  key: fc.uint8Array({ minLength: 1, maxLength: 40 }),
});

/** Builds the attributes of a spec, without integrity or fingerprint. */
function addAttributes(builder: StunMessageBuilder, attributes: readonly Attribute[]): StunMessageBuilder {
  for (const a of attributes) {
    if (a.kind === 'text') builder.add(a.type, a.text);
    else if (a.kind === 'bytes') builder.add(a.type, Buffer.from(a.value));
    else if (a.kind === 'uint32') builder.addUint32(a.type, a.value);
    else if (a.kind === 'xor') builder.addXorAddress(a.type, a.address);
    else if (a.kind === 'error') builder.addErrorCode(a.code, a.reason);
    else builder.addUnknownAttributes(a.types);
  }
  return builder;
}

/** Builds a spec with StunMessageBuilder; returns a copy that the test may damage. */
function build(spec: MessageSpec): Buffer {
  const builder = addAttributes(
    new StunMessageBuilder(spec.type, Buffer.from(spec.transactionId)),
    spec.attributes,
  );
  const key = Buffer.from(spec.key);
  if (spec.integrity === 'sha1' || spec.integrity === 'both') builder.addMessageIntegrity(key);
  if (spec.integrity === 'sha256' || spec.integrity === 'both') builder.addMessageIntegritySha256(key);
  if (spec.fingerprint) builder.addFingerprint();
  return Buffer.from(builder.build());
}

/** Appends one attribute by hand, updating the header length. */
function appendAttribute(message: Buffer, type: number, value: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt16BE(type, 0);
  header.writeUInt16BE(value.length, 2);
  const out = Buffer.concat([message, header, value, Buffer.alloc((4 - (value.length % 4)) % 4)]);
  out.writeUInt16BE(out.length - 20, 2);
  return out;
}

/** MESSAGE-INTEGRITY-SHA256 truncated to `size` bytes, computed with node:crypto (RFC 8489 §14.6). */
function appendSha256Integrity(message: Buffer, key: Buffer, size: number): Buffer {
  const covered = Buffer.from(message);
  covered.writeUInt16BE(message.length - 20 + 4 + size, 2);
  const hmac = createHmac('sha256', key).update(covered).digest().subarray(0, size);
  return appendAttribute(message, AttributeType.MessageIntegritySha256, hmac);
}

/** FINGERPRINT computed with node:zlib (RFC 8489 §14.7). */
function appendFingerprint(message: Buffer): Buffer {
  const withHeaderLength = Buffer.from(message);
  withHeaderLength.writeUInt16BE(message.length - 20 + 8, 2);
  const value = Buffer.alloc(4);
  value.writeUInt32BE((zlib.crc32(withHeaderLength) ^ 0x5354554e) >>> 0, 0);
  return appendAttribute(message, AttributeType.Fingerprint, value);
}

function otherKey(key: Uint8Array): Buffer {
  const other = Buffer.from(key);
  other[0] ^= 0x01;
  return other;
}

/** The invariants of every result: a typed error, or attributes that are in-bounds views of the input. */
function expectWellFormed(input: Buffer, result: DecodeResult): void {
  if (!result.ok) {
    expect(result.error).toBeInstanceOf(StunError);
    expect(result.error.code).toMatch(/^ERR_STUN_/);
    return;
  }
  const message = result.message;
  expect(message.raw).toBe(input);
  expect(message.transactionId.buffer).toBe(input.buffer);
  for (const a of message.attributes) {
    expect(a.offset % 4).toBe(0);
    expect(a.offset).toBeGreaterThanOrEqual(20);
    expect(a.offset + 4 + a.value.length).toBeLessThanOrEqual(input.length);
    expect(a.value.buffer).toBe(input.buffer);
    expect(a.value.byteOffset).toBe(input.byteOffset + a.offset + 4);
    expect(a.type).toBe(input.readUInt16BE(a.offset));
  }
}

function decodeOk(buf: Buffer): StunMessage {
  const result = decodeMessage(buf);
  if (!result.ok) throw new Error(`decode failed: ${result.error.code} ${result.error.message}`);
  return result.message;
}

/** Bytes [0, end) with the length field blanked: integrity covers a patched length, not the wire one. */
function coveredBytes(message: Buffer, end: number): Buffer {
  const copy = Buffer.from(message.subarray(0, end));
  if (copy.length >= 4) copy.writeUInt16BE(0, 2);
  return copy;
}

describe('decodeMessage on garbage', () => {
  it('never throws on arbitrary bytes, and refuses non-messages with an ERR_STUN_ code', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        const input = Buffer.from(bytes);
        const result = decodeMessage(input);
        expectWellFormed(input, result);
        const looksLikeHeader =
          input.length >= 20 && (input[0] & 0xc0) === 0 && input.readUInt16BE(2) === input.length - 20;
        if (!looksLikeHeader) expect(result.ok).toBe(false);
        if (input.length < 20) expect(!result.ok && result.error.code).toBe('ERR_STUN_TOO_SHORT');
      }),
      runs(2000),
    );
  });

  it('never throws on arbitrary attributes behind a valid header', () => {
    // A plausible header, so that the attribute walk (not the length check) meets the garbage.
    const body = fc.uint8Array({ maxLength: 600 }).map((bytes) => bytes.subarray(0, bytes.length & ~3));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0x3fff }), body, fc.boolean(), (type, attributes, cookie) => {
        const input = Buffer.alloc(20 + attributes.length);
        input.writeUInt16BE(type, 0);
        input.writeUInt16BE(attributes.length, 2);
        input.writeUInt32BE(cookie ? MAGIC_COOKIE : 0x01020304, 4);
        input.set(attributes, 20);
        const result = decodeMessage(input);
        expectWellFormed(input, result);
        if (!result.ok) {
          expect([
            'ERR_STUN_BAD_ATTRIBUTE',
            'ERR_STUN_BAD_FINGERPRINT',
            'ERR_STUN_ATTRIBUTE_AFTER_FINGERPRINT',
          ]).toContain(result.error.code);
        } else {
          // The typed getters must not throw on whatever the attributes hold either.
          const message = result.message;
          for (const a of message.attributes) {
            message.getXorAddress(a.type);
            message.getAddress(a.type);
            message.getUint32(a.type);
            message.getString(a.type);
          }
          message.getErrorCode();
          expect(['sha1', 'sha256', 'missing', false]).toContain(message.checkIntegrity(Buffer.from('k')));
        }
      }),
      runs(2000),
    );
  });
});

describe('decode(build(x)) = x', () => {
  it('gives back type, transaction id, attributes, addresses, error codes and integrity', () => {
    fc.assert(
      fc.property(messageSpec, fc.nat({ max: 7 }), (spec, shift) => {
        const built = build(spec);
        // Decode from a view at an arbitrary offset of a larger buffer: offsets must be message-relative.
        const backing = Buffer.alloc(built.length + shift, 0xee);
        built.copy(backing, shift);
        const input = backing.subarray(shift);
        const result = decodeMessage(input);
        expectWellFormed(input, result);
        const message = decodeOk(input);

        expect(message.type).toBe(spec.type);
        expect(message.hasMagicCookie).toBe(true);
        expect(message.transactionId).toEqual(Buffer.from(spec.transactionId));

        const expectedTypes = spec.attributes.map((a) =>
          a.kind === 'error'
            ? AttributeType.ErrorCode
            : a.kind === 'unknown'
              ? AttributeType.UnknownAttributes
              : a.type,
        );
        if (spec.integrity === 'sha1' || spec.integrity === 'both')
          expectedTypes.push(AttributeType.MessageIntegrity);
        if (spec.integrity === 'sha256' || spec.integrity === 'both') {
          expectedTypes.push(AttributeType.MessageIntegritySha256);
        }
        if (spec.fingerprint) expectedTypes.push(AttributeType.Fingerprint);
        expect(message.attributes.map((a) => a.type)).toEqual(expectedTypes);

        spec.attributes.forEach((a, i) => {
          const value = message.attributes[i].value;
          if (a.kind === 'text') expect(value.toString('utf8')).toBe(a.text);
          else if (a.kind === 'bytes')
            expect(value.toString('hex')).toBe(Buffer.from(a.value).toString('hex'));
          else if (a.kind === 'uint32') expect(value.readUInt32BE(0)).toBe(a.value);
          else if (a.kind === 'xor')
            expect(decodeXorAddress(value, message.transactionId)).toEqual(a.address);
          else if (a.kind === 'error') {
            const reason = a.reason ?? errorReasons.get(a.code) ?? 'Error';
            expect(decodeErrorCode(value)).toEqual({ code: a.code, reason });
          } else expect(decodeUnknownAttributes(value)).toEqual(a.types);
        });

        const key = Buffer.from(spec.key);
        const expected = { none: 'missing', sha1: 'sha1', sha256: 'sha256', both: 'sha256' }[spec.integrity];
        expect(message.checkIntegrity(key)).toBe(expected);
        expect(message.checkIntegrity(otherKey(spec.key))).toBe(
          spec.integrity === 'none' ? 'missing' : false,
        );
        if (spec.integrity === 'both') {
          // The SHA-1 attribute, earlier in the message, verifies on its own too.
          const sha1 = message.attribute(AttributeType.MessageIntegrity)!;
          expect(verifyIntegrity('sha1', key, message.raw, sha1.offset, sha1.value)).toBe(true);
          expect(verifyIntegrity('sha1', otherKey(spec.key), message.raw, sha1.offset, sha1.value)).toBe(
            false,
          );
        }
      }),
      runs(1000),
    );
  });

  it('verifies MESSAGE-INTEGRITY-SHA256 truncated to 16..32 bytes, and refuses other lengths', () => {
    fc.assert(
      fc.property(
        messageSpec,
        fc.constantFrom(4, 8, 12, 16, 20, 24, 28, 32, 17, 30),
        fc.boolean(),
        fc.boolean(),
        (spec, size, withSha1, withFingerprint) => {
          const key = Buffer.from(spec.key);
          const builder = addAttributes(
            new StunMessageBuilder(spec.type, Buffer.from(spec.transactionId)),
            spec.attributes,
          );
          if (withSha1) builder.addMessageIntegrity(key);
          let message = appendSha256Integrity(Buffer.from(builder.build()), key, size);
          if (withFingerprint) message = appendFingerprint(message);
          const decoded = decodeOk(message);
          expect(decoded.get(AttributeType.MessageIntegritySha256)).toHaveLength(size);
          const allowed = size >= 16 && size % 4 === 0;
          expect(decoded.checkIntegrity(key)).toBe(allowed ? 'sha256' : false);
          expect(decoded.checkIntegrity(otherKey(spec.key))).toBe(false);
          if (allowed) {
            // One flipped bit of the truncated HMAC is refused.
            const attribute = decoded.attribute(AttributeType.MessageIntegritySha256)!;
            const damaged = Buffer.from(message);
            damaged[attribute.offset + 4 + size - 1] ^= 0x80;
            const redecoded = decodeMessage(damaged);
            if (redecoded.ok) expect(redecoded.message.checkIntegrity(key)).toBe(false);
            else expect(redecoded.error.code).toBe('ERR_STUN_BAD_FINGERPRINT');
          }
        },
      ),
      runs(500),
    );
  });
});

type Mutation =
  | { kind: 'flip'; flips: { at: number; xor: number }[] }
  | { kind: 'truncate'; at: number; fixLength: boolean }
  | { kind: 'extend'; bytes: Uint8Array; fixLength: boolean };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('flip' as const),
      flips: fc.array(
        fc.record({
          at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
          xor: fc.integer({ min: 1, max: 255 }),
        }),
        {
          minLength: 1,
          maxLength: 4,
        },
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('truncate' as const),
      at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      fixLength: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('extend' as const),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }),
      fixLength: fc.boolean(),
    }),
  },
);

function mutate(original: Buffer, m: Mutation): Buffer {
  if (m.kind === 'flip') {
    const out = Buffer.from(original);
    for (const flip of m.flips) out[Math.floor(flip.at * out.length)] ^= flip.xor;
    return out;
  }
  if (m.kind === 'truncate') {
    const out = Buffer.from(original.subarray(0, Math.floor(m.at * original.length)));
    if (m.fixLength && out.length >= 4) out.writeUInt16BE((out.length - 20) & 0xffff, 2);
    return out;
  }
  const out = Buffer.concat([original, m.bytes]);
  if (m.fixLength) out.writeUInt16BE(out.length - 20, 2);
  return out;
}

describe('decodeMessage on damaged messages', () => {
  it('never throws; FINGERPRINT and integrity catch every change they cover', () => {
    let fingerprintedChanges = 0;
    let rejected = 0;
    fc.assert(
      fc.property(messageSpec, mutation, (spec, m) => {
        const original = build(spec);
        const damaged = mutate(original, m);
        if (damaged.equals(original)) return;
        const result = decodeMessage(damaged);
        expectWellFormed(damaged, result);
        if (spec.fingerprint) fingerprintedChanges++;
        if (!result.ok) {
          rejected++;
          return;
        }
        const message = result.message;
        // A message that still carries a FINGERPRINT after any change would be a CRC-32 collision:
        // the change was either refused or it destroyed the FINGERPRINT attribute itself.
        if (message.has(AttributeType.Fingerprint)) {
          throw new Error(`a changed message kept a valid FINGERPRINT (${JSON.stringify(m)})`);
        }
        // Whatever verifies must cover only unchanged bytes (the header length aside, which is patched).
        const verdict = message.checkIntegrity(Buffer.from(spec.key));
        if (verdict === 'sha1' || verdict === 'sha256') {
          const type =
            verdict === 'sha1' ? AttributeType.MessageIntegrity : AttributeType.MessageIntegritySha256;
          const verified = message.attribute(type)!;
          const end = verified.offset + 4 + verified.value.length;
          expect(coveredBytes(damaged, end)).toEqual(coveredBytes(original, end));
        }
      }),
      runs(2000),
    );
    // The generators must actually produce damaged fingerprinted messages, and the decoder must refuse most.
    expect(fingerprintedChanges).toBeGreaterThan(500);
    expect(rejected).toBeGreaterThan(1000);
  });

  it('ignores well-formed attributes appended after MESSAGE-INTEGRITY, but not after FINGERPRINT', () => {
    fc.assert(
      fc.property(
        messageSpec.filter((spec) => spec.integrity !== 'none'),
        attributeType,
        fc.uint8Array({ maxLength: 24 }),
        (spec, type, value) => {
          const original = build(spec);
          const extended = appendAttribute(original, type, Buffer.from(value));
          const result = decodeMessage(extended);
          if (spec.fingerprint) {
            expect(!result.ok && result.error.code).toBe('ERR_STUN_ATTRIBUTE_AFTER_FINGERPRINT');
            return;
          }
          const message = decodeOk(extended);
          expect(message.attributes.map((a) => a.offset)).toEqual(
            decodeOk(original).attributes.map((a) => a.offset),
          );
          expect(message.checkIntegrity(Buffer.from(spec.key))).toBe(
            spec.integrity === 'sha1' ? 'sha1' : 'sha256',
          );
        },
      ),
      runs(500),
    );
  });
});
