/**
 * Address attributes: MAPPED-ADDRESS and ALTERNATE-SERVER (RFC 8489 §14.1,
 * §14.15) and the XOR family: XOR-MAPPED-ADDRESS, XOR-PEER-ADDRESS,
 * XOR-RELAYED-ADDRESS (RFC 8489 §14.2, RFC 8656 §18.3, §18.5).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |0 0 0 0 0 0 0 0|    Family     |         Port (X-Port)         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                 Address (32 bits or 128 bits)                 |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * In the XOR form the port is XORed with the top 16 bits of the magic
 * cookie, an IPv4 address with the cookie, and an IPv6 address with the
 * cookie followed by the transaction id.
 */
import { formatIp, parseIp, type TransportAddress } from '../util/ip.js';
import { AddressFamily, MAGIC_COOKIE } from './constants.js';

const COOKIE_BYTES = Buffer.from([0x21, 0x12, 0xa4, 0x42]);

/** Decodes a plain address attribute value; undefined when malformed. */
export function decodeAddress(value: Buffer): TransportAddress | undefined {
  return decodeAddressValue(value, undefined);
}

/** Decodes an XOR address attribute value; undefined when malformed. */
export function decodeXorAddress(value: Buffer, transactionId: Buffer): TransportAddress | undefined {
  return decodeAddressValue(value, transactionId);
}

function decodeAddressValue(value: Buffer, transactionId: Buffer | undefined): TransportAddress | undefined {
  if (value.length < 4) return undefined;
  const family = value[1];
  const size = family === AddressFamily.IPv4 ? 4 : family === AddressFamily.IPv6 ? 16 : 0;
  if (size === 0 || value.length !== 4 + size) return undefined;
  let port = value.readUInt16BE(2);
  const bytes = Buffer.allocUnsafe(size);
  value.copy(bytes, 0, 4, 4 + size);
  if (transactionId) {
    port ^= MAGIC_COOKIE >>> 16;
    for (let i = 0; i < size; i++) bytes[i] ^= i < 4 ? COOKIE_BYTES[i] : transactionId[i - 4];
  }
  return { family: size === 4 ? 4 : 6, address: formatIp(bytes), port };
}

/** Size of an encoded address attribute value. */
export function addressSize(address: TransportAddress): number {
  return address.family === 4 ? 8 : 20;
}

/**
 * Writes an address attribute value at offset; with a transaction id, the XOR
 * form. Returns the number of bytes written. Throws on an invalid address
 * (programmer error).
 */
export function encodeAddressTo(
  buf: Buffer,
  offset: number,
  address: TransportAddress,
  transactionId?: Buffer,
): number {
  const bytes = parseIp(address.address);
  if (!bytes) throw new TypeError(`not an IP address: ${address.address}`);
  // A family that disagrees with the text would make addressSize() wrong and overrun the reserved space.
  if (bytes.length !== (address.family === 4 ? 4 : 16)) {
    throw new TypeError(`${address.address} is not an IPv${address.family} address`);
  }
  // The XOR form would otherwise silently keep only the low 16 bits of an out-of-range port.
  if (!Number.isInteger(address.port) || address.port < 0 || address.port > 0xffff) {
    throw new RangeError(`bad port ${address.port}`);
  }
  buf[offset] = 0;
  buf[offset + 1] = bytes.length === 4 ? AddressFamily.IPv4 : AddressFamily.IPv6;
  buf.writeUInt16BE(
    transactionId ? (address.port ^ (MAGIC_COOKIE >>> 16)) & 0xffff : address.port,
    offset + 2,
  );
  for (let i = 0; i < bytes.length; i++) {
    const mask = transactionId ? (i < 4 ? COOKIE_BYTES[i] : transactionId[i - 4]) : 0;
    buf[offset + 4 + i] = bytes[i] ^ mask;
  }
  return 4 + bytes.length;
}
