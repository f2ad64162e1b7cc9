/**
 * Binding requests captured from Chrome and Firefox (testdata/stun/from-browsers.csv,
 * from pion/stun; see testdata/stun/README.md).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AttributeType, MessageClass, Method } from './constants.js';
import { decodeMessage, isStunMessage, StunMessageBuilder } from './message.js';

interface Capture {
  from: string;
  bytes: Buffer;
  crc64: bigint;
  browser: string;
  version: string;
}

const csv = readFileSync(new URL('../../testdata/stun/from-browsers.csv', import.meta.url), 'utf8');
const captures: Capture[] = csv
  .split('\n')
  .filter((line) => line && !line.startsWith('#') && !line.startsWith('ip,'))
  .map((line) => {
    const [from, base64, crc64, browser, version] = line.split(',');
    return { from, bytes: Buffer.from(base64, 'base64'), crc64: BigInt(crc64), browser, version };
  });

/** CRC-64/GO-ISO, the checksum pion stored beside each capture: proves the bytes arrived unchanged. */
function crc64Iso(data: Buffer): bigint {
  const mask = (1n << 64n) - 1n;
  let crc = mask;
  for (const byte of data) {
    crc ^= BigInt(byte);
    for (let bit = 0; bit < 8; bit++) crc = crc & 1n ? (crc >> 1n) ^ 0xd800000000000000n : crc >> 1n;
  }
  return crc ^ mask;
}

const ORIGIN = 0x802f;

describe('browser captures', () => {
  it('holds the fourteen captures byte for byte', () => {
    expect(captures).toHaveLength(14);
    for (const capture of captures) expect(crc64Iso(capture.bytes), capture.from).toBe(capture.crc64);
  });

  it.each(captures.map((c) => [`${c.browser} ${c.version} from ${c.from}`, c] as const))(
    '%s decodes as a Binding request',
    (_name, capture) => {
      expect(isStunMessage(capture.bytes)).toBe(true);
      const result = decodeMessage(capture.bytes);
      if (!result.ok) throw result.error;
      const message = result.message;
      expect(message.method).toBe(Method.Binding);
      expect(message.messageClass).toBe(MessageClass.Request);
      expect(message.hasMagicCookie).toBe(true);
      expect(message.checkIntegrity(Buffer.from('no credentials'))).toBe('missing');
      if (capture.browser === 'Firefox') {
        expect(message.attributes.map((a) => a.type)).toEqual([AttributeType.Fingerprint]);
      } else if (message.attributes.length > 0) {
        expect(message.attributes.map((a) => a.type)).toEqual([ORIGIN]);
        expect(message.getString(ORIGIN)).toBe('https://cydev.ru/');
      }

      // The builder reproduces the datagram from its parts.
      const builder = new StunMessageBuilder(message.type, Buffer.from(message.transactionId));
      for (const attribute of message.attributes) {
        if (attribute.type !== AttributeType.Fingerprint) builder.add(attribute.type, attribute.value);
      }
      if (message.has(AttributeType.Fingerprint)) builder.addFingerprint();
      expect(builder.build()).toEqual(capture.bytes);
    },
  );

  it('refuses a Firefox request with any byte changed', () => {
    const firefox = captures.filter((c) => c.browser === 'Firefox');
    expect(firefox.length).toBeGreaterThan(0);
    for (const capture of firefox) {
      for (let index = 0; index < capture.bytes.length; index++) {
        if (index === 2 || index === 3) continue; // the length field is checked separately
        const damaged = Buffer.from(capture.bytes);
        damaged[index] ^= 0x04;
        const result = decodeMessage(damaged);
        // Flipping a bit of the FINGERPRINT's own type leaves a valid message without one.
        if (index === 20 || index === 21)
          expect(result.ok && result.message.has(AttributeType.Fingerprint)).toBe(false);
        else expect(result.ok, `${capture.from} byte ${index}`).toBe(false);
      }
    }
  });
});
