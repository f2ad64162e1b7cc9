/**
 * The TLS 1.2 pseudo-random function and the secrets derived with it
 * (RFC 5246 §5, §6.3, §7.4.9, §8.1; RFC 7627 §4; RFC 5705 §4).
 *
 *   P_hash(secret, seed) = HMAC_hash(secret, A(1) + seed) + HMAC_hash(secret, A(2) + seed) + ...
 *   A(0) = seed, A(i) = HMAC_hash(secret, A(i-1))
 *   PRF(secret, label, seed) = P_<hash>(secret, label + seed)
 */
import { createHash, createHmac } from 'node:crypto';
import { MASTER_SECRET_LENGTH, VERIFY_DATA_LENGTH } from './constants.js';

/** Hashes a TLS 1.2 cipher suite may name for its PRF. */
export type PrfHash = 'sha256' | 'sha384';

/** P_hash (RFC 5246 §5), `length` bytes. */
export function pHash(hash: PrfHash, secret: Buffer, seed: Buffer, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let a = seed;
  let written = 0;
  while (written < length) {
    a = createHmac(hash, secret).update(a).digest();
    const block = createHmac(hash, secret).update(a).update(seed).digest();
    written += block.copy(out, written, 0, Math.min(block.length, length - written));
  }
  return out;
}

/** PRF(secret, label, seed) with the TLS 1.2 construction (RFC 5246 §5). */
export function prf(hash: PrfHash, secret: Buffer, label: string, seed: Buffer, length: number): Buffer {
  return pHash(hash, secret, Buffer.concat([Buffer.from(label, 'latin1'), seed]), length);
}

/** master_secret from the classic derivation (RFC 5246 §8.1). */
export function masterSecret(
  hash: PrfHash,
  preMasterSecret: Buffer,
  clientRandom: Buffer,
  serverRandom: Buffer,
): Buffer {
  return prf(
    hash,
    preMasterSecret,
    'master secret',
    Buffer.concat([clientRandom, serverRandom]),
    MASTER_SECRET_LENGTH,
  );
}

/** master_secret bound to the handshake transcript (RFC 7627 §4). */
export function extendedMasterSecret(hash: PrfHash, preMasterSecret: Buffer, sessionHash: Buffer): Buffer {
  return prf(hash, preMasterSecret, 'extended master secret', sessionHash, MASTER_SECRET_LENGTH);
}

/** key_block (RFC 5246 §6.3): note the seed order, server random first. */
export function keyBlock(
  hash: PrfHash,
  master: Buffer,
  clientRandom: Buffer,
  serverRandom: Buffer,
  length: number,
): Buffer {
  return prf(hash, master, 'key expansion', Buffer.concat([serverRandom, clientRandom]), length);
}

/** Finished verify_data (RFC 5246 §7.4.9) over the handshake transcript. */
export function verifyData(
  hash: PrfHash,
  master: Buffer,
  sender: 'client' | 'server',
  transcript: Buffer,
): Buffer {
  const digest = createHash(hash).update(transcript).digest();
  return prf(hash, master, `${sender} finished`, digest, VERIFY_DATA_LENGTH);
}

/**
 * Keying material exporter (RFC 5705 §4): PRF(master, label, client_random +
 * server_random [+ uint16 context length + context]).
 */
export function exportKeyingMaterial(
  hash: PrfHash,
  master: Buffer,
  label: string,
  clientRandom: Buffer,
  serverRandom: Buffer,
  length: number,
  context?: Buffer,
): Buffer {
  const parts = [clientRandom, serverRandom];
  if (context) {
    const contextLength = Buffer.allocUnsafe(2);
    contextLength.writeUInt16BE(context.length, 0);
    parts.push(contextLength, context);
  }
  return prf(hash, master, label, Buffer.concat(parts), length);
}
