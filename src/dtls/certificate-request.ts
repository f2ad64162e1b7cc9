/**
 * CertificateRequest (RFC 5246 §7.4.4).
 *
 *   struct {
 *     ClientCertificateType certificate_types<1..2^8-1>;
 *     SignatureAndHashAlgorithm supported_signature_algorithms<2^16-1>;
 *     DistinguishedName certificate_authorities<0..2^16-1>;
 *   } CertificateRequest;
 */
import { type DtlsResult, decodeFailure, ok } from './errors.js';
import { ByteReader, decodeU16List, encodeU16List, withLength } from './reader.js';

/** A decoded CertificateRequest; the authorities list is kept raw (a WebRTC peer sends none). */
export interface CertificateRequest {
  certificateTypes: number[];
  signatureSchemes: number[];
  certificateAuthorities: Buffer;
}

/** Decodes a CertificateRequest body. Never throws. */
export function decodeCertificateRequest(body: Buffer): DtlsResult<CertificateRequest> {
  const reader = new ByteReader(body);
  const types = reader.vector8();
  const schemes = decodeU16List(reader.vector16());
  const certificateAuthorities = reader.vector16();
  if (reader.failed || reader.remaining !== 0 || !schemes || types.length === 0) {
    return decodeFailure('certificate-request', 'malformed CertificateRequest');
  }
  return ok({ certificateTypes: [...types], signatureSchemes: schemes, certificateAuthorities });
}

/** Encodes a CertificateRequest body with no certificate authorities. */
export function encodeCertificateRequest(certificateTypes: number[], signatureSchemes: number[]): Buffer {
  return Buffer.concat([
    withLength(1, Buffer.from(certificateTypes)),
    encodeU16List(signatureSchemes),
    Buffer.from([0, 0]),
  ]);
}
