/**
 * IP address helpers shared by the STUN codec (address attributes) and the
 * TURN server (peer filtering): parse to bytes, format from bytes, CIDR match.
 * No DNS, no allocation beyond the returned buffers.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** A transport address as the protocol layers see it. */
export interface TransportAddress {
  /** 4 or 6. */
  family: 4 | 6;
  /** Textual address, canonical form (IPv6 compressed, lower case, no zone). */
  address: string;
  port: number;
}

/** Parses an IPv4 or IPv6 literal into 4 or 16 bytes, or returns undefined. */
export function parseIp(text: string): Buffer | undefined {
  const zone = text.indexOf('%');
  if (zone !== -1) {
    // Only IPv6 literals carry a zone (RFC 4007 §11); "1.2.3.4%eth0" is not an address.
    text = text.slice(0, zone);
    if (!isIPv6(text)) return undefined;
  }
  if (isIPv4(text)) {
    const out = Buffer.allocUnsafe(4);
    const parts = text.split('.');
    for (let i = 0; i < 4; i++) out[i] = Number(parts[i]);
    return out;
  }
  if (!isIPv6(text)) return undefined;
  const out = Buffer.alloc(16);
  // Embedded IPv4 tail (::ffff:1.2.3.4): convert it to two groups first.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseIp(tail)!;
    text = `${text.slice(0, lastColon + 1)}${v4.readUInt16BE(0).toString(16)}:${v4.readUInt16BE(2).toString(16)}`;
  }
  const halves = text.split('::');
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length > 1 && halves[1] ? halves[1].split(':') : [];
  for (let i = 0; i < head.length; i++) out.writeUInt16BE(Number.parseInt(head[i], 16), i * 2);
  for (let i = 0; i < rest.length; i++)
    out.writeUInt16BE(Number.parseInt(rest[i], 16), 16 - (rest.length - i) * 2);
  return out;
}

/** Formats 4 or 16 address bytes as canonical text (RFC 5952 for IPv6). */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  // IPv4-mapped addresses keep the dotted tail (RFC 5952 §5), as Node reports them on dual-stack sockets.
  if (groups[5] === 0xffff && groups.slice(0, 5).every((group) => group === 0)) {
    return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  }
  // Longest run of two or more zero groups becomes '::' (RFC 5952 §4.2).
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (list: number[]) => list.map((g) => g.toString(16)).join(':');
  if (bestStart === -1) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

/** Returns the canonical text of an address literal, or undefined when it is not one. */
export function canonicalIp(text: string): string | undefined {
  const bytes = parseIp(text);
  return bytes ? formatIp(bytes) : undefined;
}

/** Returns 4, 6, or 0 for text that is not an IP literal. */
export function ipFamily(text: string): 0 | 4 | 6 {
  if (isIPv4(text)) return 4;
  if (isIPv6(text.split('%')[0])) return 6;
  return 0;
}

/** A parsed CIDR block: network bytes and prefix length. */
export interface Cidr {
  network: Buffer;
  prefixLength: number;
  /** The text it was parsed from, for messages. */
  text: string;
}

/** Parses "10.0.0.0/8", "fc00::/7" or a bare address (a /32 or /128). Returns undefined on bad input. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const addressText = slash === -1 ? text : text.slice(0, slash);
  const network = parseIp(addressText);
  if (!network) return undefined;
  const maxPrefix = network.length * 8;
  let prefixLength = maxPrefix;
  if (slash !== -1) {
    const prefixText = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefixText)) return undefined;
    prefixLength = Number(prefixText);
    if (prefixLength > maxPrefix) return undefined;
  }
  return { network, prefixLength, text };
}

/** True when the address bytes fall inside the block (families must match). */
export function cidrContains(cidr: Cidr, address: Uint8Array): boolean {
  if (cidr.network.length !== address.length) return false;
  let bits = cidr.prefixLength;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((cidr.network[i] & mask) !== (address[i] & mask)) return false;
  }
  return true;
}

/** Formats an address and port as "1.2.3.4:5" or "[::1]:5". */
export function formatTransportAddress(address: TransportAddress): string {
  return address.family === 6 ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`;
}

/** Parses "HOST:PORT" or "[V6]:PORT"; returns undefined on bad input. */
export function parseHostPort(text: string): { host: string; port: number } | undefined {
  const match = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:]+):(\d{1,5})$/.exec(text);
  if (!match) return undefined;
  const port = Number(match[2]);
  if (port > 65535) return undefined;
  return { host: match[1], port };
}
