/**
 * Server nonces (RFC 8489 §9.2): stateless, self-expiring, and beginning
 * with the security-feature cookie "obMatJos2" plus four base64 characters
 * that encode 24 feature bits.
 *
 * A nonce is  cookie | features | base64url(expiry(4) | HMAC-SHA256(key,
 * features|expiry|client)[0..12]), so the server keeps no nonce table that a
 * flood could fill, and a nonce issued to one client address is refused
 * from another.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The nonce cookie of RFC 8489 §9.2. */
export const NONCE_COOKIE = 'obMatJos2';

/**
 * Security feature bits (RFC 8489 §18.10, "Bit 0: password algorithms").
 * Implementations disagree on whether bit 0 is the most or the least
 * significant bit of the 24; the value we send sets it under both readings
 * (the other bit being unassigned under each), and checks accept either.
 */
export const FEATURE_PASSWORD_ALGORITHMS = 0x800001;

/** Result of checking a nonce. */
export type NonceCheck = 'valid' | 'expired' | 'invalid';

/** Issues and validates nonces with a per-process (or configured) key. */
export class NonceManager {
  private readonly key: Buffer;
  private readonly lifetimeMs: number;
  private readonly now: () => number;
  private readonly featureText: string;

  constructor(options: { lifetimeSeconds: number; key?: Buffer; now?: () => number; features?: number }) {
    this.key = options.key ?? randomBytes(32);
    this.lifetimeMs = options.lifetimeSeconds * 1000;
    this.now = options.now ?? Date.now;
    const features = Buffer.alloc(3);
    features.writeUIntBE(options.features ?? FEATURE_PASSWORD_ALGORITHMS, 0, 3);
    this.featureText = features.toString('base64');
  }

  /** True when the nonces we issue advertise password algorithm negotiation. */
  get advertisesPasswordAlgorithms(): boolean {
    return (Buffer.from(this.featureText, 'base64').readUIntBE(0, 3) & FEATURE_PASSWORD_ALGORITHMS) !== 0;
  }

  private mac(prefix: string, expiry: Buffer, client: string): Buffer {
    return createHmac('sha256', this.key)
      .update(prefix)
      .update(expiry)
      .update(client)
      .digest()
      .subarray(0, 12);
  }

  /** A new nonce bound to the client's transport address text. */
  issue(client: string): string {
    const prefix = NONCE_COOKIE + this.featureText;
    const expiry = Buffer.allocUnsafe(4);
    expiry.writeUInt32BE(Math.floor((this.now() + this.lifetimeMs) / 1000) >>> 0, 0);
    return prefix + Buffer.concat([expiry, this.mac(prefix, expiry, client)]).toString('base64url');
  }

  /** Checks a nonce received from the client. */
  check(nonce: string, client: string): NonceCheck {
    const prefixLength = NONCE_COOKIE.length + 4;
    if (nonce.length !== prefixLength + 22 || !nonce.startsWith(NONCE_COOKIE)) return 'invalid';
    const prefix = nonce.slice(0, prefixLength);
    const bodyText = nonce.slice(prefixLength);
    const body = Buffer.from(bodyText, 'base64url');
    // Node's decoder skips foreign characters, accepts both alphabets and ignores the low bits of the
    // last character, so several strings decode to one body: only the canonical encoding is ours.
    if (body.length !== 16 || body.toString('base64url') !== bodyText) return 'invalid';
    const expiry = body.subarray(0, 4);
    if (!timingSafeEqual(body.subarray(4), this.mac(prefix, expiry, client))) return 'invalid';
    return expiry.readUInt32BE(0) * 1000 <= this.now() ? 'expired' : 'valid';
  }
}

/** Reads the 24 feature bits of a nonce that carries the cookie; undefined otherwise. */
export function nonceFeatures(nonce: string): number | undefined {
  if (!nonce.startsWith(NONCE_COOKIE) || nonce.length < NONCE_COOKIE.length + 4) return undefined;
  const bytes = Buffer.from(nonce.slice(NONCE_COOKIE.length, NONCE_COOKIE.length + 4), 'base64');
  return bytes.length === 3 ? bytes.readUIntBE(0, 3) : undefined;
}
