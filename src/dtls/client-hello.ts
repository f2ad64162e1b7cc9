/**
 * ClientHello (RFC 6347 §4.2.1, RFC 5246 §7.4.1.2).
 *
 *   struct {
 *     ProtocolVersion client_version;
 *     Random random;                                    // 32 bytes
 *     SessionID session_id;                             // <0..32>
 *     opaque cookie<0..2^8-1>;                          // DTLS only
 *     CipherSuite cipher_suites<2..2^16-2>;
 *     CompressionMethod compression_methods<1..2^8-1>;
 *     Extension extensions<0..2^16-1>;                  // optional
 *   } ClientHello;
 */
import { RANDOM_LENGTH } from './constants.js';
import { type DtlsResult, decodeFailure, ok } from './errors.js';
import { decodeExtensions, encodeExtensions, type HelloExtensions } from './extensions.js';
import { ByteReader, decodeU16List, encodeU16List, withLength } from './reader.js';

/** A ClientHello; buffers are views into the message body. */
export interface ClientHello {
  clientVersion: number;
  random: Buffer;
  sessionId: Buffer;
  cookie: Buffer;
  cipherSuites: number[];
  compressionMethods: Buffer;
  extensions: HelloExtensions;
  /** The raw extensions block (without its length), for the cookie MAC. */
  extensionsRaw: Buffer;
  /** The raw cipher suite list, for the cookie MAC. */
  cipherSuitesRaw: Buffer;
}

/** Decodes a ClientHello body. Never throws. */
export function decodeClientHello(body: Buffer): DtlsResult<ClientHello> {
  const reader = new ByteReader(body);
  const clientVersion = reader.u16();
  const random = reader.bytes(RANDOM_LENGTH);
  const sessionId = reader.vector8();
  const cookie = reader.vector8();
  const cipherSuitesRaw = reader.vector16();
  const compressionMethods = reader.vector8();
  if (reader.failed) return decodeFailure('client-hello', 'truncated ClientHello');
  if (sessionId.length > 32) return decodeFailure('client-hello', 'session_id longer than 32 bytes');
  const cipherSuites = decodeU16List(cipherSuitesRaw);
  if (!cipherSuites || cipherSuites.length === 0) return decodeFailure('client-hello', 'bad cipher_suites');
  if (compressionMethods.length === 0) return decodeFailure('client-hello', 'empty compression_methods');
  let extensionsRaw: Buffer = Buffer.alloc(0);
  let extensions: HelloExtensions = {};
  if (reader.remaining > 0) {
    extensionsRaw = reader.vector16();
    if (reader.failed || reader.remaining !== 0) return decodeFailure('client-hello', 'bad extensions block');
    const decoded = decodeExtensions(extensionsRaw);
    if (!decoded.ok) return decoded;
    extensions = decoded.value;
  }
  return ok({
    clientVersion,
    random,
    sessionId,
    cookie,
    cipherSuites,
    compressionMethods,
    extensions,
    extensionsRaw,
    cipherSuitesRaw,
  });
}

/** What a ClientHello is built from. */
export interface ClientHelloFields {
  clientVersion: number;
  random: Buffer;
  sessionId?: Buffer;
  cookie: Buffer;
  cipherSuites: number[];
  extensions: HelloExtensions;
}

/** Encodes a ClientHello body (null compression only). */
export function encodeClientHello(fields: ClientHelloFields): Buffer {
  const version = Buffer.allocUnsafe(2);
  version.writeUInt16BE(fields.clientVersion, 0);
  return Buffer.concat([
    version,
    fields.random,
    withLength(1, fields.sessionId ?? Buffer.alloc(0)),
    withLength(1, fields.cookie),
    encodeU16List(fields.cipherSuites),
    Buffer.from([1, 0]),
    encodeExtensions(fields.extensions),
  ]);
}
