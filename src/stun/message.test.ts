import { createHmac } from 'node:crypto';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  AttributeType,
  classOf,
  MAGIC_COOKIE,
  MessageClass,
  Method,
  messageType,
  methodOf,
} from './constants.js';
import { StunError } from './errors.js';
import {
  decodeMessage,
  isStunMessage,
  MAX_ATTRIBUTES,
  randomTransactionId,
  StunMessageBuilder,
} from './message.js';

const transactionId = Buffer.from('b7e7a701bc34d686fa87dfae', 'hex');
const key = Buffer.from('secret key');

/** Builds a message by hand, independently of StunMessageBuilder: attributes are [type, value]. */
function handBuilt(
  attributes: readonly (readonly [number, Buffer])[],
  options: { type?: number; cookie?: number; fingerprint?: boolean } = {},
): Buffer {
  const parts: Buffer[] = [];
  for (const [type, value] of attributes) {
    const header = Buffer.alloc(4);
    header.writeUInt16BE(type, 0);
    header.writeUInt16BE(value.length, 2);
    parts.push(header, value, Buffer.alloc((4 - (value.length % 4)) % 4));
  }
  const body = Buffer.concat(parts);
  const header = Buffer.alloc(20);
  header.writeUInt16BE(options.type ?? 0x0001, 0);
  header.writeUInt16BE(body.length + (options.fingerprint ? 8 : 0), 2);
  header.writeUInt32BE(options.cookie ?? MAGIC_COOKIE, 4);
  transactionId.copy(header, 8);
  const message = Buffer.concat([header, body]);
  if (!options.fingerprint) return message;
  const fingerprint = Buffer.alloc(8);
  fingerprint.writeUInt32BE(0x80280004, 0);
  fingerprint.writeUInt32BE((zlib.crc32(message) ^ 0x5354554e) >>> 0, 4);
  return Buffer.concat([message, fingerprint]);
}

function decodeOk(buf: Buffer) {
  const result = decodeMessage(buf);
  if (!result.ok) throw new Error(`expected a message, got ${result.error.code}: ${result.error.message}`);
  return result.message;
}

function decodeError(buf: Buffer): StunError {
  const result = decodeMessage(buf);
  if (result.ok) throw new Error('expected a decoding error');
  expect(result.error).toBeInstanceOf(StunError);
  return result.error;
}

describe('message types', () => {
  const classes = Object.entries(MessageClass);

  it.each(Object.entries(Method))('%s splits back into method and class for every class', (_name, method) => {
    for (const [, messageClass] of classes) {
      const type = messageType(method, messageClass);
      expect(type).toBeLessThan(0x4000);
      expect(methodOf(type)).toBe(method);
      expect(classOf(type)).toBe(messageClass);
    }
  });

  it('interleaves class bits as in RFC 8489 figure 3', () => {
    expect(messageType(Method.Binding, MessageClass.Request)).toBe(0x0001);
    expect(messageType(Method.Binding, MessageClass.Indication)).toBe(0x0011);
    expect(messageType(Method.Binding, MessageClass.SuccessResponse)).toBe(0x0101);
    expect(messageType(Method.Binding, MessageClass.ErrorResponse)).toBe(0x0111);
    expect(messageType(Method.Allocate, MessageClass.ErrorResponse)).toBe(0x0113);
    expect(messageType(Method.Refresh, MessageClass.SuccessResponse)).toBe(0x0104);
    expect(messageType(Method.Send, MessageClass.Indication)).toBe(0x0016);
    expect(messageType(Method.Data, MessageClass.Indication)).toBe(0x0017);
    expect(messageType(Method.CreatePermission, MessageClass.Request)).toBe(0x0008);
    expect(messageType(Method.ChannelBind, MessageClass.SuccessResponse)).toBe(0x0109);
    expect(messageType(Method.ConnectionAttempt, MessageClass.Indication)).toBe(0x001c);
    // Method bits above the fourth move around the class bits.
    expect(messageType(0x010, MessageClass.Request)).toBe(0x0020);
    expect(messageType(0x080, MessageClass.Request)).toBe(0x0200);
    expect(messageType(0xfff, MessageClass.ErrorResponse)).toBe(0x3fff);
    expect(messageType(0xfff, MessageClass.Request)).toBe(0x3eef);
  });

  it('round-trips every 12-bit method', () => {
    for (let method = 0; method <= 0xfff; method++) {
      for (const [, messageClass] of classes) {
        const type = messageType(method, messageClass);
        if (methodOf(type) !== method || classOf(type) !== messageClass) {
          throw new Error(`method 0x${method.toString(16)} class 0x${messageClass.toString(16)}`);
        }
      }
    }
  });
});

describe('decodeMessage: header', () => {
  it('rejects anything shorter than a header', () => {
    for (let length = 0; length < 20; length++) {
      expect(decodeError(Buffer.alloc(length)).code).toBe('ERR_STUN_TOO_SHORT');
    }
  });

  it('rejects a first byte with either of the two top bits set', () => {
    for (const first of [0x40, 0x80, 0xc0]) {
      const message = handBuilt([]);
      message[0] |= first;
      expect(decodeError(message).code).toBe('ERR_STUN_NOT_STUN');
    }
  });

  it('rejects a length that is not a multiple of 4', () => {
    const message = Buffer.concat([handBuilt([]), Buffer.alloc(2)]);
    message.writeUInt16BE(2, 2);
    expect(decodeError(message).code).toBe('ERR_STUN_BAD_LENGTH');
  });

  it('rejects a length field that disagrees with the datagram', () => {
    const message = handBuilt([[AttributeType.Software, Buffer.from('abcd')]]);
    expect(decodeError(message.subarray(0, message.length - 4)).code).toBe('ERR_STUN_BAD_LENGTH');
    expect(decodeError(Buffer.concat([message, Buffer.alloc(4)])).code).toBe('ERR_STUN_BAD_LENGTH');
    const shortField = Buffer.from(message);
    shortField.writeUInt16BE(4, 2);
    expect(decodeError(shortField).code).toBe('ERR_STUN_BAD_LENGTH');
  });

  it('decodes an RFC 3489 message (no magic cookie), reporting hasMagicCookie false', () => {
    const message = handBuilt([[AttributeType.Software, Buffer.from('old')]], { cookie: 0x01020304 });
    const decoded = decodeOk(message);
    expect(decoded.hasMagicCookie).toBe(false);
    expect(decoded.cookie).toBe(0x01020304);
    expect(decoded.getString(AttributeType.Software)).toBe('old');
    expect(decodeOk(handBuilt([])).hasMagicCookie).toBe(true);
    // A response to it keeps the client's cookie field.
    const response = decodeOk(StunMessageBuilder.response(decoded, MessageClass.SuccessResponse).build());
    expect(response.cookie).toBe(0x01020304);
    expect(response.transactionId).toEqual(transactionId);
    expect(response.method).toBe(Method.Binding);
    expect(response.messageClass).toBe(MessageClass.SuccessResponse);
  });

  it('exposes type, method, class and transaction id', () => {
    const decoded = decodeOk(handBuilt([], { type: 0x0113 }));
    expect(decoded.type).toBe(0x0113);
    expect(decoded.method).toBe(Method.Allocate);
    expect(decoded.messageClass).toBe(MessageClass.ErrorResponse);
    expect(decoded.transactionId).toEqual(transactionId);
    expect(decoded.attributes).toEqual([]);
  });
});

describe('decodeMessage: attributes', () => {
  it('returns attribute values as views of the datagram, without padding', () => {
    const message = handBuilt([
      [AttributeType.Username, Buffer.from('abcde')],
      [AttributeType.Realm, Buffer.from('')],
      [AttributeType.Software, Buffer.from('12345678')],
    ]);
    const decoded = decodeOk(message);
    expect(decoded.attributes.map((a) => [a.type, a.offset, a.value.toString()])).toEqual([
      [AttributeType.Username, 20, 'abcde'],
      [AttributeType.Realm, 32, ''],
      [AttributeType.Software, 36, '12345678'],
    ]);
    const username = decoded.get(AttributeType.Username)!;
    expect(username.buffer).toBe(message.buffer);
    message[24] = 0x7a;
    expect(username.toString()).toBe('zbcde');
    expect(decoded.raw).toBe(message);
  });

  it('rejects an attribute that overruns the message', () => {
    const message = handBuilt([[AttributeType.Software, Buffer.from('abcd')]]);
    message.writeUInt16BE(5, 22);
    expect(decodeError(message).code).toBe('ERR_STUN_BAD_ATTRIBUTE');
    message.writeUInt16BE(0xffff, 22);
    expect(decodeError(message).code).toBe('ERR_STUN_BAD_ATTRIBUTE');
  });

  it(`accepts ${MAX_ATTRIBUTES} attributes and refuses one more`, () => {
    const attributes = (count: number) =>
      Array.from({ length: count }, () => [AttributeType.Software, Buffer.alloc(0)] as const);
    expect(decodeOk(handBuilt(attributes(MAX_ATTRIBUTES))).attributes).toHaveLength(MAX_ATTRIBUTES);
    expect(decodeError(handBuilt(attributes(MAX_ATTRIBUTES + 1))).code).toBe('ERR_STUN_TOO_MANY_ATTRIBUTES');
  });

  it('keeps repeated attributes in order', () => {
    const decoded = decodeOk(
      handBuilt([
        [AttributeType.Software, Buffer.from('one')],
        [AttributeType.Username, Buffer.from('u')],
        [AttributeType.Software, Buffer.from('two')],
      ]),
    );
    expect(decoded.getString(AttributeType.Software)).toBe('one');
    expect(decoded.getAll(AttributeType.Software).map(String)).toEqual(['one', 'two']);
    expect(decoded.getAll(AttributeType.Realm)).toEqual([]);
    expect(decoded.has(AttributeType.Username)).toBe(true);
    expect(decoded.has(AttributeType.Realm)).toBe(false);
    expect(decoded.attribute(AttributeType.Realm)).toBeUndefined();
  });

  it('typed getters return undefined for absent or malformed values', () => {
    const decoded = decodeOk(
      handBuilt([
        [AttributeType.Lifetime, Buffer.from('000258', 'hex')],
        [AttributeType.Priority, Buffer.from('6e0001ff', 'hex')],
        [AttributeType.XorMappedAddress, Buffer.from('0001a147e112a6', 'hex')],
        [AttributeType.MappedAddress, Buffer.from('0003000001020304', 'hex')],
        [AttributeType.ErrorCode, Buffer.from('000007', 'hex')],
      ]),
    );
    expect(decoded.getUint32(AttributeType.Lifetime)).toBeUndefined();
    expect(decoded.getUint32(AttributeType.Priority)).toBe(0x6e0001ff);
    expect(decoded.getUint32(AttributeType.ChannelNumber)).toBeUndefined();
    expect(decoded.getXorAddress(AttributeType.XorMappedAddress)).toBeUndefined();
    expect(decoded.getAllXorAddresses(AttributeType.XorMappedAddress)).toEqual([undefined]);
    expect(decoded.getXorAddress(AttributeType.XorPeerAddress)).toBeUndefined();
    expect(decoded.getAddress(AttributeType.MappedAddress)).toBeUndefined();
    expect(decoded.getAddress(AttributeType.AlternateServer)).toBeUndefined();
    expect(decoded.getErrorCode()).toBeUndefined();
    expect(decoded.getString(AttributeType.Realm)).toBeUndefined();
  });
});

describe('decodeMessage: MESSAGE-INTEGRITY and FINGERPRINT placement (RFC 8489 §14.5–14.7)', () => {
  it('ignores attributes after MESSAGE-INTEGRITY except MESSAGE-INTEGRITY-SHA256 and FINGERPRINT', () => {
    const message = new StunMessageBuilder(0x0001, transactionId)
      .add(AttributeType.Username, 'user')
      .addMessageIntegrity(key)
      .add(AttributeType.Software, 'smuggled')
      .addMessageIntegrity(Buffer.from('other key'))
      .addMessageIntegritySha256(key)
      .add(AttributeType.Realm, 'smuggled too')
      .addMessageIntegrity(key)
      .addMessageIntegritySha256(Buffer.from('other key'))
      .addFingerprint()
      .build();
    const decoded = decodeOk(message);
    expect(decoded.attributes.map((a) => a.type)).toEqual([
      AttributeType.Username,
      AttributeType.MessageIntegrity,
      AttributeType.MessageIntegritySha256,
      AttributeType.Fingerprint,
    ]);
    expect(decoded.has(AttributeType.Software)).toBe(false);
    expect(decoded.has(AttributeType.Realm)).toBe(false);
    expect(decoded.getAll(AttributeType.MessageIntegrity)).toHaveLength(1);
    // The first of each integrity attribute is the one checked.
    expect(decoded.checkIntegrity(key)).toBe('sha256');
    expect(decoded.checkIntegrity(Buffer.from('other key'))).toBe(false);
  });

  it('ignores MESSAGE-INTEGRITY after MESSAGE-INTEGRITY-SHA256', () => {
    const message = new StunMessageBuilder(0x0001, transactionId)
      .addMessageIntegritySha256(key)
      .addMessageIntegrity(key)
      .build();
    const decoded = decodeOk(message);
    expect(decoded.attributes.map((a) => a.type)).toEqual([AttributeType.MessageIntegritySha256]);
  });

  it('does not count ignored attributes towards the attribute limit', () => {
    const builder = new StunMessageBuilder(0x0001, transactionId).addMessageIntegrity(key);
    for (let i = 0; i < MAX_ATTRIBUTES * 2; i++) builder.addEmpty(AttributeType.Software);
    const decoded = decodeOk(builder.addFingerprint().build());
    expect(decoded.attributes.map((a) => a.type)).toEqual([
      AttributeType.MessageIntegrity,
      AttributeType.Fingerprint,
    ]);
  });

  it('rejects any attribute after FINGERPRINT', () => {
    const message = new StunMessageBuilder(0x0001, transactionId)
      .add(AttributeType.Software, 'x')
      .addFingerprint()
      .add(AttributeType.Realm, 'y')
      .build();
    expect(decodeError(message).code).toBe('ERR_STUN_ATTRIBUTE_AFTER_FINGERPRINT');
    const twoFingerprints = new StunMessageBuilder(0x0001, transactionId)
      .addFingerprint()
      .addFingerprint()
      .build();
    expect(decodeError(twoFingerprints).code).toBe('ERR_STUN_ATTRIBUTE_AFTER_FINGERPRINT');
  });

  it('accepts a correct FINGERPRINT computed independently with zlib', () => {
    const message = handBuilt([[AttributeType.Software, Buffer.from('fingerprinted')]], {
      fingerprint: true,
    });
    const decoded = decodeOk(message);
    expect(decoded.attributes.map((a) => a.type)).toEqual([
      AttributeType.Software,
      AttributeType.Fingerprint,
    ]);
    // And the builder writes the same bytes.
    const built = new StunMessageBuilder(0x0001, transactionId)
      .add(AttributeType.Software, 'fingerprinted')
      .addFingerprint()
      .build();
    expect(built).toEqual(message);
  });

  it('rejects a wrong FINGERPRINT with ERR_STUN_BAD_FINGERPRINT', () => {
    const message = handBuilt([[AttributeType.Software, Buffer.from('fingerprinted')]], {
      fingerprint: true,
    });
    for (const index of [0, 1, 4, 8, 19, 20, 24, message.length - 1]) {
      const corrupted = Buffer.from(message);
      corrupted[index] ^= 0x01;
      expect(decodeError(corrupted).code).toBe('ERR_STUN_BAD_FINGERPRINT');
    }
  });

  it('rejects a FINGERPRINT of the wrong size', () => {
    const value = Buffer.alloc(8);
    expect(decodeError(handBuilt([[AttributeType.Fingerprint, value]])).code).toBe(
      'ERR_STUN_BAD_FINGERPRINT',
    );
    expect(decodeError(handBuilt([[AttributeType.Fingerprint, Buffer.alloc(0)]])).code).toBe(
      'ERR_STUN_BAD_FINGERPRINT',
    );
  });

  it('reports missing integrity', () => {
    expect(decodeOk(handBuilt([])).checkIntegrity(key)).toBe('missing');
  });

  it('checks MESSAGE-INTEGRITY against an HMAC computed by hand', () => {
    const body = handBuilt([[AttributeType.Username, Buffer.from('user')]]);
    // The HMAC covers the header with the length already counting the 24-byte attribute.
    const covered = Buffer.from(body);
    covered.writeUInt16BE(body.length - 20 + 24, 2);
    const hmac = createHmac('sha1', key).update(covered).digest();
    const message = handBuilt([
      [AttributeType.Username, Buffer.from('user')],
      [AttributeType.MessageIntegrity, hmac],
    ]);
    expect(decodeOk(message).checkIntegrity(key)).toBe('sha1');
    expect(decodeOk(message).checkIntegrity(Buffer.from('wrong'))).toBe(false);
    const built = new StunMessageBuilder(0x0001, transactionId)
      .add(AttributeType.Username, 'user')
      .addMessageIntegrity(key)
      .build();
    expect(built).toEqual(message);
  });

  it('refuses MESSAGE-INTEGRITY values of the wrong size', () => {
    const message = handBuilt([[AttributeType.MessageIntegrity, Buffer.alloc(16)]]);
    expect(decodeOk(message).checkIntegrity(key)).toBe(false);
  });
});

describe('isStunMessage', () => {
  const valid = handBuilt([[AttributeType.Software, Buffer.from('x')]]);

  it('accepts a well-formed header', () => {
    expect(isStunMessage(valid)).toBe(true);
    expect(isStunMessage(handBuilt([]))).toBe(true);
  });

  it('refuses what decodeMessage would refuse at the header, and RFC 3489 messages', () => {
    expect(isStunMessage(valid.subarray(0, 19))).toBe(false);
    expect(isStunMessage(Buffer.concat([valid, Buffer.alloc(4)]))).toBe(false);
    const topBits = Buffer.from(valid);
    topBits[0] |= 0x80;
    expect(isStunMessage(topBits)).toBe(false);
    const badCookie = Buffer.from(valid);
    badCookie[4] ^= 1;
    expect(isStunMessage(badCookie)).toBe(false);
    const oddLength = Buffer.concat([handBuilt([]), Buffer.alloc(2)]);
    oddLength.writeUInt16BE(2, 2);
    expect(isStunMessage(oddLength)).toBe(false);
    // RTP/RTCP and ChannelData first bytes (RFC 7983).
    for (const first of [0x80, 0x40, 0x7f, 0xbf]) {
      const other = Buffer.from(valid);
      other[0] = first;
      expect(isStunMessage(other)).toBe(false);
    }
  });
});

describe('StunMessageBuilder', () => {
  it('requires a 12-byte transaction id', () => {
    expect(() => new StunMessageBuilder(1, Buffer.alloc(11))).toThrow(StunError);
    expect(() => new StunMessageBuilder(1, Buffer.alloc(16))).toThrow(/12 bytes/);
    expect(randomTransactionId()).toHaveLength(12);
    expect(randomTransactionId()).not.toEqual(randomTransactionId());
    const builder = StunMessageBuilder.create(Method.Allocate, MessageClass.Request);
    expect(builder.transactionId).toHaveLength(12);
    expect(decodeOk(builder.build()).transactionId).toEqual(builder.transactionId);
  });

  it('keeps every value intact when the buffer grows past 512 bytes', () => {
    const builder = new StunMessageBuilder(0x0001, transactionId);
    const expected: [number, string][] = [];
    // Each kind of add crosses the 512-byte (and later 1024-byte) boundary at least once.
    for (let i = 0; i < 24; i++) {
      const text = `value ${i} `.repeat(3);
      builder.add(0x8100 + i, text);
      expected.push([0x8100 + i, Buffer.from(text).toString('hex')]);
      builder.addUint32(0x8200 + i, 0x01020300 + i);
      expected.push([0x8200 + i, (0x01020300 + i).toString(16).padStart(8, '0')]);
      builder.addUint64(0x8300 + i, 0x0102030405060700n + BigInt(i));
      expected.push([0x8300 + i, (0x0102030405060700n + BigInt(i)).toString(16).padStart(16, '0')]);
      builder.addXorAddress(0x8400 + i, { family: 6, address: `2001:db8::${i + 1}`, port: 1000 + i });
      builder.addAddress(0x8500 + i, { family: 4, address: `10.0.0.${i}`, port: 2000 + i });
    }
    const message = builder.build();
    expect(message.length).toBeGreaterThan(2048);
    const decoded = decodeOk(message);
    for (const [type, hex] of expected) expect(decoded.get(type)?.toString('hex')).toBe(hex);
    for (let i = 0; i < 24; i++) {
      expect(decoded.getXorAddress(0x8400 + i)).toEqual({
        family: 6,
        address: `2001:db8::${i + 1}`,
        port: 1000 + i,
      });
      expect(decoded.getAddress(0x8500 + i)).toEqual({ family: 4, address: `10.0.0.${i}`, port: 2000 + i });
    }
  });

  it('grows for one large value and zeroes every padding byte', () => {
    const builder = new StunMessageBuilder(0x0001, transactionId);
    builder.add(AttributeType.Data, Buffer.alloc(4001, 0xab));
    builder.add(AttributeType.Software, Buffer.alloc(1, 0xcd));
    builder.add(AttributeType.Data, Buffer.alloc(6002, 0xef));
    const message = builder.build();
    expect(message.length).toBe(20 + 4 + 4004 + 4 + 4 + 4 + 6004);
    const decoded = decodeOk(message);
    expect(decoded.getAll(AttributeType.Data).map((v) => v.length)).toEqual([4001, 6002]);
    expect(decoded.getAll(AttributeType.Data)[0].every((b) => b === 0xab)).toBe(true);
    expect(decoded.getAll(AttributeType.Data)[1].every((b) => b === 0xef)).toBe(true);
    expect(message.subarray(24 + 4001, 24 + 4004)).toEqual(Buffer.alloc(3));
    expect(message.subarray(4028 + 4 + 1, 4028 + 8)).toEqual(Buffer.alloc(3));
    expect(message.subarray(message.length - 2)).toEqual(Buffer.alloc(2));
  });

  it('rejects a value over 65535 bytes and a message over 65535 bytes', () => {
    const builder = new StunMessageBuilder(0x0001, transactionId);
    expect(() => builder.add(AttributeType.Data, Buffer.alloc(65536))).toThrow(
      expect.objectContaining({ code: 'ERR_STUN_INVALID_ARGUMENT' }),
    );
    builder.add(AttributeType.Data, Buffer.alloc(65535 - 4 - 4));
    expect(builder.build().length).toBe(20 + 65532);
    expect(() => builder.addEmpty(AttributeType.Software)).toThrow(
      expect.objectContaining({ code: 'ERR_STUN_BUFFER_TOO_SMALL' }),
    );
    // The failed adds left the message as it was.
    expect(decodeOk(builder.build()).attributes).toHaveLength(1);
  });

  it('refuses an invalid address without leaving a half-written attribute', () => {
    const builder = new StunMessageBuilder(0x0001, transactionId).add(AttributeType.Software, 'x');
    expect(() =>
      builder.addXorAddress(AttributeType.XorPeerAddress, { family: 4, address: 'nope', port: 1 }),
    ).toThrow(TypeError);
    expect(() =>
      builder.addAddress(AttributeType.MappedAddress, { family: 4, address: '::1', port: 1 }),
    ).toThrow(TypeError);
    expect(() =>
      builder.addXorAddress(AttributeType.XorPeerAddress, { family: 4, address: '1.2.3.4', port: 70000 }),
    ).toThrow(RangeError);
    const decoded = decodeOk(builder.build());
    expect(decoded.attributes.map((a) => a.type)).toEqual([AttributeType.Software]);
  });

  it('writes 32- and 64-bit values in network order, wrapping like the wire', () => {
    const decoded = decodeOk(
      new StunMessageBuilder(0x0001, transactionId)
        .addUint32(AttributeType.Priority, 0xffffffff)
        .addUint32(AttributeType.Lifetime, -1)
        .addUint64(AttributeType.IceControlling, 0x0123456789abcdefn)
        .addUint64(AttributeType.IceControlled, -1n)
        .addEmpty(AttributeType.UseCandidate)
        .build(),
    );
    expect(decoded.getUint32(AttributeType.Priority)).toBe(0xffffffff);
    expect(decoded.getUint32(AttributeType.Lifetime)).toBe(0xffffffff);
    expect(decoded.get(AttributeType.IceControlling)?.toString('hex')).toBe('0123456789abcdef');
    expect(decoded.get(AttributeType.IceControlled)?.toString('hex')).toBe('ffffffffffffffff');
    expect(decoded.get(AttributeType.UseCandidate)).toEqual(Buffer.alloc(0));
  });

  it('writes the error code with its default reason, and UNKNOWN-ATTRIBUTES', () => {
    const decoded = decodeOk(
      StunMessageBuilder.create(Method.Binding, MessageClass.ErrorResponse, transactionId)
        .addErrorCode(420)
        .addUnknownAttributes([0x0031, 0x0032, 0x0033])
        .build(),
    );
    expect(decoded.getErrorCode()).toEqual({ code: 420, reason: 'Unknown Attribute' });
    expect(decoded.get(AttributeType.UnknownAttributes)?.toString('hex')).toBe('003100320033');
  });
});
