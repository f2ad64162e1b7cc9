import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseClientMessage } from './protocol.js';

describe('parseClientMessage', () => {
  it('accepts each client message of the protocol', () => {
    const id = 'PA_abcdefABCDEF';
    const messages = [
      { type: 'join', v: 1, token: 'a.b.c' },
      { type: 'join', v: 1, token: 'a.b.c', resume: 'SE_x', metadata: { a: 1 }, rid: '1' },
      { type: 'offer', to: id, sdp: 'v=0' },
      { type: 'answer', to: id, sdp: 'v=0' },
      { type: 'candidate', to: id, candidate: { candidate: 'candidate:1', sdpMid: '0', sdpMLineIndex: 0 } },
      { type: 'candidate', to: id, candidate: null },
      { type: 'update', name: 'Ada' },
      { type: 'mute', kind: 'audio', muted: true },
      { type: 'data', payload: { text: 'hi' }, topic: 'chat' },
      { type: 'data', to: [id], payload: null },
      { type: 'leave' },
      { type: 'ping', t: 5 },
    ];
    for (const message of messages) {
      const result = parseClientMessage(JSON.stringify(message));
      expect(result.ok, JSON.stringify(message)).toBe(true);
    }
  });

  it('names the field that is wrong and keeps the request id', () => {
    const result = parseClientMessage(
      JSON.stringify({ type: 'mute', kind: 'screen', muted: true, rid: 'r9' }),
    );
    expect(result).toMatchObject({ ok: false, code: 'invalid_message', rid: 'r9' });
    expect(!result.ok && result.message).toMatch(/^kind: /);
    expect(parseClientMessage('{')).toMatchObject({ ok: false, code: 'invalid_json' });
    expect(parseClientMessage(JSON.stringify({ type: 'leave', extra: 1 }))).toMatchObject({ ok: false });
    const bigMetadata = { type: 'update', metadata: { blob: 'x'.repeat(5000) } };
    expect(parseClientMessage(JSON.stringify(bigMetadata))).toMatchObject({
      ok: false,
      code: 'invalid_message',
    });
  });

  it('never throws on garbage text, and only accepts objects with a known type', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((value) => JSON.stringify(value)),
        ),
        (text) => {
          const result = parseClientMessage(text);
          if (result.ok)
            expect([
              'join',
              'offer',
              'answer',
              'candidate',
              'update',
              'mute',
              'data',
              'leave',
              'ping',
            ]).toContain(result.message.type);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('never throws on mutated valid messages', () => {
    const valid = JSON.stringify({
      type: 'candidate',
      to: 'PA_abcdefABCDEF',
      candidate: { candidate: 'c', sdpMid: '0' },
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: valid.length - 1 }),
        fc.string({ minLength: 1, maxLength: 1 }),
        (index, char) => {
          parseClientMessage(valid.slice(0, index) + char + valid.slice(index + 1));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
