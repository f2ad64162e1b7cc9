/**
 * DTLS record header (RFC 6347 §4.1).
 *
 *   struct {
 *        ContentType type;                  // 1 byte
 *        ProtocolVersion version;           // 2 bytes, 0xFEFD for DTLS 1.2
 *        uint16 epoch;
 *        uint48 sequence_number;
 *        uint16 length;
 *        opaque fragment[DTLSPlaintext.length];
 *   } DTLSPlaintext;
 *
 * A datagram may carry several records back to back (§4.1.1).
 */
import { ContentType, ProtocolVersion } from './constants.js';
import { DtlsError, type DtlsResult, ok } from './errors.js';

/** Size of the record header. */
export const RECORD_HEADER_SIZE = 13;

/** Largest plaintext fragment a record may carry (RFC 5246 §6.2.1). */
export const MAX_PLAINTEXT_LENGTH = 16384;

/** Largest protected fragment: plaintext plus 2048 bytes of expansion (RFC 5246 §6.2.3). */
export const MAX_CIPHERTEXT_LENGTH = MAX_PLAINTEXT_LENGTH + 2048;

/** Largest sequence number: 2^48 - 1. */
export const MAX_SEQUENCE_NUMBER = 2 ** 48 - 1;

/** One record; `fragment` is a view into the datagram, valid as long as it is. */
export interface DtlsRecord {
  contentType: number;
  version: number;
  epoch: number;
  sequenceNumber: number;
  fragment: Buffer;
}

function recordError(message: string): DtlsResult<never> {
  return { ok: false, error: new DtlsError('ERR_DTLS_BAD_RECORD', 'record', message, 50) };
}

/** True for the content types DTLS 1.2 defines. */
function isKnownContentType(type: number): boolean {
  return type >= ContentType.changeCipherSpec && type <= ContentType.applicationData;
}

/**
 * Decodes the record starting at `offset`. Returns the record and the offset
 * just past it. Never throws.
 */
export function decodeRecord(buf: Buffer, offset = 0): DtlsResult<{ record: DtlsRecord; next: number }> {
  if (buf.length - offset < RECORD_HEADER_SIZE) {
    return {
      ok: false,
      error: new DtlsError('ERR_DTLS_TOO_SHORT', 'record', 'shorter than a record header', 50),
    };
  }
  const contentType = buf[offset];
  if (!isKnownContentType(contentType)) return recordError(`unknown content type ${contentType}`);
  const version = buf.readUInt16BE(offset + 1);
  if (buf[offset + 1] !== 0xfe) return recordError(`version 0x${version.toString(16)} is not DTLS`);
  const epoch = buf.readUInt16BE(offset + 3);
  const sequenceNumber = buf.readUIntBE(offset + 5, 6);
  const length = buf.readUInt16BE(offset + 11);
  if (length > MAX_CIPHERTEXT_LENGTH) return recordError(`length ${length} exceeds 2^14 + 2048`);
  const start = offset + RECORD_HEADER_SIZE;
  if (start + length > buf.length) return recordError(`length ${length} runs past the datagram`);
  return ok({
    record: {
      contentType,
      version,
      epoch,
      sequenceNumber,
      fragment: buf.subarray(start, start + length),
    },
    next: start + length,
  });
}

/**
 * Decodes every record of a datagram. A malformed record ends the walk: the
 * records before it are returned, and `error` says why the rest was dropped.
 */
export function decodeRecords(datagram: Buffer): { records: DtlsRecord[]; error: DtlsError | undefined } {
  const records: DtlsRecord[] = [];
  let offset = 0;
  while (offset < datagram.length) {
    const result = decodeRecord(datagram, offset);
    if (!result.ok) return { records, error: result.error };
    records.push(result.value.record);
    offset = result.value.next;
  }
  return { records, error: undefined };
}

/** Writes a record header at `offset`; returns the offset past it. */
export function encodeRecordHeaderTo(
  buf: Buffer,
  offset: number,
  contentType: number,
  version: number,
  epoch: number,
  sequenceNumber: number,
  length: number,
): number {
  buf[offset] = contentType;
  buf.writeUInt16BE(version, offset + 1);
  buf.writeUInt16BE(epoch, offset + 3);
  buf.writeUIntBE(sequenceNumber, offset + 5, 6);
  buf.writeUInt16BE(length, offset + 11);
  return offset + RECORD_HEADER_SIZE;
}

/** Size of a record carrying `fragmentLength` bytes. */
export function recordSize(fragmentLength: number): number {
  return RECORD_HEADER_SIZE + fragmentLength;
}

/** Encodes a whole record with its (already protected) fragment. */
export function encodeRecord(
  contentType: number,
  epoch: number,
  sequenceNumber: number,
  fragment: Buffer,
  version: number = ProtocolVersion.dtls12,
): Buffer {
  const out = Buffer.allocUnsafe(recordSize(fragment.length));
  const at = encodeRecordHeaderTo(out, 0, contentType, version, epoch, sequenceNumber, fragment.length);
  fragment.copy(out, at);
  return out;
}

/**
 * True when a datagram looks like DTLS: the first byte is in 20..63 (the DTLS
 * range of the RFC 7983 §7 demultiplexing table) and the first record header
 * is plausible (known content type, a DTLS version, a length that fits).
 */
export function isDtlsRecord(buf: Buffer): boolean {
  if (buf.length < RECORD_HEADER_SIZE) return false;
  const first = buf[0];
  if (first < 20 || first > 63) return false;
  if (!isKnownContentType(first)) return false;
  const version = buf.readUInt16BE(1);
  if (version !== ProtocolVersion.dtls12 && version !== ProtocolVersion.dtls10) return false;
  return RECORD_HEADER_SIZE + buf.readUInt16BE(11) <= buf.length;
}
