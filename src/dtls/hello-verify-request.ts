/**
 * HelloVerifyRequest (RFC 6347 §4.2.1).
 *
 *   struct {
 *     ProtocolVersion server_version;
 *     opaque cookie<0..2^8-1>;
 *   } HelloVerifyRequest;
 *
 * RFC 6347 §4.2.1 has DTLS 1.2 servers put 1.0 (0xFEFF) in server_version.
 */
import { type DtlsResult, decodeFailure, ok } from './errors.js';
import { ByteReader, withLength } from './reader.js';

/** Largest cookie DTLS 1.2 allows (RFC 6347 §4.2.1: opaque cookie<0..2^8-1>, with 32 recommended as ample). */
export const MAX_COOKIE_LENGTH = 255;

/** A HelloVerifyRequest; `cookie` is a view into the body. */
export interface HelloVerifyRequest {
  serverVersion: number;
  cookie: Buffer;
}

/** Decodes a HelloVerifyRequest body. Never throws. */
export function decodeHelloVerifyRequest(body: Buffer): DtlsResult<HelloVerifyRequest> {
  const reader = new ByteReader(body);
  const serverVersion = reader.u16();
  const cookie = reader.vector8();
  if (reader.failed || reader.remaining !== 0) {
    return decodeFailure('hello-verify-request', 'malformed HelloVerifyRequest');
  }
  return ok({ serverVersion, cookie });
}

/** Encodes a HelloVerifyRequest body. */
export function encodeHelloVerifyRequest(serverVersion: number, cookie: Buffer): Buffer {
  const version = Buffer.allocUnsafe(2);
  version.writeUInt16BE(serverVersion, 0);
  return Buffer.concat([version, withLength(1, cookie)]);
}
