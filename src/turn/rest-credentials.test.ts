/**
 * TURN REST API credentials as coturn's `use-auth-secret` reads them. The
 * password is checked against node:crypto and, when it is installed, against
 * the openssl command line, so that the expected value never comes from the
 * code under test.
 */
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRestCredential, parseRestUsername, REST_SEPARATOR, restPassword } from './rest-credentials.js';

/** base64(HMAC-SHA1(secret, username)) computed by the openssl binary, or undefined without one. */
function opensslPassword(secret: string, username: string): string | undefined {
  try {
    // Same pipeline as `echo -n "$username" | openssl dgst -binary -sha1 -hmac "$secret" | base64`.
    const mac = execFileSync('openssl', ['dgst', '-binary', '-sha1', '-hmac', secret], {
      input: username,
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    return mac.toString('base64');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

const hasOpenssl = opensslPassword('probe', 'probe') !== undefined;
if (!hasOpenssl) {
  console.warn('rest-credentials.test.ts: openssl not found on PATH; SKIPPING the openssl cross-check');
}

const NOW_MS = 1_700_000_000_123;

describe('createRestCredential', () => {
  it('builds "EXPIRY:USER" from the clock and the TTL', () => {
    const credential = createRestCredential('s3cret', 'alice', 86_400, NOW_MS);
    expect(REST_SEPARATOR).toBe(':');
    expect(credential.expiresAt).toBe(1_700_086_400);
    expect(credential.username).toBe('1700086400:alice');
  });

  it('omits the separator when there is no user', () => {
    const credential = createRestCredential('s3cret', '', 60, NOW_MS);
    expect(credential.username).toBe('1700000060');
    expect(credential.expiresAt).toBe(1_700_000_060);
  });

  it('keeps the expiry in whole seconds with a fractional TTL, so that the username stays parseable', () => {
    const credential = createRestCredential('s3cret', 'alice', 90.9, NOW_MS);
    expect(credential.expiresAt).toBe(1_700_000_091);
    expect(credential.username).toBe('1700000091:alice');
    expect(parseRestUsername(credential.username)).toEqual({ expiresAt: 1_700_000_091, user: 'alice' });
  });

  it('defaults the clock to Date.now()', () => {
    const before = Math.floor(Date.now() / 1000);
    const credential = createRestCredential('s3cret', 'bob', 3600);
    const after = Math.floor(Date.now() / 1000);
    expect(credential.expiresAt).toBeGreaterThanOrEqual(before + 3600);
    expect(credential.expiresAt).toBeLessThanOrEqual(after + 3600);
  });

  it('gives a password equal to base64(HMAC-SHA1(secret, username)) by node:crypto', () => {
    const credential = createRestCredential('north-secret', 'alice', 600, NOW_MS);
    const expected = createHmac('sha1', 'north-secret').update('1700000600:alice').digest('base64');
    expect(credential.password).toBe(expected);
    expect(restPassword('north-secret', '1700000600:alice')).toBe(expected);
    // A 20-byte MAC in base64 is 28 characters with one '=' of padding.
    expect(credential.password).toMatch(/^[A-Za-z0-9+/]{27}=$/);
  });

  it('depends on the secret and on every byte of the username', () => {
    const base = restPassword('secret', '1700000000:alice');
    expect(restPassword('secreT', '1700000000:alice')).not.toBe(base);
    expect(restPassword('secret', '1700000000:alicf')).not.toBe(base);
    expect(restPassword('secret', '1700000001:alice')).not.toBe(base);
  });

  it('agrees with node:crypto for any secret, user and time', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.string({ maxLength: 40 }),
        fc.integer({ min: 1, max: 10 * 365 * 86_400 }),
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        (secret, user, ttl, now) => {
          const credential = createRestCredential(secret, user, ttl, now);
          const expiry = Math.floor(now / 1000) + ttl;
          expect(credential.username).toBe(user ? `${expiry}:${user}` : `${expiry}`);
          expect(credential.password).toBe(
            createHmac('sha1', Buffer.from(secret, 'utf8'))
              .update(Buffer.from(credential.username, 'utf8'))
              .digest('base64'),
          );
          expect(parseRestUsername(credential.username)).toEqual({ expiresAt: expiry, user });
        },
      ),
    );
  });

  it.skipIf(!hasOpenssl)('gives the same password as the openssl command line', () => {
    for (const [secret, user] of [
      ['north-secret', 'alice'],
      ['', 'no-secret'],
      ['s p a c e s', 'user with spaces'],
      ['ключ', 'пользователь'],
      ['-hyphen', ''],
    ]) {
      const credential = createRestCredential(secret, user, 86_400, NOW_MS);
      expect(credential.password, `${secret} / ${user}`).toBe(opensslPassword(secret, credential.username));
    }
  });
});

describe('parseRestUsername', () => {
  it('accepts "EXPIRY:USER"', () => {
    expect(parseRestUsername('1700000000:alice')).toEqual({ expiresAt: 1_700_000_000, user: 'alice' });
  });

  it('accepts a bare expiry', () => {
    expect(parseRestUsername('1700000000')).toEqual({ expiresAt: 1_700_000_000, user: '' });
  });

  it('keeps everything after the first separator as the user', () => {
    expect(parseRestUsername('1700000000:a:b')).toEqual({ expiresAt: 1_700_000_000, user: 'a:b' });
    expect(parseRestUsername('1700000000:')).toEqual({ expiresAt: 1_700_000_000, user: '' });
  });

  it('accepts 1 to 12 digits', () => {
    expect(parseRestUsername('0')).toEqual({ expiresAt: 0, user: '' });
    expect(parseRestUsername('999999999999:x')).toEqual({ expiresAt: 999_999_999_999, user: 'x' });
  });

  it('rejects names that are not of that form', () => {
    for (const username of [
      'alice',
      'abc:1700000000',
      '',
      ':alice',
      '1234567890123',
      '1234567890123:alice',
      '-1700000000:alice',
      '+1700000000',
      '17000.5:alice',
      '1e9:alice',
      ' 1700000000:alice',
      '1700000000 :alice',
      '0x10:alice',
      '１７００:alice',
    ]) {
      expect(parseRestUsername(username), JSON.stringify(username)).toBeUndefined();
    }
  });
});
