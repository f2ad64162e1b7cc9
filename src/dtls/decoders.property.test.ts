/**
 * Property tests: every decoder returns a result for any bytes (never
 * throws), and the codecs round-trip what they encode.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeAlert } from './alert.js';
import { decodeCertificate, encodeCertificate } from './certificate.js';
import { decodeCertificateRequest } from './certificate-request.js';
import { decodeCertificateVerify } from './certificate-verify.js';
import { decodeClientHello, encodeClientHello } from './client-hello.js';
import { decodeClientKeyExchange } from './client-key-exchange.js';
import { decodeExtensions } from './extensions.js';
import { decodeHandshakeFragments, encodeHandshakeFragment } from './handshake-header.js';
import { decodeHelloVerifyRequest } from './hello-verify-request.js';
import { decodeRecords, encodeRecord, isDtlsRecord } from './record.js';
import { decodeServerHello } from './server-hello.js';
import { decodeServerKeyExchange } from './server-key-exchange.js';

const bytes = fc.uint8Array({ maxLength: 600 }).map((array) => Buffer.from(array));

const decoders: [string, (buf: Buffer) => unknown][] = [
  ['records', decodeRecords],
  ['isDtlsRecord', isDtlsRecord],
  ['handshake fragments', decodeHandshakeFragments],
  ['ClientHello', decodeClientHello],
  ['ServerHello', decodeServerHello],
  ['HelloVerifyRequest', decodeHelloVerifyRequest],
  ['extensions', decodeExtensions],
  ['Certificate', decodeCertificate],
  ['ServerKeyExchange', decodeServerKeyExchange],
  ['CertificateRequest', decodeCertificateRequest],
  ['ClientKeyExchange', decodeClientKeyExchange],
  ['CertificateVerify', decodeCertificateVerify],
  ['alert', decodeAlert],
];

describe('DTLS decoders on garbage', () => {
  for (const [name, decode] of decoders) {
    it(`${name} never throws`, () => {
      fc.assert(
        fc.property(bytes, (buf) => {
          decode(buf);
        }),
        { numRuns: 500 },
      );
    });
  }

  it('ClientHello never throws on a valid one with random damage', () => {
    const valid = encodeClientHello({
      clientVersion: 0xfefd,
      random: Buffer.alloc(32, 1),
      cookie: Buffer.alloc(32, 2),
      cipherSuites: [0xc02b, 0xc02c],
      extensions: {
        extendedMasterSecret: true,
        supportedGroups: [29, 23],
        useSrtp: { profiles: [7], mki: Buffer.alloc(0) },
      },
    });
    fc.assert(
      fc.property(
        fc.nat(valid.length - 1),
        fc.integer({ min: 0, max: 255 }),
        fc.nat(valid.length),
        (at, value, cut) => {
          const damaged = Buffer.from(valid);
          damaged[at] = value;
          decodeClientHello(damaged.subarray(0, cut));
          decodeClientHello(damaged);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('DTLS codecs round-trip', () => {
  it('records', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            type: fc.constantFrom(20, 21, 22, 23),
            epoch: fc.nat(0xffff),
            seq: fc.nat({ max: 2 ** 48 - 1 }),
            fragment: fc.uint8Array({ maxLength: 100 }),
          }),
          { minLength: 1, maxLength: 5 },
        ),
        (specs) => {
          const datagram = Buffer.concat(
            specs.map((spec) => encodeRecord(spec.type, spec.epoch, spec.seq, Buffer.from(spec.fragment))),
          );
          const { records, error } = decodeRecords(datagram);
          expect(error).toBeUndefined();
          expect(
            records.map((record) => [
              record.contentType,
              record.epoch,
              record.sequenceNumber,
              [...record.fragment],
            ]),
          ).toEqual(specs.map((spec) => [spec.type, spec.epoch, spec.seq, [...spec.fragment]]));
        },
      ),
    );
  });

  it('handshake fragments', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.nat(0xffff),
        fc.nat(300),
        fc.nat(300),
        (body, seq, a, b) => {
          const buf = Buffer.from(body);
          const offset = Math.min(a, buf.length);
          const length = Math.min(b, buf.length - offset);
          const decoded = decodeHandshakeFragments(encodeHandshakeFragment(11, seq, buf, offset, length));
          expect(decoded.ok).toBe(true);
          if (!decoded.ok) return;
          const [fragment] = decoded.value;
          expect(fragment.length).toBe(buf.length);
          expect(fragment.messageSeq).toBe(seq);
          expect(fragment.fragmentOffset).toBe(offset);
          expect([...fragment.fragment]).toEqual([...buf.subarray(offset, offset + length)]);
        },
      ),
    );
  });

  it('certificates', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 50 }), { maxLength: 4 }), (ders) => {
        const decoded = decodeCertificate(encodeCertificate(ders.map((der) => Buffer.from(der))));
        expect(decoded.ok && decoded.value.map((der) => [...der])).toEqual(ders.map((der) => [...der]));
      }),
    );
  });
});
