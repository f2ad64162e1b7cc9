/**
 * CertificateVerify (RFC 5246 §7.4.8) and the digitally-signed struct it
 * shares with ServerKeyExchange (RFC 5246 §4.7).
 *
 *   struct {
 *     SignatureAndHashAlgorithm algorithm;   // uint16 scheme
 *     opaque signature<0..2^16-1>;
 *   } DigitallySigned;
 *
 * The signature covers every handshake message before this one.
 */
import { type DtlsResult, decodeFailure, ok } from './errors.js';
import { ByteReader, withLength } from './reader.js';

/** A decoded digitally-signed struct; `signature` is a view into the body. */
export interface DigitallySigned {
  signatureScheme: number;
  signature: Buffer;
}

/** Decodes a CertificateVerify body. Never throws. */
export function decodeCertificateVerify(body: Buffer): DtlsResult<DigitallySigned> {
  const reader = new ByteReader(body);
  const signatureScheme = reader.u16();
  const signature = reader.vector16();
  if (reader.failed || reader.remaining !== 0 || signature.length === 0) {
    return decodeFailure('certificate-verify', 'malformed CertificateVerify');
  }
  return ok({ signatureScheme, signature });
}

/** Encodes a CertificateVerify body. */
export function encodeCertificateVerify(signatureScheme: number, signature: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from([signatureScheme >> 8, signatureScheme & 0xff]),
    withLength(2, signature),
  ]);
}
