/**
 * Ephemeral ECDH for ECDHE key exchange (RFC 8422 §5.10): X25519 (RFC 7748)
 * with 32-byte public keys, and secp256r1 with uncompressed points
 * (0x04 + X + Y, RFC 8422 §5.4.1). The pre-master secret is the shared
 * secret: the X coordinate for P-256, the u-coordinate for X25519.
 */
import { createECDH, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { NamedGroup } from './constants.js';

/** Groups offered, in preference order. */
export const SUPPORTED_GROUPS: readonly number[] = [NamedGroup.x25519, NamedGroup.secp256r1];

/** One side's ephemeral key pair. */
export interface EphemeralKey {
  readonly group: number;
  /** The public key as it goes on the wire. */
  readonly publicKey: Buffer;
  /** The shared secret with the peer's wire public key, or undefined when that key is invalid. */
  computeSecret(peerPublicKey: Buffer): Buffer | undefined;
}

const X25519_KEY_LENGTH = 32;
const P256_POINT_LENGTH = 65;

/** True for a group this side can do ECDHE with. */
export function isSupportedGroup(group: number): boolean {
  return SUPPORTED_GROUPS.includes(group);
}

/** A fresh ephemeral key in `group`; the group must be supported. */
export function generateEphemeralKey(group: number): EphemeralKey {
  if (group === NamedGroup.x25519) return x25519Key();
  if (group === NamedGroup.secp256r1) return p256Key();
  throw new RangeError(`unsupported group ${group}`);
}

function x25519Key(): EphemeralKey {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  const jwk = publicKey.export({ format: 'jwk' });
  return {
    group: NamedGroup.x25519,
    publicKey: Buffer.from(jwk.x!, 'base64url'),
    computeSecret(peer: Buffer): Buffer | undefined {
      if (peer.length !== X25519_KEY_LENGTH) return undefined;
      let peerKey: KeyObject;
      try {
        peerKey = createPublicKey({
          key: { kty: 'OKP', crv: 'X25519', x: peer.toString('base64url') },
          format: 'jwk',
        });
        const secret = diffieHellman({ privateKey, publicKey: peerKey });
        // RFC 7748 §6.1: an all-zero result means a small-order point; refuse it.
        return secret.every((byte) => byte === 0) ? undefined : secret;
      } catch {
        return undefined;
      }
    },
  };
}

function p256Key(): EphemeralKey {
  const ecdh = createECDH('prime256v1');
  const publicKey = ecdh.generateKeys();
  return {
    group: NamedGroup.secp256r1,
    publicKey,
    computeSecret(peer: Buffer): Buffer | undefined {
      // Only uncompressed points were offered (ec_point_formats), RFC 8422 §5.1.2.
      if (peer.length !== P256_POINT_LENGTH || peer[0] !== 4) return undefined;
      try {
        return ecdh.computeSecret(peer);
      } catch {
        return undefined;
      }
    },
  };
}
