/**
 * Certificate fingerprints as SDP carries them (RFC 8122 §5): a hash function
 * name and the digest of the DER certificate as colon-separated hex.
 */
import { createHash } from 'node:crypto';

/** An SDP a=fingerprint value, e.g. { algorithm: 'sha-256', value: 'AB:CD:…' }. */
export interface DtlsFingerprint {
  algorithm: string;
  value: string;
}

const HASHES: Record<string, string> = {
  'sha-1': 'sha1',
  'sha-256': 'sha256',
  'sha-384': 'sha384',
  'sha-512': 'sha512',
};

/** Computes the fingerprint of a DER certificate with an SDP hash name (sha-256 by default). */
export function certificateFingerprint(certDer: Buffer, algorithm = 'sha-256'): DtlsFingerprint {
  const hash = HASHES[algorithm.toLowerCase()];
  if (!hash) throw new RangeError(`unsupported fingerprint algorithm ${algorithm}`);
  const hex = createHash(hash).update(certDer).digest('hex').toUpperCase();
  return { algorithm: algorithm.toLowerCase(), value: hex.match(/../g)!.join(':') };
}

/** Hex digits only, uppercase: colons and case do not matter when comparing (RFC 8122 §5). */
function normalize(value: string): string {
  return value.replace(/:/g, '').toUpperCase();
}

/**
 * True when the certificate matches at least one of the fingerprints. Entries
 * with a hash this side does not know are skipped (RFC 8122 §5 lets a peer
 * list several).
 */
export function matchesFingerprint(certDer: Buffer, fingerprints: readonly DtlsFingerprint[]): boolean {
  for (const fingerprint of fingerprints) {
    const hash = HASHES[fingerprint.algorithm.toLowerCase()];
    if (!hash) continue;
    const expected = normalize(fingerprint.value);
    const actual = createHash(hash).update(certDer).digest('hex').toUpperCase();
    if (expected === actual) return true;
  }
  return false;
}
