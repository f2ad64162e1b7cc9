/**
 * ServerHello (RFC 5246 §7.4.1.3).
 *
 *   struct {
 *     ProtocolVersion server_version;
 *     Random random;                          // 32 bytes
 *     SessionID session_id;                   // <0..32>
 *     CipherSuite cipher_suite;
 *     CompressionMethod compression_method;
 *     Extension extensions<0..2^16-1>;        // optional
 *   } ServerHello;
 */
import { RANDOM_LENGTH } from './constants.js';
import { type DtlsResult, decodeFailure, ok } from './errors.js';
import { decodeExtensions, encodeExtensions, type HelloExtensions } from './extensions.js';
import { ByteReader, withLength } from './reader.js';

/** A ServerHello; buffers are views into the message body. */
export interface ServerHello {
  serverVersion: number;
  random: Buffer;
  sessionId: Buffer;
  cipherSuite: number;
  compressionMethod: number;
  extensions: HelloExtensions;
}

/** Decodes a ServerHello body. Never throws. */
export function decodeServerHello(body: Buffer): DtlsResult<ServerHello> {
  const reader = new ByteReader(body);
  const serverVersion = reader.u16();
  const random = reader.bytes(RANDOM_LENGTH);
  const sessionId = reader.vector8();
  const cipherSuite = reader.u16();
  const compressionMethod = reader.u8();
  if (reader.failed) return decodeFailure('server-hello', 'truncated ServerHello');
  if (sessionId.length > 32) return decodeFailure('server-hello', 'session_id longer than 32 bytes');
  let extensions: HelloExtensions = {};
  if (reader.remaining > 0) {
    const block = reader.vector16();
    if (reader.failed || reader.remaining !== 0) return decodeFailure('server-hello', 'bad extensions block');
    const decoded = decodeExtensions(block);
    if (!decoded.ok) return decoded;
    extensions = decoded.value;
  }
  return ok({ serverVersion, random, sessionId, cipherSuite, compressionMethod, extensions });
}

/** Encodes a ServerHello body (null compression). */
export function encodeServerHello(
  fields: Omit<ServerHello, 'compressionMethod' | 'sessionId'> & { sessionId?: Buffer },
): Buffer {
  const head = Buffer.allocUnsafe(2);
  head.writeUInt16BE(fields.serverVersion, 0);
  const tail = Buffer.allocUnsafe(3);
  tail.writeUInt16BE(fields.cipherSuite, 0);
  tail[2] = 0;
  return Buffer.concat([
    head,
    fields.random,
    withLength(1, fields.sessionId ?? Buffer.alloc(0)),
    tail,
    encodeExtensions(fields.extensions),
  ]);
}
