/**
 * Access tokens: JWTs signed with HS256 by one of the server's API keys.
 * The key goes in `iss`, so that several keys can be active at once (for
 * rotation, or one per application); the server verifies with that key's
 * secret. Claims: `sub` (identity), `name`, `room`, `grants`, `metadata`,
 * `exp` (required), `nbf`.
 */
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';

/** What a token allows. */
export interface Grants {
  join: boolean;
  publish: boolean;
  subscribe: boolean;
  data: boolean;
  admin: boolean;
  record: boolean;
}

/** The grants a participant token has unless told otherwise. */
export const DEFAULT_GRANTS: Grants = {
  join: true,
  publish: true,
  subscribe: true,
  data: true,
  admin: false,
  record: false,
};

/** Grant names, in the order help lists them. */
export const GRANT_NAMES = ['join', 'publish', 'subscribe', 'data', 'admin', 'record'] as const;

/** A verified token. */
export interface AccessToken {
  apiKey: string;
  identity: string;
  name: string;
  room: string | undefined;
  grants: Grants;
  metadata: unknown;
  expiresAt: number;
}

/** An API key and its secret. */
export interface ApiKey {
  key: string;
  secret: string;
}

/** Why a token was refused. */
export type TokenRefusal = 'invalid_token' | 'token_expired';

/** The error a refused token raises. */
export class TokenError extends Error {
  readonly code: TokenRefusal;
  constructor(code: TokenRefusal, message: string) {
    super(message);
    this.name = 'TokenError';
    this.code = code;
  }
}

/** Room names: what a URL path segment and a log line carry without escaping. */
export const ROOM_NAME = /^[A-Za-z0-9_.~-]{1,128}$/;

const claimsSchema = z.object({
  iss: z.string().min(1),
  sub: z.string().min(1).max(128),
  name: z.string().min(1).max(128).optional(),
  room: z.string().regex(ROOM_NAME).optional(),
  grants: z
    .object({
      join: z.boolean().optional(),
      publish: z.boolean().optional(),
      subscribe: z.boolean().optional(),
      data: z.boolean().optional(),
      admin: z.boolean().optional(),
      record: z.boolean().optional(),
    })
    .optional(),
  metadata: z.unknown().optional(),
  exp: z.number(),
});

/** What a new token says. */
export interface TokenClaims {
  identity: string;
  name?: string;
  room?: string;
  grants?: Partial<Grants>;
  metadata?: unknown;
  /** Lifetime, seconds. */
  ttlSeconds: number;
}

/** Signs a token with the key. */
export async function createAccessToken(key: ApiKey, claims: TokenClaims, now = Date.now()): Promise<string> {
  const issuedAt = Math.floor(now / 1000);
  const grants: Grants =
    claims.room === undefined && claims.grants?.admin
      ? {
          join: false,
          publish: false,
          subscribe: false,
          data: false,
          admin: true,
          record: false,
          ...claims.grants,
        }
      : { ...DEFAULT_GRANTS, ...claims.grants };
  const payload: Record<string, unknown> = { grants };
  if (claims.name !== undefined) payload.name = claims.name;
  if (claims.room !== undefined) payload.room = claims.room;
  if (claims.metadata !== undefined) payload.metadata = claims.metadata;
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(key.key)
    .setSubject(claims.identity)
    .setIssuedAt(issuedAt)
    .setNotBefore(issuedAt - 10)
    .setExpirationTime(issuedAt + claims.ttlSeconds)
    .sign(new TextEncoder().encode(key.secret));
}

/** Verifies tokens against a set of API keys. */
export class TokenVerifier {
  private readonly secrets = new Map<string, Uint8Array>();
  private readonly now: () => number;

  constructor(keys: readonly ApiKey[], now: () => number = Date.now) {
    for (const { key, secret } of keys) this.secrets.set(key, new TextEncoder().encode(secret));
    this.now = now;
  }

  /** Verifies signature, expiry and shape; throws a TokenError naming why it refused. */
  async verify(token: string): Promise<AccessToken> {
    const issuer = unverifiedIssuer(token);
    const secret = issuer === undefined ? undefined : this.secrets.get(issuer);
    if (!secret) throw new TokenError('invalid_token', 'token is not signed by a known API key');
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, secret, {
        algorithms: ['HS256'],
        currentDate: new Date(this.now()),
        clockTolerance: 5,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw new TokenError('token_expired', 'token has expired');
      if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'nbf') {
        throw new TokenError('token_expired', 'token is not valid yet');
      }
      throw new TokenError('invalid_token', `token refused: ${(error as Error).message}`);
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) {
      const issue = claims.error.issues[0];
      throw new TokenError('invalid_token', `token claim ${issue.path.join('.')}: ${issue.message}`);
    }
    const { iss, sub, name, room, grants, metadata, exp } = claims.data;
    return {
      apiKey: iss,
      identity: sub,
      name: name ?? sub,
      room,
      grants: {
        join: grants?.join ?? false,
        publish: grants?.publish ?? false,
        subscribe: grants?.subscribe ?? false,
        data: grants?.data ?? false,
        admin: grants?.admin ?? false,
        record: grants?.record ?? false,
      },
      metadata,
      expiresAt: exp * 1000,
    };
  }
}

/** The `iss` claim read without verification, to pick the key; undefined when unreadable. */
function unverifiedIssuer(token: string): string | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1].length > 8192) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as { iss?: unknown };
    return typeof payload.iss === 'string' ? payload.iss : undefined;
  } catch {
    return undefined;
  }
}

/** Parses a duration such as "90", "90s", "15m", "6h", "7d" into seconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d{1,7})([smhd]?)$/.exec(text.trim());
  if (!match) return undefined;
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  const seconds = Number(match[1]) * unit;
  return seconds > 0 ? seconds : undefined;
}
