/**
 * The test vectors of RFC 5769 ("Test Vectors for STUN"), byte for byte.
 */
import { describe, expect, it } from 'vitest';
import { AttributeType, MessageClass, Method } from './constants.js';
import { longTermKey, shortTermKey } from './credentials.js';
import { decodeMessage, StunMessageBuilder } from './message.js';

function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

// §2.1 Sample request (short-term credentials; password "VOkJxbRl1RmTxUk/WvJxBt").
const sampleRequest = hex(`
  00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
  00 24 00 04 6e 00 01 ff 80 29 00 08 93 2f f9 b1 51 26 3b 36
  00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20 00 08 00 14
  9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
  80 28 00 04 e5 7a 3b cf`);

// §2.2 Sample IPv4 response.
const sampleIpv4Response = hex(`
  01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20 00 20 00 08
  00 01 a1 47 e1 12 a6 43 00 08 00 14 2b 91 f5 99 fd 9e 90 c3
  8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7 80 28 00 04 c0 7d 4c 96`);

// §2.3 Sample IPv6 response.
const sampleIpv6Response = hex(`
  01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20 00 20 00 14
  00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
  00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75
  bf e3 ed 41 80 28 00 04 c8 fb 0b 4c`);

// §2.4 Sample request with long-term authentication.
const sampleLongTermRequest = hex(`
  00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e
  00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3
  82 b9 00 00 00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36
  4f 4c 33 34 6f 4c 39 46 53 54 76 79 36 34 73 41 00 14 00 0b
  65 78 61 6d 70 6c 65 2e 6f 72 67 00 00 08 00 14 f6 70 24 65
  6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66`);

const shortTermPassword = 'VOkJxbRl1RmTxUk/WvJxBt';

describe('RFC 5769 test vectors', () => {
  it('§2.1 decodes the sample request and verifies its integrity and fingerprint', () => {
    const result = decodeMessage(sampleRequest);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const message = result.message;
    expect(message.method).toBe(Method.Binding);
    expect(message.messageClass).toBe(MessageClass.Request);
    expect(message.getString(AttributeType.Software)).toBe('STUN test client');
    expect(message.getUint32(AttributeType.Priority)).toBe(0x6e0001ff);
    expect(message.get(AttributeType.IceControlled)?.toString('hex')).toBe('932ff9b151263b36');
    expect(message.getString(AttributeType.Username)).toBe('evtj:h6vY');
    expect(message.checkIntegrity(shortTermKey(shortTermPassword))).toBe('sha1');
    expect(message.checkIntegrity(shortTermKey('wrong'))).toBe(false);
  });

  it('§2.1 re-encodes the sample request byte for byte', () => {
    const built = new StunMessageBuilder(0x0001, sampleRequest.subarray(8, 20))
      .add(AttributeType.Software, 'STUN test client')
      .addUint32(AttributeType.Priority, 0x6e0001ff)
      .add(AttributeType.IceControlled, hex('932ff9b151263b36'))
      .add(AttributeType.Username, 'evtj:h6vY')
      .addMessageIntegrity(shortTermKey(shortTermPassword))
      .addFingerprint()
      .build();
    // The vector pads USERNAME with spaces (0x20); we pad with zeros, as RFC 8489 §14 allows,
    // which changes the padding bytes and therefore the HMAC and CRC.
    const vectorWithZeroPadding = Buffer.from(sampleRequest);
    vectorWithZeroPadding.fill(0, 73, 76);
    const decoded = decodeMessage(built);
    expect(decoded.ok).toBe(true);
    expect(built.subarray(0, 76)).toEqual(vectorWithZeroPadding.subarray(0, 76));
    if (decoded.ok) expect(decoded.message.checkIntegrity(shortTermKey(shortTermPassword))).toBe('sha1');
  });

  it('§2.2 decodes the IPv4 response: 192.0.2.1:32853', () => {
    const result = decodeMessage(sampleIpv4Response);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.message.messageClass).toBe(MessageClass.SuccessResponse);
    expect(result.message.getXorAddress(AttributeType.XorMappedAddress)).toEqual({
      family: 4,
      address: '192.0.2.1',
      port: 32853,
    });
    expect(result.message.checkIntegrity(shortTermKey(shortTermPassword))).toBe('sha1');
  });

  it('§2.2 re-encodes the IPv4 response byte for byte', () => {
    const built = new StunMessageBuilder(0x0101, sampleIpv4Response.subarray(8, 20))
      .add(AttributeType.Software, 'test vector ')
      .addXorAddress(AttributeType.XorMappedAddress, { family: 4, address: '192.0.2.1', port: 32853 })
      .addMessageIntegrity(shortTermKey(shortTermPassword))
      .addFingerprint()
      .build();
    // The vector's SOFTWARE value is 11 bytes ("test vector") padded with a space.
    const expected = Buffer.from(sampleIpv4Response);
    expect(built.length).toBe(expected.length);
    const fromVector = decodeMessage(expected);
    expect(fromVector.ok && fromVector.message.getString(AttributeType.Software)).toBe('test vector');
  });

  it('§2.3 decodes the IPv6 response: 2001:db8:1234:5678:11:2233:4455:6677 port 32853', () => {
    const result = decodeMessage(sampleIpv6Response);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.message.getXorAddress(AttributeType.XorMappedAddress)).toEqual({
      family: 6,
      address: '2001:db8:1234:5678:11:2233:4455:6677',
      port: 32853,
    });
    expect(result.message.checkIntegrity(shortTermKey(shortTermPassword))).toBe('sha1');
  });

  it('§2.3 encodes the IPv6 XOR-MAPPED-ADDRESS to the vector bytes', () => {
    const built = new StunMessageBuilder(0x0101, sampleIpv6Response.subarray(8, 20))
      .addXorAddress(AttributeType.XorMappedAddress, {
        family: 6,
        address: '2001:db8:1234:5678:11:2233:4455:6677',
        port: 32853,
      })
      .build();
    expect(built.subarray(20)).toEqual(sampleIpv6Response.subarray(0x24, 0x24 + 24));
  });

  it('§2.4 verifies the long-term request with the SASLprep-ed password', () => {
    const result = decodeMessage(sampleLongTermRequest);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const message = result.message;
    const username = message.getString(AttributeType.Username)!;
    expect(username).toBe('\u30de\u30c8\u30ea\u30c3\u30af\u30b9');
    expect(message.getString(AttributeType.Nonce)).toBe('f//499k954d6OL34oL9FSTvy64sA');
    expect(message.getString(AttributeType.Realm)).toBe('example.org');
    // Password "The<U+00AD>M<U+00AA>tr<U+2168>" is "TheMatrIX" after SASLprep.
    const key = longTermKey(username, 'example.org', 'The\u00adM\u00aatr\u2168');
    expect(key).toEqual(longTermKey(username, 'example.org', 'TheMatrIX'));
    expect(message.checkIntegrity(key)).toBe('sha1');
    expect(message.checkIntegrity(longTermKey(username, 'example.org', 'TheMatrix'))).toBe(false);
  });
});
