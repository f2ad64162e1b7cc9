import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeIncomingEnvelope, encodeOutgoingEnvelope } from './data-envelope.js';

function binary(header: unknown, payload: Uint8Array): Buffer {
  const text = Buffer.from(JSON.stringify(header), 'utf8');
  const out = Buffer.alloc(2 + text.length + payload.length);
  out.writeUInt16BE(text.length, 0);
  text.copy(out, 2);
  out.set(payload, 2 + text.length);
  return out;
}

describe('data envelopes', () => {
  it('reads a text envelope and writes it back with the sender', () => {
    const decoded = decodeIncomingEnvelope(
      JSON.stringify({ topic: 'chat', to: ['PA_a'], payload: { text: 'hi', n: [1, 2] } }),
    );
    expect(decoded).toEqual({
      ok: true,
      value: { topic: 'chat', to: ['PA_a'], payload: { kind: 'json', text: '{"text":"hi","n":[1,2]}' } },
    });
    if (!decoded.ok) return;
    const out = encodeOutgoingEnvelope({
      from: 'PA_b',
      topic: decoded.value.topic,
      payload: decoded.value.payload,
    });
    expect(JSON.parse(out as string)).toEqual({
      from: 'PA_b',
      topic: 'chat',
      payload: { text: 'hi', n: [1, 2] },
    });
  });

  it('sends null for a null payload and for the server as sender', () => {
    const decoded = decodeIncomingEnvelope('{"payload":null}');
    expect(decoded.ok && decoded.value.payload).toEqual({ kind: 'json', text: 'null' });
    expect(encodeOutgoingEnvelope({ from: null, payload: { kind: 'json', text: '"x"' } })).toBe(
      '{"from":null,"payload":"x"}',
    );
  });

  it('reads a binary envelope and writes it back with the sender', () => {
    const payload = Uint8Array.from([0, 1, 2, 255]);
    const decoded = decodeIncomingEnvelope(binary({ topic: 'file' }, payload));
    expect(decoded.ok).toBe(true);
    if (!decoded.ok || decoded.value.payload.kind !== 'binary') return;
    expect([...decoded.value.payload.bytes]).toEqual([0, 1, 2, 255]);
    const out = encodeOutgoingEnvelope({
      from: 'PA_c',
      topic: 'file',
      payload: decoded.value.payload,
    }) as Buffer;
    const headerLength = out.readUInt16BE(0);
    expect(JSON.parse(out.toString('utf8', 2, 2 + headerLength))).toEqual({ from: 'PA_c', topic: 'file' });
    expect([...out.subarray(2 + headerLength)]).toEqual([0, 1, 2, 255]);
  });

  it('refuses what is not an envelope, with a reason', () => {
    const refusals: Array<string | Buffer> = [
      'not json',
      '[1,2]',
      '{"topic":"x"}',
      '{"payload":1,"from":"PA_spoof"}',
      `{"payload":1,"topic":"${'t'.repeat(129)}"}`,
      '{"payload":1,"to":"PA_a"}',
      `{"payload":1,"to":${JSON.stringify(Array.from({ length: 257 }, (_, i) => `p${i}`))}}`,
      '{"payload":1,"to":[""]}',
      Buffer.alloc(0),
      Buffer.from([0]),
      Buffer.from([0, 10, 0x7b]),
      binary([1], new Uint8Array()),
      binary({ from: 'PA_spoof' }, new Uint8Array()),
      binary({ payload: 1 }, new Uint8Array()),
    ];
    for (const message of refusals) {
      const result = decodeIncomingEnvelope(message);
      expect(result.ok, String(message)).toBe(false);
      if (!result.ok) expect(result.error.length).toBeGreaterThan(0);
    }
  });

  it('never throws on garbage, text or binary', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.uint8Array({ maxLength: 300 })), (input) => {
        const result = decodeIncomingEnvelope(typeof input === 'string' ? input : Buffer.from(input));
        if (result.ok) {
          // Whatever is accepted can be delivered.
          expect(() => encodeOutgoingEnvelope({ from: 'PA_x', payload: result.value.payload })).not.toThrow();
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips any accepted envelope', () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            topic: fc.string({ maxLength: 128 }),
            to: fc.array(fc.string({ minLength: 1, maxLength: 64 }), { maxLength: 8 }),
            payload: fc.jsonValue(),
          },
          { requiredKeys: ['payload'] },
        ),
        (envelope) => {
          const decoded = decodeIncomingEnvelope(JSON.stringify(envelope));
          expect(decoded.ok).toBe(true);
          if (!decoded.ok) return;
          const out = JSON.parse(
            encodeOutgoingEnvelope({
              from: 'PA_x',
              topic: decoded.value.topic,
              payload: decoded.value.payload,
            }) as string,
          );
          expect(out.payload).toEqual(JSON.parse(JSON.stringify(envelope.payload)));
          expect(out.topic).toEqual(envelope.topic);
        },
      ),
    );
  });
});
