/**
 * The data-channel envelope: hand-written vectors of both forms, the
 * refusals with their codes, decode(encode(x)) = x for the client's form, the
 * server's form read back from bytes built independently (testing/envelopes.ts),
 * and garbage that never throws.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  binaryEnvelopeSize,
  decodeBinaryEnvelope,
  decodeIncomingEnvelope,
  decodeTextEnvelope,
  encodeBinaryEnvelope,
  encodeBinaryEnvelopeTo,
  encodeBinaryHeader,
  encodeTextEnvelope,
  MAX_ENVELOPE_HEADER_BYTES,
  type OutgoingEnvelopeHeader,
  utf8ByteLength,
} from './data-envelope.js';
import { EnvelopeError } from './errors.js';
import { serverBinaryEnvelope, serverTextEnvelope } from './testing/envelopes.js';

const ADA = 'PA_4k2Jx9QmZt1B';

/** Run options: enough cases to find a length slip, stopped after a few seconds on a slow machine. */
const runs = (numRuns: number) => ({ numRuns, interruptAfterTimeLimit: 4_000 });

const participantIdArbitrary = fc.stringMatching(/^PA_[A-Za-z0-9]{12}$/);
const headerArbitrary: fc.Arbitrary<OutgoingEnvelopeHeader> = fc.record(
  {
    topic: fc.string({ unit: 'binary', maxLength: 128 }),
    to: fc.array(participantIdArbitrary, { maxLength: 8 }),
  },
  { requiredKeys: [] },
);

/** What JSON keeps of a value (undefined fields go, -0 becomes 0). */
const throughJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe('text envelopes', () => {
  it('writes the payload and the routing fields given, nothing else', () => {
    expect(encodeTextEnvelope({}, { text: 'hi' })).toBe('{"payload":{"text":"hi"}}');
    expect(encodeTextEnvelope({ topic: 'chat', to: [ADA] }, [1, 'two'])).toBe(
      `{"payload":[1,"two"],"topic":"chat","to":["${ADA}"]}`,
    );
    expect(encodeTextEnvelope({ topic: undefined, to: undefined }, 'x')).toBe('{"payload":"x"}');
    // The envelope must carry a payload: undefined goes as null.
    expect(encodeTextEnvelope({}, undefined)).toBe('{"payload":null}');
  });

  it('refuses what JSON cannot hold', () => {
    expect(() => encodeTextEnvelope({}, () => 1)).toThrow(TypeError);
    expect(() => encodeTextEnvelope({}, Symbol('s'))).toThrow(TypeError);
    expect(() => encodeTextEnvelope({}, 10n)).toThrow(TypeError);
  });

  it('decode(encode(x)) = x', () => {
    fc.assert(
      fc.property(headerArbitrary, fc.jsonValue(), (header, payload) => {
        const decoded = decodeTextEnvelope(encodeTextEnvelope(header, payload));
        expect(decoded).toEqual({ ok: true, value: throughJson({ ...header, payload }) });
      }),
      runs(500),
    );
  });

  it('reads what the server sends', () => {
    expect(
      decodeIncomingEnvelope(serverTextEnvelope({ from: ADA, topic: 'chat', payload: { text: 'hello' } })),
    ).toEqual({ ok: true, value: { from: ADA, topic: 'chat', payload: { text: 'hello' }, binary: false } });
    expect(decodeIncomingEnvelope('{"from":null,"payload":null}')).toEqual({
      ok: true,
      value: { from: null, topic: undefined, payload: null, binary: false },
    });
    // Fields a newer server adds are ignored.
    expect(decodeIncomingEnvelope('{"from":null,"payload":1,"sentAt":5}')).toMatchObject({ ok: true });
  });

  it('refuses each malformed form with its code', () => {
    const cases: [string, EnvelopeError['code']][] = [
      ['not json', 'ERR_ENVELOPE_BAD_JSON'],
      ['', 'ERR_ENVELOPE_BAD_JSON'],
      ['[1,2]', 'ERR_ENVELOPE_NOT_OBJECT'],
      ['null', 'ERR_ENVELOPE_NOT_OBJECT'],
      ['"payload"', 'ERR_ENVELOPE_NOT_OBJECT'],
      ['{"from":null}', 'ERR_ENVELOPE_NO_PAYLOAD'],
      ['{"payload":1}', 'ERR_ENVELOPE_BAD_FROM'],
      ['{"from":7,"payload":1}', 'ERR_ENVELOPE_BAD_FROM'],
      ['{"from":null,"topic":7,"payload":1}', 'ERR_ENVELOPE_BAD_TOPIC'],
      ['{"from":null,"topic":null,"payload":1}', 'ERR_ENVELOPE_BAD_TOPIC'],
    ];
    for (const [text, code] of cases) {
      const result = decodeIncomingEnvelope(text);
      expect(result.ok, text).toBe(false);
      if (!result.ok) {
        expect(result.error).toBeInstanceOf(EnvelopeError);
        expect(result.error.code, text).toBe(code);
      }
    }
  });
});

describe('binary envelopes', () => {
  it('writes the header length big-endian, the JSON header, then the payload', () => {
    const bytes = encodeBinaryEnvelope({ topic: 'f' }, Uint8Array.of(1, 2, 3));
    // {"topic":"f"} is 13 bytes.
    expect([...bytes]).toEqual([0x00, 0x0d, ...new TextEncoder().encode('{"topic":"f"}'), 1, 2, 3]);
    expect([...encodeBinaryEnvelope({}, new Uint8Array(0))]).toEqual([0x00, 0x02, 0x7b, 0x7d]);
  });

  it('writes into the caller’s buffer at an offset, and nowhere else', () => {
    const header = encodeBinaryHeader({ to: [ADA] });
    const payload = Uint8Array.of(9, 8, 7, 6);
    const size = binaryEnvelopeSize(header, payload.length);
    const buf = new Uint8Array(size + 10).fill(0xee);
    expect(encodeBinaryEnvelopeTo(buf, 5, header, payload)).toBe(size);
    expect([...buf.subarray(0, 5)]).toEqual([0xee, 0xee, 0xee, 0xee, 0xee]);
    expect([...buf.subarray(5 + size)]).toEqual([0xee, 0xee, 0xee, 0xee, 0xee]);
    const decoded = decodeBinaryEnvelope(buf.subarray(5, 5 + size));
    expect(decoded.ok && decoded.value.header).toEqual({ to: [ADA] });
    expect(decoded.ok && [...decoded.value.payload]).toEqual([9, 8, 7, 6]);
    expect(() => encodeBinaryEnvelopeTo(buf, 11, header, payload)).toThrow(RangeError);
    expect(() => encodeBinaryEnvelopeTo(buf, -1, header, payload)).toThrow(RangeError);
  });

  it('refuses a header past 65535 bytes', () => {
    const to = Array.from({ length: 4_000 }, () => 'PA_000000000000x');
    expect(() => encodeBinaryHeader({ to })).toThrow(RangeError);
    expect(() =>
      encodeBinaryEnvelopeTo(
        new Uint8Array(70_000),
        0,
        new Uint8Array(MAX_ENVELOPE_HEADER_BYTES + 1),
        new Uint8Array(),
      ),
    ).toThrow(RangeError);
  });

  it('decode(encode(x)) = x, the payload a view into the decoded bytes', () => {
    fc.assert(
      fc.property(headerArbitrary, fc.uint8Array({ maxLength: 512 }), (header, payload) => {
        const bytes = encodeBinaryEnvelope(header, payload);
        const decoded = decodeBinaryEnvelope(bytes);
        expect(decoded.ok).toBe(true);
        if (!decoded.ok) return;
        expect(decoded.value.header).toEqual(throughJson(header));
        expect([...decoded.value.payload]).toEqual([...payload]);
        expect(decoded.value.payload.buffer).toBe(bytes.buffer);
      }),
      runs(500),
    );
  });

  it('reads what the server sends, from an ArrayBuffer or a view of one', () => {
    const bytes = serverBinaryEnvelope({ from: ADA, topic: 'file' }, Uint8Array.of(0, 255, 7));
    for (const data of [bytes.buffer, bytes, new DataView(bytes.buffer)]) {
      const result = decodeIncomingEnvelope(data);
      expect(result.ok).toBe(true);
      if (!result.ok) continue;
      expect(result.value).toMatchObject({ from: ADA, topic: 'file', binary: true });
      expect(result.value.payload).toBeInstanceOf(Uint8Array);
      expect([...(result.value.payload as Uint8Array)]).toEqual([0, 255, 7]);
    }
    // A view at an offset into a larger buffer reads only its own bytes.
    const padded = new Uint8Array(bytes.length + 6);
    padded.set(bytes, 3);
    const result = decodeIncomingEnvelope(padded.subarray(3, 3 + bytes.length));
    expect(result.ok && [...(result.value.payload as Uint8Array)]).toEqual([0, 255, 7]);
  });

  it('reads the server’s form for any sender, topic and payload', () => {
    const from = fc.option(participantIdArbitrary, { nil: null });
    const topic = fc.option(fc.string({ unit: 'binary', maxLength: 128 }), { nil: undefined });
    fc.assert(
      fc.property(
        from,
        topic,
        fc.uint8Array({ maxLength: 256 }),
        fc.jsonValue(),
        (sender, label, bytes, json) => {
          const header = label === undefined ? { from: sender } : { from: sender, topic: label };
          const binary = decodeIncomingEnvelope(serverBinaryEnvelope(header, bytes));
          expect(binary.ok).toBe(true);
          if (binary.ok) {
            expect(binary.value).toMatchObject({ from: sender, topic: label, binary: true });
            expect([...(binary.value.payload as Uint8Array)]).toEqual([...bytes]);
          }
          const text = decodeIncomingEnvelope(serverTextEnvelope({ ...header, payload: json }));
          expect(text).toEqual({
            ok: true,
            value: { from: sender, topic: label, payload: throughJson(json), binary: false },
          });
        },
      ),
      runs(300),
    );
  });

  it('refuses each malformed form with its code', () => {
    const withHeader = (header: string, extra: number[] = []) => {
      const headerBytes = new TextEncoder().encode(header);
      return Uint8Array.of(headerBytes.length >> 8, headerBytes.length & 0xff, ...headerBytes, ...extra);
    };
    const cases: [unknown, EnvelopeError['code']][] = [
      [new Uint8Array(0), 'ERR_ENVELOPE_TRUNCATED'],
      [Uint8Array.of(0), 'ERR_ENVELOPE_TRUNCATED'],
      [Uint8Array.of(0, 5, 0x7b, 0x7d), 'ERR_ENVELOPE_TRUNCATED'],
      [Uint8Array.of(0xff, 0xff), 'ERR_ENVELOPE_TRUNCATED'],
      [Uint8Array.of(0, 2, 0xc3, 0x28), 'ERR_ENVELOPE_BAD_UTF8'],
      [Uint8Array.of(0, 0), 'ERR_ENVELOPE_BAD_JSON'],
      [withHeader('{"from":null'), 'ERR_ENVELOPE_BAD_JSON'],
      [withHeader('[]'), 'ERR_ENVELOPE_NOT_OBJECT'],
      [withHeader('{}', [1]), 'ERR_ENVELOPE_BAD_FROM'],
      [withHeader('{"from":{}}'), 'ERR_ENVELOPE_BAD_FROM'],
      [withHeader('{"from":null,"topic":[]}'), 'ERR_ENVELOPE_BAD_TOPIC'],
      [{ byteLength: 4 }, 'ERR_ENVELOPE_UNSUPPORTED_TYPE'],
      [null, 'ERR_ENVELOPE_UNSUPPORTED_TYPE'],
      [42, 'ERR_ENVELOPE_UNSUPPORTED_TYPE'],
    ];
    for (const [data, code] of cases) {
      const result = decodeIncomingEnvelope(data);
      expect(result.ok, String(data)).toBe(false);
      if (!result.ok) expect(result.error.code, String(data)).toBe(code);
    }
    // A binary envelope needs no payload: the header is all there is.
    expect(decodeIncomingEnvelope(withHeader('{"from":null}'))).toMatchObject({ ok: true });
  });
});

describe('garbage', () => {
  /** The decoder's contract: a result, never an exception. */
  const answers = (data: unknown) => {
    const result = decodeIncomingEnvelope(data);
    expect(typeof result.ok).toBe('boolean');
    if (!result.ok) expect(result.error).toBeInstanceOf(EnvelopeError);
  };

  it('never throws on any value, string or bytes', () => {
    fc.assert(fc.property(fc.anything(), answers), runs(1_000));
    fc.assert(fc.property(fc.string({ unit: 'binary' }), answers), runs(1_000));
    fc.assert(fc.property(fc.json(), answers), runs(1_000));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        answers(bytes);
        answers(bytes.buffer);
      }),
      runs(1_000),
    );
  });

  it('never throws on a damaged or cut valid envelope', () => {
    const valid = fc
      .tuple(fc.option(participantIdArbitrary, { nil: null }), fc.uint8Array({ maxLength: 64 }))
      .map(([from, payload]) => serverBinaryEnvelope({ from, topic: 'x' }, payload));
    fc.assert(
      fc.property(valid, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat(), (bytes, at, value, cut) => {
        const damaged = bytes.slice();
        damaged[at % damaged.length] = value;
        answers(damaged);
        answers(bytes.subarray(0, cut % (bytes.length + 1)));
      }),
      runs(1_000),
    );
    // A header length that claims exactly the rest, or one byte more, of a real header.
    fc.assert(
      fc.property(fc.json(), fc.integer({ min: -2, max: 2 }), (json, slip) => {
        const header = new TextEncoder().encode(json);
        const length = Math.max(0, Math.min(0xffff, header.length + slip));
        answers(Uint8Array.of(length >> 8, length & 0xff, ...header));
      }),
      runs(500),
    );
  });
});

describe('utf8ByteLength', () => {
  it('counts as TextEncoder does, lone surrogates included', () => {
    const anyUnits = fc
      .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 64 })
      .map((units) => String.fromCharCode(...units));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), anyUnits), (text) => {
        expect(utf8ByteLength(text)).toBe(new TextEncoder().encode(text).length);
      }),
      runs(2_000),
    );
    expect(utf8ByteLength('aé€😀')).toBe(1 + 2 + 3 + 4);
    expect(utf8ByteLength('\ud83d')).toBe(3);
  });
});
