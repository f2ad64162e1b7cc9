/**
 * The cipher suites offered: ECDHE with ECDSA certificates and an AEAD
 * (RFC 5289 §3.2 for AES-GCM, RFC 7905 for ChaCha20-Poly1305).
 */
import type { PrfHash } from './prf.js';

/** Names of the supported cipher suites, as IANA spells them. */
export type CipherSuiteName =
  | 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'
  | 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'
  | 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256';

/** What one cipher suite fixes. */
export interface CipherSuite {
  readonly name: CipherSuiteName;
  readonly id: number;
  /** Node cipher name of the record AEAD. */
  readonly aead: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';
  readonly keyLength: number;
  /** Implicit IV from the key block: 4-byte salt for GCM (RFC 5288 §3), 12-byte IV for ChaCha (RFC 7905 §2). */
  readonly fixedIvLength: number;
  /** Explicit nonce carried in each record: 8 for GCM, none for ChaCha20-Poly1305. */
  readonly explicitNonceLength: number;
  readonly prfHash: PrfHash;
}

/** The suites in default preference order. */
export const CIPHER_SUITES: readonly CipherSuite[] = Object.freeze([
  {
    name: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
    id: 0xc02b,
    aead: 'aes-128-gcm',
    keyLength: 16,
    fixedIvLength: 4,
    explicitNonceLength: 8,
    prfHash: 'sha256',
  },
  {
    name: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
    id: 0xc02c,
    aead: 'aes-256-gcm',
    keyLength: 32,
    fixedIvLength: 4,
    explicitNonceLength: 8,
    prfHash: 'sha384',
  },
  {
    name: 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
    id: 0xcca9,
    aead: 'chacha20-poly1305',
    keyLength: 32,
    fixedIvLength: 12,
    explicitNonceLength: 0,
    prfHash: 'sha256',
  },
] as const);

/** The suite with that IANA id, or undefined. */
export function cipherSuiteById(id: number): CipherSuite | undefined {
  return CIPHER_SUITES.find((suite) => suite.id === id);
}

/** The suite with that name, or undefined. */
export function cipherSuiteByName(name: string): CipherSuite | undefined {
  return CIPHER_SUITES.find((suite) => suite.name === name);
}
