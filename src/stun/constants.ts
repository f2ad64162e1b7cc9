/**
 * STUN wire constants: RFC 8489 (STUN), RFC 8656 (TURN), RFC 6062 (TURN-TCP),
 * RFC 8445 (ICE) and RFC 7635/8016 registries as far as Switchboard uses them.
 */

/** The fixed magic cookie of RFC 8489 §5, in network byte order. */
export const MAGIC_COOKIE = 0x2112a442;
/** Size of the fixed STUN header (RFC 8489 §5). */
export const HEADER_SIZE = 20;
/** Size of a transaction id (96 bits). */
export const TRANSACTION_ID_SIZE = 12;

/** Message classes, already shifted into their bit positions (C1 = 0x100, C0 = 0x010). */
export const MessageClass = {
  Request: 0x000,
  Indication: 0x010,
  SuccessResponse: 0x100,
  ErrorResponse: 0x110,
} as const;
export type MessageClass = (typeof MessageClass)[keyof typeof MessageClass];

/** STUN/TURN methods (12-bit values before interleaving with the class bits). */
export const Method = {
  Binding: 0x001,
  Allocate: 0x003,
  Refresh: 0x004,
  Send: 0x006,
  Data: 0x007,
  CreatePermission: 0x008,
  ChannelBind: 0x009,
  Connect: 0x00a,
  ConnectionBind: 0x00b,
  ConnectionAttempt: 0x00c,
} as const;
export type Method = (typeof Method)[keyof typeof Method];

/** Attribute types (RFC 8489 §18.3, RFC 8656 §18, RFC 6062, RFC 8445 §16.1). */
export const AttributeType = {
  MappedAddress: 0x0001,
  Username: 0x0006,
  MessageIntegrity: 0x0008,
  ErrorCode: 0x0009,
  UnknownAttributes: 0x000a,
  ChannelNumber: 0x000c,
  Lifetime: 0x000d,
  XorPeerAddress: 0x0012,
  Data: 0x0013,
  Realm: 0x0014,
  Nonce: 0x0015,
  XorRelayedAddress: 0x0016,
  RequestedAddressFamily: 0x0017,
  EvenPort: 0x0018,
  RequestedTransport: 0x0019,
  DontFragment: 0x001a,
  MessageIntegritySha256: 0x001c,
  PasswordAlgorithm: 0x001d,
  Userhash: 0x001e,
  XorMappedAddress: 0x0020,
  ReservationToken: 0x0022,
  Priority: 0x0024,
  UseCandidate: 0x0025,
  ConnectionId: 0x002a,
  // Comprehension-optional range (0x8000-0xFFFF).
  AdditionalAddressFamily: 0x8000,
  AddressErrorCode: 0x8001,
  PasswordAlgorithms: 0x8002,
  AlternateDomain: 0x8003,
  Icmp: 0x8004,
  Software: 0x8022,
  AlternateServer: 0x8023,
  Fingerprint: 0x8028,
  IceControlled: 0x8029,
  IceControlling: 0x802a,
} as const;
export type AttributeType = (typeof AttributeType)[keyof typeof AttributeType];

/** Attribute types below 0x8000 must be understood (RFC 8489 §14). */
export function isComprehensionRequired(type: number): boolean {
  return type < 0x8000;
}

/** Human-readable names, for logs and errors. */
export const attributeNames: ReadonlyMap<number, string> = new Map(
  Object.entries(AttributeType).map(([name, value]) => [value, name]),
);

/** Error codes used by STUN and TURN, with the reason phrases the RFCs suggest. */
export const ErrorCode = {
  TryAlternate: 300,
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  UnknownAttribute: 420,
  AllocationMismatch: 437,
  StaleNonce: 438,
  AddressFamilyNotSupported: 440,
  WrongCredentials: 441,
  UnsupportedTransportProtocol: 442,
  PeerAddressFamilyMismatch: 443,
  ConnectionAlreadyExists: 446,
  ConnectionTimeoutOrFailure: 447,
  AllocationQuotaReached: 486,
  RoleConflict: 487,
  ServerError: 500,
  InsufficientCapacity: 508,
} as const;

/** Reason phrases (RFC 8489 §14.8, RFC 8656 §19, RFC 6062 §6.3). */
export const errorReasons: ReadonlyMap<number, string> = new Map([
  [300, 'Try Alternate'],
  [400, 'Bad Request'],
  [401, 'Unauthenticated'],
  [403, 'Forbidden'],
  [420, 'Unknown Attribute'],
  [437, 'Allocation Mismatch'],
  [438, 'Stale Nonce'],
  [440, 'Address Family not Supported'],
  [441, 'Wrong Credentials'],
  [442, 'Unsupported Transport Protocol'],
  [443, 'Peer Address Family Mismatch'],
  [446, 'Connection Already Exists'],
  [447, 'Connection Timeout or Failure'],
  [486, 'Allocation Quota Reached'],
  [487, 'Role Conflict'],
  [500, 'Server Error'],
  [508, 'Insufficient Capacity'],
]);

/** Address family values in address attributes. */
export const AddressFamily = { IPv4: 0x01, IPv6: 0x02 } as const;
export type AddressFamily = (typeof AddressFamily)[keyof typeof AddressFamily];

/** IANA protocol numbers used by REQUESTED-TRANSPORT. */
export const TransportProtocol = { UDP: 17, TCP: 6 } as const;

/** Password algorithms of RFC 8489 §18.5. */
export const PasswordAlgorithm = { MD5: 0x0001, SHA256: 0x0002 } as const;
export type PasswordAlgorithm = (typeof PasswordAlgorithm)[keyof typeof PasswordAlgorithm];

/** Builds the 14-bit message type from a method and a class (RFC 8489 §5, figure 3). */
export function messageType(method: number, messageClass: number): number {
  return ((method & 0xf80) << 2) | ((method & 0x070) << 1) | (method & 0x00f) | messageClass;
}

/** Splits a 14-bit message type into its method. */
export function methodOf(type: number): number {
  return ((type & 0x3e00) >> 2) | ((type & 0x00e0) >> 1) | (type & 0x000f);
}

/** Splits a 14-bit message type into its class bits. */
export function classOf(type: number): MessageClass {
  return (type & 0x0110) as MessageClass;
}

/** Human-readable method names, for logs. */
export const methodNames: ReadonlyMap<number, string> = new Map(
  Object.entries(Method).map(([name, value]) => [value, name]),
);
