import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createAccessToken, parseDuration, TokenError, TokenVerifier } from './tokens.js';

const KEY = { key: 'k1', secret: 'first-secret-that-is-long-enough-for-hs256' };
const ROTATED = { key: 'k2', secret: 'second-secret-that-is-long-enough-for-hs256' };

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TokenError);
  return (error as TokenError).code;
}

describe('access tokens', () => {
  it('round-trips identity, name, room, grants and metadata with any active key', async () => {
    const verifier = new TokenVerifier([KEY, ROTATED]);
    for (const key of [KEY, ROTATED]) {
      const token = await createAccessToken(key, {
        identity: 'ada',
        name: 'Ada',
        room: 'standup',
        grants: { publish: false },
        metadata: { team: 'core' },
        ttlSeconds: 60,
      });
      expect(await verifier.verify(token)).toMatchObject({
        apiKey: key.key,
        identity: 'ada',
        name: 'Ada',
        room: 'standup',
        grants: { join: true, publish: false, subscribe: true, data: true, admin: false, record: false },
        metadata: { team: 'core' },
      });
    }
  });

  it('gives an admin token without a room only the admin grant', async () => {
    const token = await createAccessToken(KEY, { identity: 'ops', grants: { admin: true }, ttlSeconds: 60 });
    const verified = await new TokenVerifier([KEY]).verify(token);
    expect(verified.room).toBeUndefined();
    expect(verified.grants).toEqual({
      join: false,
      publish: false,
      subscribe: false,
      data: false,
      admin: true,
      record: false,
    });
  });

  it('refuses expired, not-yet-valid, foreign, tampered, unsigned and malformed tokens', async () => {
    const verifier = new TokenVerifier([KEY]);
    const expired = await createAccessToken(
      KEY,
      { identity: 'a', room: 'r', ttlSeconds: 10 },
      Date.now() - 3_600_000,
    );
    expect(await refusal(verifier.verify(expired))).toBe('token_expired');
    const future = await new SignJWT({ room: 'r', grants: { join: true } })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('k1')
      .setSubject('a')
      .setNotBefore(Math.floor(Date.now() / 1000) + 3600)
      .setExpirationTime('2h')
      .sign(new TextEncoder().encode(KEY.secret));
    expect(await refusal(verifier.verify(future))).toBe('token_expired');
    const foreign = await createAccessToken(ROTATED, { identity: 'a', room: 'r', ttlSeconds: 60 });
    expect(await refusal(verifier.verify(foreign))).toBe('invalid_token');
    const good = await createAccessToken(KEY, { identity: 'a', room: 'r', ttlSeconds: 60 });
    const [header, payload, signature] = good.split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), room: 'other' }),
    ).toString('base64url');
    expect(await refusal(verifier.verify(`${header}.${forged}.${signature}`))).toBe('invalid_token');
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;
    expect(await refusal(verifier.verify(unsigned))).toBe('invalid_token');
    for (const junk of ['', 'a.b', 'a.b.c', '...', 'x'.repeat(20_000)]) {
      expect(await refusal(verifier.verify(junk))).toBe('invalid_token');
    }
    const noExpiry = await new SignJWT({ room: 'r' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('k1')
      .setSubject('a')
      .sign(new TextEncoder().encode(KEY.secret));
    expect(await refusal(verifier.verify(noExpiry))).toBe('invalid_token');
  });
});

describe('parseDuration', () => {
  it('reads seconds, minutes, hours and days', () => {
    expect(parseDuration('90')).toBe(90);
    expect(parseDuration('90s')).toBe(90);
    expect(parseDuration('15m')).toBe(900);
    expect(parseDuration('6h')).toBe(21_600);
    expect(parseDuration('7d')).toBe(604_800);
    for (const bad of ['', '0', '-1h', '1w', '1.5h', 'h']) expect(parseDuration(bad)).toBeUndefined();
  });
});
