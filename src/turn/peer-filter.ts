/**
 * Which peer addresses an allocation may relay to. By default every
 * special-purpose range of the IANA IPv4 and IPv6 registries is refused
 * (RFC 6890 and its updates), so that a TURN server cannot be used to reach
 * the operator's internal network, loopback services or multicast groups.
 * Operators open ranges with allow rules; deny rules win over allow rules.
 */
import { type Cidr, cidrContains, parseCidr, parseIp } from '../util/ip.js';
import { TurnError } from './errors.js';

/** Special-purpose blocks refused unless allowed (RFC 6890, RFC 8190 updates). */
export const DEFAULT_DENIED_RANGES: readonly string[] = [
  // IPv4
  '0.0.0.0/8', // "this network"
  '10.0.0.0/8', // RFC 1918
  '100.64.0.0/10', // shared address space (carrier-grade NAT)
  '127.0.0.0/8', // loopback
  '169.254.0.0/16', // link-local
  '172.16.0.0/12', // RFC 1918
  '192.0.0.0/24', // IETF protocol assignments
  '192.0.2.0/24', // TEST-NET-1
  '192.31.196.0/24', // AS112-v4
  '192.52.193.0/24', // AMT
  '192.88.99.0/24', // deprecated 6to4 relay anycast
  '192.168.0.0/16', // RFC 1918
  '192.175.48.0/24', // direct delegation AS112
  '198.18.0.0/15', // benchmarking
  '198.51.100.0/24', // TEST-NET-2
  '203.0.113.0/24', // TEST-NET-3
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved, includes 255.255.255.255 broadcast
  // IPv6 (IPv4-mapped, NAT64 and 6to4 addresses are judged by their embedded IPv4 address)
  '::/128', // unspecified
  '::1/128', // loopback
  '::/96', // deprecated IPv4-compatible (RFC 4291 §2.5.5.1); some stacks tunnel to the embedded IPv4
  '64:ff9b:1::/48', // local-use IPv4/IPv6 translation (RFC 8215): a site's own NAT64
  '100::/64', // discard-only
  '100:0:0:1::/64', // dummy prefix (IANA special-purpose registry)
  '2001::/23', // IETF protocol assignments (Teredo, benchmarking, ORCHID …)
  '2001:db8::/32', // documentation
  '3fff::/20', // documentation
  '5f00::/16', // segment routing SIDs
  'fc00::/7', // unique local
  'fe80::/10', // link-local
  'fec0::/10', // deprecated site-local
  'ff00::/8', // multicast
];

const LOOPBACK_RANGES = ['127.0.0.0/8', '::1/128'];

function parseAll(list: readonly string[], what: string): Cidr[] {
  return list.map((text) => {
    const cidr = parseCidr(text);
    if (!cidr) throw new TurnError('ERR_TURN_INVALID_OPTION', `${what}: "${text}" is not a CIDR block`);
    return cidr;
  });
}

/** Decides whether a peer address may be relayed to. */
export class PeerFilter {
  private readonly denied: Cidr[];
  private readonly allowed: Cidr[];
  private readonly special: Cidr[];

  constructor(
    options: { allowLoopback?: boolean; allow?: readonly string[]; deny?: readonly string[] } = {},
  ) {
    this.denied = parseAll(options.deny ?? [], 'deny-peer');
    this.allowed = parseAll(
      [...(options.allow ?? []), ...(options.allowLoopback ? LOOPBACK_RANGES : [])],
      'allow-peer',
    );
    this.special = parseAll(DEFAULT_DENIED_RANGES, 'built-in range');
  }

  /** True when relaying to the address (text form) is permitted. */
  isAllowed(address: string): boolean {
    const bytes = parseIp(address);
    if (!bytes) return false;
    const embedded = embeddedIpv4(bytes);
    // Deny rules also match the address as written, so that a rule against 2002::/16, 64:ff9b::/96
    // or ::ffff:0:0/96 holds; allow rules and the built-in ranges judge the embedded IPv4 address.
    if (embedded && this.denied.some((cidr) => cidrContains(cidr, bytes))) return false;
    return this.isAllowedBytes(embedded ?? bytes);
  }

  private isAllowedBytes(bytes: Buffer): boolean {
    for (const cidr of this.denied) if (cidrContains(cidr, bytes)) return false;
    for (const cidr of this.allowed) if (cidrContains(cidr, bytes)) return true;
    for (const cidr of this.special) if (cidrContains(cidr, bytes)) return false;
    return true;
  }
}

/**
 * The IPv4 address inside an IPv4-mapped (::ffff:0:0/96), NAT64 well-known
 * (64:ff9b::/96) or 6to4 (2002::/16) address, so that those forms cannot be
 * used to reach a refused IPv4 range.
 */
function embeddedIpv4(bytes: Buffer): Buffer | undefined {
  if (bytes.length !== 16) return undefined;
  const zeroTo = (end: number) => bytes.subarray(0, end).every((b) => b === 0);
  if (zeroTo(10) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.subarray(12, 16);
  if (bytes.readUInt32BE(0) === 0x0064ff9b && bytes.readUInt32BE(4) === 0 && bytes.readUInt32BE(8) === 0) {
    return bytes.subarray(12, 16);
  }
  if (bytes.readUInt16BE(0) === 0x2002) return bytes.subarray(2, 6);
  return undefined;
}
