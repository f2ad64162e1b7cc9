import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FEATURE_PASSWORD_ALGORITHMS, NONCE_COOKIE, NonceManager, nonceFeatures } from './nonce.js';

const start = 1_700_000_000_000; // a whole second
const client = '192.0.2.1:54321';
const key = Buffer.alloc(32, 7);

function clock(initial = start) {
  const state = { now: initial };
  return { state, now: () => state.now };
}

describe('NonceManager', () => {
  it('issues nonces that begin with the RFC 8489 cookie and check as valid for the same client', () => {
    const { now } = clock();
    const manager = new NonceManager({ lifetimeSeconds: 600, key, now });
    const nonce = manager.issue(client);
    expect(nonce.startsWith(NONCE_COOKIE)).toBe(true);
    expect(nonce).toHaveLength(NONCE_COOKIE.length + 4 + 22);
    // A nonce is quoted text in STUN (RFC 8489 §14.10): no quotes, backslashes or spaces.
    expect(nonce).toMatch(/^[A-Za-z0-9+/_-]+$/);
    expect(manager.check(nonce, client)).toBe('valid');
  });

  it('expires after the lifetime, judged by the injected clock', () => {
    const { state, now } = clock();
    const manager = new NonceManager({ lifetimeSeconds: 60, key, now });
    const nonce = manager.issue(client);
    state.now = start + 59_999;
    expect(manager.check(nonce, client)).toBe('valid');
    state.now = start + 60_000;
    expect(manager.check(nonce, client)).toBe('expired');
    state.now = start + 86_400_000;
    expect(manager.check(nonce, client)).toBe('expired');
  });

  it('is bound to the client address', () => {
    const manager = new NonceManager({ lifetimeSeconds: 60, key, now: clock().now });
    const nonce = manager.issue(client);
    expect(manager.check(nonce, '192.0.2.1:54322')).toBe('invalid');
    expect(manager.check(nonce, '192.0.2.2:54321')).toBe('invalid');
    expect(manager.check(nonce, '')).toBe('invalid');
  });

  it('accepts nonces of another manager with the same key only', () => {
    const { now } = clock();
    const nonce = new NonceManager({ lifetimeSeconds: 60, key, now }).issue(client);
    expect(new NonceManager({ lifetimeSeconds: 60, key, now }).check(nonce, client)).toBe('valid');
    expect(
      new NonceManager({ lifetimeSeconds: 60, key: Buffer.alloc(32, 8), now }).check(nonce, client),
    ).toBe('invalid');
    // Without a configured key each manager draws its own.
    const random = new NonceManager({ lifetimeSeconds: 60, now });
    expect(new NonceManager({ lifetimeSeconds: 60, now }).check(random.issue(client), client)).toBe(
      'invalid',
    );
  });

  it('refuses every single-character change, including changes that decode to the same bytes', () => {
    const manager = new NonceManager({ lifetimeSeconds: 60, key, now: clock().now });
    const nonce = manager.issue(client);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/= .!';
    for (let i = 0; i < nonce.length; i++) {
      for (const replacement of alphabet) {
        if (replacement === nonce[i]) continue;
        const tampered = nonce.slice(0, i) + replacement + nonce.slice(i + 1);
        if (manager.check(tampered, client) !== 'invalid') {
          throw new Error(`position ${i} → ${JSON.stringify(replacement)}: ${tampered} was accepted`);
        }
      }
    }
  });

  it('refuses a nonce whose expiry was pushed forward', () => {
    const { state, now } = clock();
    const manager = new NonceManager({ lifetimeSeconds: 60, key, now });
    const nonce = manager.issue(client);
    const prefixLength = NONCE_COOKIE.length + 4;
    const body = Buffer.from(nonce.slice(prefixLength), 'base64url');
    body.writeUInt32BE(body.readUInt32BE(0) + 3600, 0);
    const extended = nonce.slice(0, prefixLength) + body.toString('base64url');
    state.now = start + 120_000;
    expect(manager.check(extended, client)).toBe('invalid');
  });

  it('never throws on garbage and calls it invalid', () => {
    const manager = new NonceManager({ lifetimeSeconds: 60, key, now: clock().now });
    const prefix = NONCE_COOKIE + manager.issue(client).slice(NONCE_COOKIE.length, NONCE_COOKIE.length + 4);
    for (const garbage of [
      '',
      NONCE_COOKIE,
      prefix,
      `${prefix}${'A'.repeat(22)}`,
      `${prefix}${'='.repeat(22)}`,
    ]) {
      expect(manager.check(garbage, client)).toBe('invalid');
    }
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 60 }),
          fc.string({ unit: 'binary', minLength: 22, maxLength: 22 }).map((tail) => prefix + tail),
          fc
            .string({ unit: 'binary-ascii', minLength: 26, maxLength: 26 })
            .map((tail) => NONCE_COOKIE + tail),
        ),
        (garbage) => {
          expect(manager.check(garbage, client)).toBe('invalid');
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('feature bits (RFC 8489 §9.2)', () => {
  it('advertise password algorithms by default', () => {
    const manager = new NonceManager({ lifetimeSeconds: 60, key });
    expect(nonceFeatures(manager.issue(client))).toBe(FEATURE_PASSWORD_ALGORITHMS);
    expect(manager.advertisesPasswordAlgorithms).toBe(true);
  });

  it('carry the configured bits', () => {
    for (const features of [0, 1, 0x800000, 0xabcdef, 0xffffff]) {
      const manager = new NonceManager({ lifetimeSeconds: 60, key, features });
      const nonce = manager.issue(client);
      expect(nonceFeatures(nonce)).toBe(features);
      expect(manager.check(nonce, client)).toBe('valid');
      expect(manager.advertisesPasswordAlgorithms).toBe((features & FEATURE_PASSWORD_ALGORITHMS) !== 0);
    }
  });

  it('read the RFC 8489 B.1 nonce and refuse nonces without the cookie', () => {
    // "obMatJos2" then "AAAC", the base64 of the three feature bytes 00 00 02.
    expect(nonceFeatures('obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA')).toBe(0x000002);
    expect(nonceFeatures('f//499k954d6OL34oL9FSTvy64sA')).toBeUndefined();
    expect(nonceFeatures('obMatJos2')).toBeUndefined();
    expect(nonceFeatures('obMatJos2AA')).toBeUndefined();
  });

  it('never throw on garbage', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (tail) => {
        const features = nonceFeatures(NONCE_COOKIE + tail);
        if (features !== undefined) expect(features).toBeLessThanOrEqual(0xffffff);
      }),
      { numRuns: 500 },
    );
  });
});
