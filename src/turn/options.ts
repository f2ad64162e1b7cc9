/**
 * Options of the TURN server. Plain values only: the server layer maps its
 * configuration schema onto this, the tests build it directly.
 */
import type { TransportAddress } from '../util/ip.js';
import type { Log } from '../util/log.js';
import type { AllocationQuota } from './quota.js';

/** One address the server listens on. */
export interface ListenAddress {
  host: string;
  /** 0 picks a free port; `TurnServer.addresses` reports the bound one. */
  port: number;
}

/** A TLS certificate chain and its private key, PEM. */
export interface TlsCredentials {
  cert: string | Buffer;
  key: string | Buffer;
}

/** Everything the TURN server needs, with defaults noted. */
export interface TurnServerOptions {
  /**
   * Addresses to serve STUN/TURN on over UDP and TCP (the same port for both;
   * the TCP side also takes TLS, told apart by the first byte, when `tls` is set).
   */
  listen: ListenAddress[];
  /** Serve TCP on the `listen` addresses too. Default true. */
  tcp?: boolean;
  /** Addresses to serve TURN over TLS only (e.g. 5349 or 443). Needs `tls`. */
  tlsListen?: ListenAddress[];
  /** Certificate and key for TLS; replace them later with `setTlsCredentials`. */
  tls?: TlsCredentials;
  /** Open TCP/TLS connections allowed per stream listener. Default 10,000. */
  maxStreamConnections?: number;
  /** Relayed bytes per second allowed to one allocation, both directions together; 0 = no cap. */
  allocationBandwidth?: number;
  /** Relayed bytes per second allowed to all allocations of one user; 0 = no cap. */
  userBandwidth?: number;
  /** Relayed bytes per second allowed to the whole server; 0 = no cap. */
  totalBandwidth?: number;
  /** Where draining refers new allocations (300 Try Alternate); without one they get 508. */
  alternateServer?: TransportAddress;
  /** Realm for long-term credentials. */
  realm: string;
  /** Long-term credential users, name → password. */
  users?: Record<string, string>;
  /**
   * TURN REST API shared secrets (coturn's `static-auth-secret`). Several may
   * be active at once for rotation; any of them validates.
   */
  authSecrets?: string[];
  /**
   * Local addresses relay sockets bind to, at most one per family. Default:
   * each listener's address when it is not a wildcard, else the first
   * non-internal interface address of the family, else loopback.
   */
  relayIps?: string[];
  /**
   * Public addresses advertised in XOR-RELAYED-ADDRESS for servers behind a
   * 1:1 NAT: "PUBLIC" (applies to the relay address of the same family) or
   * "PUBLIC/PRIVATE" (applies to that relay address).
   */
  externalIps?: string[];
  /** Lowest relay port. Default 49152. */
  minPort?: number;
  /** Highest relay port. Default 65535. */
  maxPort?: number;
  /** Allow peers on loopback (127/8, ::1). Default false: tests only. */
  allowLoopbackPeers?: boolean;
  /** CIDR blocks peers may be in even though they are special-purpose by default. */
  allowPeers?: string[];
  /** CIDR blocks peers may never be in (checked before allowPeers). */
  denyPeers?: string[];
  /** Maximum allocations per user; 0 = unlimited. Default 0. */
  userQuota?: number;
  /** Maximum allocations on the server; 0 = unlimited. Default 0. */
  totalQuota?: number;
  /** Cap on the allocation lifetime a client may ask for, seconds. Default 3600. */
  maxLifetimeSeconds?: number;
  /** Lifetime granted when the client asks for none, seconds. Default 600. */
  defaultLifetimeSeconds?: number;
  /** How long a nonce stays valid, seconds. Default 600 (coturn's default). */
  nonceLifetimeSeconds?: number;
  /**
   * Unauthenticated answers (Binding responses, 401/438 challenges, other
   * errors before authentication) allowed per source IP and second; 0 turns
   * the limit off. Default 50, with a burst of twice that.
   */
  unauthenticatedRateLimit?: number;
  /** SOFTWARE attribute in responses; empty string to omit. Default "Switchboard". */
  software?: string;
  /** Structured log sink. Default: silent. */
  log?: Log;
  /** Clock, ms since the epoch. Default Date.now; tests pass a fake one. */
  now?: () => number;
  /** Period of the expiry sweep, ms. Default 1000. 0 disables it (tests call `sweep()`). */
  sweepIntervalMs?: number;

  // ---- For a server spread over threads (see threads.ts); a lone server leaves them unset. ----

  /** Shared allocation quotas; default: counted here from userQuota and totalQuota. */
  quota?: AllocationQuota;
  /** Key of the nonces, shared so that any thread validates a nonce another issued. Default: random. */
  nonceKey?: Buffer;
  /** Bind the UDP listeners with SO_REUSEPORT so that several threads share a port (Node ≥ 22.12). */
  reusePort?: boolean;
  /**
   * Drop UDP datagrams until `acceptTraffic()`. Threads that share a port
   * start this way: the kernel reassigns clients to sockets each time one
   * joins the group, so no allocation may be made before the last has.
   */
  startPaused?: boolean;
  /** This server's thread, 0–255: the first byte of its RESERVATION-TOKENs. Default 0. */
  threadIndex?: number;
  /** Claims a RESERVATION-TOKEN another thread issued: that thread frees the port and says which. */
  claimReservation?: (token: Buffer) => Promise<{ family: 4 | 6; host: string; port: number } | undefined>;
}
