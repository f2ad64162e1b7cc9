/**
 * ClientKeyExchange for ECDHE (RFC 8422 §5.7).
 *
 *   struct { opaque point <1..2^8-1>; } ClientECDiffieHellmanPublic;
 */
import { type DtlsResult, decodeFailure, ok } from './errors.js';
import { ByteReader, withLength } from './reader.js';

/** Decodes the client's ephemeral public key (a view into the body). Never throws. */
export function decodeClientKeyExchange(body: Buffer): DtlsResult<Buffer> {
  const reader = new ByteReader(body);
  const point = reader.vector8();
  if (reader.failed || reader.remaining !== 0 || point.length === 0) {
    return decodeFailure('client-key-exchange', 'malformed ClientKeyExchange');
  }
  return ok(point);
}

/** Encodes a ClientKeyExchange body. */
export function encodeClientKeyExchange(publicKey: Buffer): Buffer {
  return withLength(1, publicKey);
}
