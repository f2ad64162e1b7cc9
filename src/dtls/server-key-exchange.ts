/**
 * ServerKeyExchange for ECDHE (RFC 8422 §5.4, signature per RFC 5246 §7.4.3).
 *
 *   struct {
 *     ECCurveType curve_type;           // named_curve (3)
 *     NamedCurve namedcurve;            // uint16
 *     opaque point <1..2^8-1>;          // the server's ephemeral public key
 *   } ServerECDHParams;
 *   struct {
 *     ServerECDHParams params;
 *     digitally-signed struct { ... } signed_params;  // SignatureAndHashAlgorithm + opaque<0..2^16-1>
 *   } ServerKeyExchange;
 *
 * The signature covers client_random + server_random + params.
 */
import { EC_CURVE_TYPE_NAMED_CURVE } from './constants.js';
import { type DtlsResult, decodeFailure, illegalParameter, ok } from './errors.js';
import { ByteReader, withLength } from './reader.js';

/** A decoded ECDHE ServerKeyExchange; buffers are views into the body. */
export interface ServerKeyExchange {
  namedGroup: number;
  publicKey: Buffer;
  /** The ServerECDHParams bytes, which the signature covers. */
  params: Buffer;
  signatureScheme: number;
  signature: Buffer;
}

/** Decodes an ECDHE ServerKeyExchange body. Never throws. */
export function decodeServerKeyExchange(body: Buffer): DtlsResult<ServerKeyExchange> {
  const reader = new ByteReader(body);
  const curveType = reader.u8();
  const namedGroup = reader.u16();
  const publicKey = reader.vector8();
  const paramsEnd = reader.offset;
  const signatureScheme = reader.u16();
  const signature = reader.vector16();
  if (reader.failed || reader.remaining !== 0) {
    return decodeFailure('server-key-exchange', 'malformed ServerKeyExchange');
  }
  if (curveType !== EC_CURVE_TYPE_NAMED_CURVE) {
    return illegalParameter('server-key-exchange', `curve type ${curveType} is not named_curve`);
  }
  if (publicKey.length === 0) return decodeFailure('server-key-exchange', 'empty point');
  return ok({ namedGroup, publicKey, params: body.subarray(0, paramsEnd), signatureScheme, signature });
}

/** Encodes ServerECDHParams: the part the signature covers. */
export function encodeServerEcdhParams(namedGroup: number, publicKey: Buffer): Buffer {
  const head = Buffer.from([EC_CURVE_TYPE_NAMED_CURVE, namedGroup >> 8, namedGroup & 0xff]);
  return Buffer.concat([head, withLength(1, publicKey)]);
}

/** Encodes a whole ServerKeyExchange from its params and signature. */
export function encodeServerKeyExchange(params: Buffer, signatureScheme: number, signature: Buffer): Buffer {
  const scheme = Buffer.from([signatureScheme >> 8, signatureScheme & 0xff]);
  return Buffer.concat([params, scheme, withLength(2, signature)]);
}
