/**
 * Long-term credentials for the TURN server (RFC 8489 §9.2, RFC 8656 §5):
 * configured users and TURN REST API shared secrets, both active at once.
 * It only derives keys; checking MESSAGE-INTEGRITY is the server's job.
 */
import { longTermKey, PasswordAlgorithm, userHash } from '../stun/index.js';
import { parseRestUsername, restPassword } from './rest-credentials.js';

/** A key that may verify a request, with who it belongs to. */
export interface CredentialCandidate {
  /** USERNAME as the client sent it (the allocation's owner). */
  username: string;
  /** What quotas count against: the configured user, or the REST user part. */
  quotaKey: string;
  key: Buffer;
  /** Where the key came from, for logs: 'user' or 'secret'. */
  source: 'user' | 'secret';
}

/** Why a username found no key. */
export type CredentialMiss = 'unknown' | 'expired';

/** Derives long-term keys from configured users and REST secrets. */
export class TurnAuthenticator {
  private readonly realm: string;
  private readonly secrets: readonly string[];
  private readonly now: () => number;
  private readonly userKeys = new Map<string, { md5: Buffer; sha256: Buffer }>();
  private readonly userhashes = new Map<string, string>();

  constructor(options: {
    realm: string;
    users?: Record<string, string>;
    authSecrets?: readonly string[];
    now?: () => number;
  }) {
    this.realm = options.realm;
    this.secrets = options.authSecrets ?? [];
    this.now = options.now ?? Date.now;
    for (const [name, password] of Object.entries(options.users ?? {})) {
      this.userKeys.set(name, {
        md5: longTermKey(name, this.realm, password, PasswordAlgorithm.MD5),
        sha256: longTermKey(name, this.realm, password, PasswordAlgorithm.SHA256),
      });
      this.userhashes.set(userHash(name, this.realm).toString('hex'), name);
    }
  }

  /** True when at least one mechanism is configured. */
  get configured(): boolean {
    return this.userKeys.size > 0 || this.secrets.length > 0;
  }

  /**
   * Candidate keys for a username: the configured user's, then one per REST
   * secret when the username has the REST form and has not expired.
   */
  candidates(username: string, algorithm: PasswordAlgorithm): CredentialCandidate[] | CredentialMiss {
    const candidates: CredentialCandidate[] = [];
    const user = this.userKeys.get(username);
    if (user) {
      candidates.push({
        username,
        quotaKey: username,
        key: algorithm === PasswordAlgorithm.SHA256 ? user.sha256 : user.md5,
        source: 'user',
      });
    }
    const rest = this.secrets.length > 0 ? parseRestUsername(username) : undefined;
    if (rest) {
      if (rest.expiresAt * 1000 <= this.now()) return candidates.length > 0 ? candidates : 'expired';
      for (const secret of this.secrets) {
        candidates.push({
          username,
          quotaKey: rest.user || username,
          key: longTermKey(username, this.realm, restPassword(secret, username), algorithm),
          source: 'secret',
        });
      }
    }
    return candidates.length > 0 ? candidates : 'unknown';
  }

  /** The configured user behind a USERHASH (RFC 8489 §14.4); REST users cannot be hashed. */
  usernameForUserhash(hash: Buffer): string | undefined {
    return this.userhashes.get(hash.toString('hex'));
  }
}
