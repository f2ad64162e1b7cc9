/**
 * Certificate message (RFC 5246 §7.4.2, §7.4.6).
 *
 *   opaque ASN.1Cert<1..2^24-1>;
 *   struct { ASN.1Cert certificate_list<0..2^24-1>; } Certificate;
 *
 * The sender's own certificate comes first.
 */
import { type DtlsResult, decodeFailure, ok } from './errors.js';
import { ByteReader, withLength } from './reader.js';

/** Decodes a Certificate body into DER views, leaf first. Never throws. */
export function decodeCertificate(body: Buffer): DtlsResult<Buffer[]> {
  const reader = new ByteReader(body);
  const list = reader.vector24();
  if (reader.failed || reader.remaining !== 0) return decodeFailure('certificate', 'bad certificate_list');
  const certs: Buffer[] = [];
  const inner = new ByteReader(list);
  while (inner.remaining > 0) {
    const der = inner.vector24();
    if (inner.failed || der.length === 0) return decodeFailure('certificate', 'bad ASN.1Cert');
    certs.push(der);
  }
  return ok(certs);
}

/** Encodes a Certificate body. */
export function encodeCertificate(certificates: readonly Buffer[]): Buffer {
  return withLength(3, Buffer.concat(certificates.map((der) => withLength(3, der))));
}
