/**
 * CRC32c (Castagnoli, polynomial 0x1EDC6F41, reflected 0x82F63B78), the SCTP
 * checksum (RFC 9260 §6.8 and Appendix A). Table-driven, one byte per step:
 * SCTP packets are at most an MTU long, so the 256-entry table is plenty.
 */

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** Initial register value of CRC32c. */
export const CRC32C_INITIAL = 0xffffffff;

/**
 * Feeds buf[start, end) into a running CRC32c register and returns the new
 * register; finish with `crc32cFinal`. Lets a caller checksum discontiguous
 * bytes without copying them.
 */
export function crc32cUpdate(register: number, buf: Uint8Array, start = 0, end = buf.length): number {
  let crc = register;
  for (let i = start; i < end; i++) crc = TABLE[(crc ^ buf[i]) & 0xff] ^ (crc >>> 8);
  return crc >>> 0;
}

/** Turns a running register into the CRC32c value. */
export function crc32cFinal(register: number): number {
  return (register ^ 0xffffffff) >>> 0;
}

/** CRC32c of buf[start, end), as an unsigned 32-bit number. */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length): number {
  return crc32cFinal(crc32cUpdate(CRC32C_INITIAL, buf, start, end));
}
