import { describe, expect, it } from 'vitest';
import { ContentType, ProtocolVersion } from './constants.js';
import { decodeRecord, decodeRecords, encodeRecord, isDtlsRecord, RECORD_HEADER_SIZE } from './record.js';

describe('DTLS record header', () => {
  it('encodes the RFC 6347 §4.1 layout and decodes it back', () => {
    const record = encodeRecord(ContentType.handshake, 1, 0x0102030405, Buffer.from('abc'));
    expect(record.subarray(0, RECORD_HEADER_SIZE).toString('hex')).toBe(
      '16fefd' + '0001' + '000102030405' + '0003',
    );
    const decoded = decodeRecord(record);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.value.record).toMatchObject({
      contentType: ContentType.handshake,
      version: ProtocolVersion.dtls12,
      epoch: 1,
      sequenceNumber: 0x0102030405,
    });
    expect(decoded.value.record.fragment.toString()).toBe('abc');
    expect(decoded.value.next).toBe(record.length);
  });

  it('keeps 48-bit sequence numbers exact', () => {
    const seq = 2 ** 48 - 1;
    const decoded = decodeRecord(encodeRecord(ContentType.applicationData, 65535, seq, Buffer.alloc(0)));
    expect(decoded.ok && decoded.value.record.sequenceNumber).toBe(seq);
    expect(decoded.ok && decoded.value.record.epoch).toBe(65535);
  });

  it('returns views, not copies', () => {
    const record = encodeRecord(ContentType.applicationData, 0, 0, Buffer.from('xyz'));
    const decoded = decodeRecord(record);
    if (!decoded.ok) throw decoded.error;
    record[RECORD_HEADER_SIZE] = 0x41;
    expect(decoded.value.record.fragment.toString()).toBe('Ayz');
  });

  it('walks several records in one datagram', () => {
    const datagram = Buffer.concat([
      encodeRecord(ContentType.handshake, 0, 1, Buffer.from('one')),
      encodeRecord(ContentType.changeCipherSpec, 0, 2, Buffer.from([1])),
      encodeRecord(ContentType.handshake, 1, 0, Buffer.from('three')),
    ]);
    const { records, error } = decodeRecords(datagram);
    expect(error).toBeUndefined();
    expect(records.map((record) => [record.contentType, record.epoch, record.sequenceNumber])).toEqual([
      [22, 0, 1],
      [20, 0, 2],
      [22, 1, 0],
    ]);
  });

  it('keeps the records before a malformed one and reports the rest', () => {
    const good = encodeRecord(ContentType.handshake, 0, 1, Buffer.from('one'));
    const truncated = encodeRecord(ContentType.handshake, 0, 2, Buffer.from('two')).subarray(0, 15);
    const { records, error } = decodeRecords(Buffer.concat([good, truncated]));
    expect(records).toHaveLength(1);
    expect(error?.code).toBe('ERR_DTLS_BAD_RECORD');
  });

  it('refuses short headers, unknown content types and non-DTLS versions', () => {
    expect(decodeRecord(Buffer.alloc(12)).ok).toBe(false);
    const bad = encodeRecord(ContentType.handshake, 0, 0, Buffer.alloc(1));
    bad[0] = 99;
    expect(decodeRecord(bad).ok).toBe(false);
    const tls = encodeRecord(ContentType.handshake, 0, 0, Buffer.alloc(1));
    tls.writeUInt16BE(0x0303, 1);
    expect(decodeRecord(tls).ok).toBe(false);
  });

  it('isDtlsRecord follows the RFC 7983 first-byte range and checks the header', () => {
    expect(isDtlsRecord(encodeRecord(ContentType.handshake, 0, 0, Buffer.alloc(4)))).toBe(true);
    expect(
      isDtlsRecord(encodeRecord(ContentType.handshake, 0, 0, Buffer.alloc(4), ProtocolVersion.dtls10)),
    ).toBe(true);
    // STUN (0..3), RTP/RTCP (128..191) and a record that claims more than the datagram holds.
    const stun = Buffer.alloc(20);
    expect(isDtlsRecord(stun)).toBe(false);
    const rtp = Buffer.alloc(20);
    rtp[0] = 0x80;
    expect(isDtlsRecord(rtp)).toBe(false);
    expect(isDtlsRecord(encodeRecord(ContentType.handshake, 0, 0, Buffer.alloc(4)).subarray(0, 15))).toBe(
      false,
    );
    expect(isDtlsRecord(Buffer.alloc(5, 22))).toBe(false);
  });
});
