/**
 * TurnAuthenticator: long-term keys from configured users and TURN REST
 * secrets (RFC 8489 §9.2.2, coturn `use-auth-secret`), expiry, secret
 * rotation, quota keys and USERHASH lookup (RFC 8489 §14.4).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PasswordAlgorithm } from '../stun/constants.js';
import { longTermKey, userHash } from '../stun/credentials.js';
import { type CredentialCandidate, TurnAuthenticator } from './auth.js';
import { createRestCredential, restPassword } from './rest-credentials.js';

const REALM = 'switchboard.example';
const NOW_MS = 1_700_000_000_000;
const clock = () => NOW_MS;

function candidatesOf(result: CredentialCandidate[] | string): CredentialCandidate[] {
  if (typeof result === 'string') throw new Error(`expected candidates, got '${result}'`);
  return result;
}

describe('TurnAuthenticator with configured users', () => {
  const auth = new TurnAuthenticator({
    realm: REALM,
    users: { alice: 'wonderland', bob: 'builder' },
    now: clock,
  });

  it('gives the MD5 long-term key of the user', () => {
    const [candidate, ...rest] = candidatesOf(auth.candidates('alice', PasswordAlgorithm.MD5));
    expect(rest).toEqual([]);
    expect(candidate.username).toBe('alice');
    expect(candidate.source).toBe('user');
    expect(candidate.key).toEqual(longTermKey('alice', REALM, 'wonderland', PasswordAlgorithm.MD5));
    // And independently: MD5("alice:realm:password") (RFC 8489 §9.2.2).
    expect(candidate.key).toEqual(createHash('md5').update(`alice:${REALM}:wonderland`).digest());
  });

  it('gives the SHA-256 long-term key of the user', () => {
    const [candidate] = candidatesOf(auth.candidates('bob', PasswordAlgorithm.SHA256));
    expect(candidate.key).toEqual(longTermKey('bob', REALM, 'builder', PasswordAlgorithm.SHA256));
    expect(candidate.key).toEqual(createHash('sha256').update(`bob:${REALM}:builder`).digest());
    expect(candidate.key).toHaveLength(32);
  });

  it('gives each user their own key', () => {
    const [alice] = candidatesOf(auth.candidates('alice', PasswordAlgorithm.MD5));
    const [bob] = candidatesOf(auth.candidates('bob', PasswordAlgorithm.MD5));
    expect(alice.key.equals(bob.key)).toBe(false);
  });

  it('counts quotas against the user name', () => {
    expect(candidatesOf(auth.candidates('alice', PasswordAlgorithm.MD5))[0].quotaKey).toBe('alice');
  });

  it('answers unknown for anyone else, including REST-looking names when no secret is set', () => {
    expect(auth.candidates('mallory', PasswordAlgorithm.MD5)).toBe('unknown');
    expect(auth.candidates('Alice', PasswordAlgorithm.MD5)).toBe('unknown');
    expect(auth.candidates('', PasswordAlgorithm.SHA256)).toBe('unknown');
    expect(auth.candidates('1800000000:alice', PasswordAlgorithm.MD5)).toBe('unknown');
  });

  it('finds a configured user by USERHASH in this realm only', () => {
    expect(auth.usernameForUserhash(userHash('alice', REALM))).toBe('alice');
    expect(auth.usernameForUserhash(userHash('bob', REALM))).toBe('bob');
    expect(auth.usernameForUserhash(userHash('alice', 'other.example'))).toBeUndefined();
    expect(auth.usernameForUserhash(userHash('mallory', REALM))).toBeUndefined();
    expect(auth.usernameForUserhash(Buffer.alloc(32))).toBeUndefined();
  });

  it('is configured', () => {
    expect(auth.configured).toBe(true);
  });
});

describe('TurnAuthenticator with REST secrets', () => {
  const SECRETS = ['current-secret', 'previous-secret'];
  const auth = new TurnAuthenticator({ realm: REALM, authSecrets: SECRETS, now: clock });

  it('gives one candidate per secret, each the long-term key of the REST password', () => {
    const { username } = createRestCredential(SECRETS[0], 'carol', 3600, NOW_MS);
    for (const algorithm of [PasswordAlgorithm.MD5, PasswordAlgorithm.SHA256]) {
      const candidates = candidatesOf(auth.candidates(username, algorithm));
      expect(candidates.map((candidate) => candidate.source)).toEqual(['secret', 'secret']);
      for (const [i, secret] of SECRETS.entries()) {
        expect(candidates[i].username).toBe(username);
        expect(candidates[i].key).toEqual(
          longTermKey(username, REALM, restPassword(secret, username), algorithm),
        );
      }
      expect(candidates[0].key.equals(candidates[1].key)).toBe(false);
    }
  });

  it('verifies a credential minted with either secret (rotation)', () => {
    for (const secret of SECRETS) {
      const credential = createRestCredential(secret, 'carol', 3600, NOW_MS);
      const clientKey = longTermKey(credential.username, REALM, credential.password, PasswordAlgorithm.MD5);
      const keys = candidatesOf(auth.candidates(credential.username, PasswordAlgorithm.MD5)).map(
        (c) => c.key,
      );
      expect(
        keys.some((key) => key.equals(clientKey)),
        secret,
      ).toBe(true);
    }
  });

  it('does not verify a credential minted with another secret', () => {
    const credential = createRestCredential('not-configured', 'carol', 3600, NOW_MS);
    const clientKey = longTermKey(credential.username, REALM, credential.password, PasswordAlgorithm.MD5);
    const keys = candidatesOf(auth.candidates(credential.username, PasswordAlgorithm.MD5)).map((c) => c.key);
    expect(keys).toHaveLength(2);
    expect(keys.some((key) => key.equals(clientKey))).toBe(false);
  });

  it('counts quotas against the user part', () => {
    const { username } = createRestCredential(SECRETS[0], 'carol', 3600, NOW_MS);
    for (const candidate of candidatesOf(auth.candidates(username, PasswordAlgorithm.MD5))) {
      expect(candidate.quotaKey).toBe('carol');
    }
  });

  it('counts a user-less REST username against the whole username', () => {
    const { username } = createRestCredential(SECRETS[0], '', 3600, NOW_MS);
    expect(username).toBe('1700003600');
    const candidates = candidatesOf(auth.candidates(username, PasswordAlgorithm.MD5));
    expect(candidates).toHaveLength(2);
    expect(candidates[0].quotaKey).toBe('1700003600');
  });

  it('answers expired once the expiry second is reached, and not a millisecond before', () => {
    const username = '1700000000:carol';
    const at = (nowMs: number) =>
      new TurnAuthenticator({ realm: REALM, authSecrets: SECRETS, now: () => nowMs });
    expect(at(1_700_000_000_000).candidates(username, PasswordAlgorithm.MD5)).toBe('expired');
    expect(at(1_800_000_000_000).candidates(username, PasswordAlgorithm.SHA256)).toBe('expired');
    expect(candidatesOf(at(1_699_999_999_999).candidates(username, PasswordAlgorithm.MD5))).toHaveLength(2);
  });

  it('answers expired for a credential minted with a negative TTL', () => {
    const { username } = createRestCredential(SECRETS[1], 'carol', -10, NOW_MS);
    expect(auth.candidates(username, PasswordAlgorithm.MD5)).toBe('expired');
  });

  it('answers unknown for a username not of the REST form', () => {
    expect(auth.candidates('carol', PasswordAlgorithm.MD5)).toBe('unknown');
    expect(auth.candidates('carol:1800000000', PasswordAlgorithm.MD5)).toBe('unknown');
    expect(auth.candidates('', PasswordAlgorithm.MD5)).toBe('unknown');
  });

  it('cannot find REST users by USERHASH', () => {
    const { username } = createRestCredential(SECRETS[0], 'carol', 3600, NOW_MS);
    expect(auth.usernameForUserhash(userHash(username, REALM))).toBeUndefined();
  });

  it('is configured', () => {
    expect(auth.configured).toBe(true);
  });
});

describe('TurnAuthenticator with both users and secrets', () => {
  const legacy = '1600000000:legacy';
  const future = '1800000000:early';
  const auth = new TurnAuthenticator({
    realm: REALM,
    users: { [legacy]: 'old-password', [future]: 'new-password', dave: 'pw' },
    authSecrets: ['shared'],
    now: clock,
  });

  it('still accepts a static user whose name looks like an expired REST username', () => {
    const candidates = candidatesOf(auth.candidates(legacy, PasswordAlgorithm.MD5));
    expect(candidates).toHaveLength(1);
    expect(candidates[0].source).toBe('user');
    expect(candidates[0].quotaKey).toBe(legacy);
    expect(candidates[0].key).toEqual(longTermKey(legacy, REALM, 'old-password', PasswordAlgorithm.MD5));
  });

  it('offers the static key first, then the secret, for a REST-looking static name not yet expired', () => {
    const candidates = candidatesOf(auth.candidates(future, PasswordAlgorithm.SHA256));
    expect(candidates.map((candidate) => candidate.source)).toEqual(['user', 'secret']);
    expect(candidates[0].key).toEqual(longTermKey(future, REALM, 'new-password', PasswordAlgorithm.SHA256));
    expect(candidates[0].quotaKey).toBe(future);
    expect(candidates[1].key).toEqual(
      longTermKey(future, REALM, restPassword('shared', future), PasswordAlgorithm.SHA256),
    );
    expect(candidates[1].quotaKey).toBe('early');
  });

  it('keeps plain static users and REST users apart', () => {
    expect(candidatesOf(auth.candidates('dave', PasswordAlgorithm.MD5)).map((c) => c.source)).toEqual([
      'user',
    ]);
    const rest = createRestCredential('shared', 'dave', 60, NOW_MS).username;
    expect(candidatesOf(auth.candidates(rest, PasswordAlgorithm.MD5)).map((c) => c.source)).toEqual([
      'secret',
    ]);
  });

  it('finds REST-looking static users by USERHASH', () => {
    expect(auth.usernameForUserhash(userHash(legacy, REALM))).toBe(legacy);
  });
});

describe('TurnAuthenticator.configured', () => {
  it('is false with neither users nor secrets', () => {
    expect(new TurnAuthenticator({ realm: REALM }).configured).toBe(false);
    expect(new TurnAuthenticator({ realm: REALM, users: {}, authSecrets: [] }).configured).toBe(false);
  });
});
