/**
 * One TURN allocation (RFC 8656 §2.2): the client's 5-tuple, its relayed
 * transport addresses (one per address family, RFC 8656 dual allocation),
 * permissions by peer IP and channel bindings by number and by peer.
 * Timers are expiry timestamps checked on use and pruned by the server's
 * sweep, so that a fake clock can drive them.
 */
import type { Socket as TcpSocket } from 'node:net';
import type { TransportAddress } from '../util/ip.js';
import type { ByteRateLimiter } from './bandwidth.js';
import type { BoundServer, BoundSocket } from './port-pool.js';

/** Lifetime of a permission (RFC 8656 §9). */
export const PERMISSION_LIFETIME_MS = 300_000;
/** Lifetime of a channel binding (RFC 8656 §12). */
export const CHANNEL_LIFETIME_MS = 600_000;

/** A relayed transport address and the socket behind it. */
export interface Relay {
  family: 4 | 6;
  /** Local address the socket is bound to. */
  host: string;
  /** Address advertised in XOR-RELAYED-ADDRESS (the external IP behind 1:1 NAT, else host). */
  advertisedHost: string;
  bound: BoundSocket;
}

/** The listening relay of an RFC 6062 TCP allocation. */
export interface TcpRelay {
  family: 4 | 6;
  host: string;
  advertisedHost: string;
  bound: BoundServer;
}

/**
 * A TCP connection between the relay and a peer (RFC 6062 §5.2, §5.3), from a
 * Connect request or accepted on the relayed address, and its state: waiting
 * for the client's ConnectionBind (peer data buffered), then bound to a client
 * data connection.
 */
export interface PeerConnection {
  /** CONNECTION-ID. */
  id: number;
  allocation: Allocation;
  peer: TransportAddress;
  /** "ip:port" of the peer. */
  peerKey: string;
  socket: TcpSocket;
  state: 'connecting' | 'waiting' | 'bound';
  /** Peer data received before the ConnectionBind, sent once it binds. */
  buffered: Buffer[];
  bufferedBytes: number;
  /** Closes the connection when no ConnectionBind arrives in time. */
  bindTimer: NodeJS.Timeout | undefined;
  /** The client data connection once bound. */
  client: TcpSocket | undefined;
}

/** How the server reaches the client of an allocation. */
export interface ClientPath {
  readonly protocol: 'udp' | 'tcp' | 'tls';
  /** Client address as seen on the socket ("::ffff:" forms included). */
  readonly address: string;
  readonly port: number;
  /** Key of the 5-tuple in its table; the nonce is bound to `nonceKey`. */
  readonly key: string;
  readonly nonceKey: string;
  /** True on TCP and TLS: ChannelData is padded and the allocation lives as long as the connection. */
  readonly stream: boolean;
  /** Sends one STUN or ChannelData message; false when it was dropped (a stream's buffer is full). */
  send(data: Buffer): boolean;
}

/** Where allocations of one client path are kept: a UDP listener's map, or a stream connection's. */
export interface AllocationTable {
  /** Allocations by client path key. */
  readonly allocations: Map<string, Allocation>;
  /** Allocate requests being served (binding ports is asynchronous): path key → transaction id. */
  readonly pending: Map<string, string>;
}

/** A channel binding. */
export interface Channel {
  number: number;
  peer: TransportAddress;
  /** "ip:port" of the peer, canonical text. */
  peerKey: string;
  expiresAt: number;
}

/** State of one allocation; the server owns it and mutates it. */
export class Allocation {
  /** Client transport address as seen on the socket. */
  readonly clientAddress: string;
  readonly clientPort: number;
  /** USERNAME that created it; later requests must use the same (441 otherwise). */
  readonly username: string;
  /** Key that quotas count against. */
  readonly quotaKey: string;
  readonly relays: Relay[];
  /** Expiry of the allocation, ms since the epoch. */
  expiresAt: number;
  /** Peer IP (canonical text) → expiry, ms. */
  readonly permissions = new Map<string, number>();
  readonly channelsByNumber = new Map<number, Channel>();
  readonly channelsByPeer = new Map<string, Channel>();
  /** How the server reaches the client; set by the server when it stores the allocation. */
  path!: ClientPath;
  /** The table that holds the allocation. */
  table!: AllocationTable;
  /** The listening relay of a TCP allocation (RFC 6062); its `relays` is then empty. */
  tcpRelay: TcpRelay | undefined;
  /** Peer TCP connections of a TCP allocation, by peer "ip:port". */
  readonly peerConnections = new Map<string, PeerConnection>();
  /** Bandwidth limiters that relayed bytes are charged to (allocation, user, server), when capped. */
  limiters: ByteRateLimiter[] = [];
  /** Transaction id (hex) and response of the Allocate that created it, for retransmissions. */
  allocateTransaction = '';
  allocateResponse: Buffer | undefined;
  closed = false;

  constructor(init: {
    clientAddress: string;
    clientPort: number;
    username: string;
    quotaKey: string;
    relays: Relay[];
    expiresAt: number;
  }) {
    this.clientAddress = init.clientAddress;
    this.clientPort = init.clientPort;
    this.username = init.username;
    this.quotaKey = init.quotaKey;
    this.relays = init.relays;
    this.expiresAt = init.expiresAt;
  }

  /** The relay of the family, if the allocation has one. */
  relayFor(family: 4 | 6): Relay | undefined {
    for (const relay of this.relays) if (relay.family === family) return relay;
    return undefined;
  }

  /** True when a permission for the peer IP exists and has not expired. */
  hasPermission(peerIp: string, now: number): boolean {
    const expiresAt = this.permissions.get(peerIp);
    return expiresAt !== undefined && expiresAt > now;
  }

  /** Installs or refreshes a permission. */
  permit(peerIp: string, now: number): void {
    this.permissions.set(peerIp, now + PERMISSION_LIFETIME_MS);
  }

  /** Binds or refreshes a channel; the caller has checked the rebinding rules. */
  bindChannel(number: number, peer: TransportAddress, peerKey: string, now: number): void {
    const existing = this.channelsByNumber.get(number);
    if (existing) {
      existing.expiresAt = now + CHANNEL_LIFETIME_MS;
      return;
    }
    const channel: Channel = { number, peer, peerKey, expiresAt: now + CHANNEL_LIFETIME_MS };
    this.channelsByNumber.set(number, channel);
    this.channelsByPeer.set(peerKey, channel);
  }

  /** Drops expired permissions and channels; returns how many of each went. */
  prune(now: number): { permissions: number; channels: number } {
    let permissions = 0;
    let channels = 0;
    for (const [ip, expiresAt] of this.permissions) {
      if (expiresAt <= now) {
        this.permissions.delete(ip);
        permissions++;
      }
    }
    for (const [number, channel] of this.channelsByNumber) {
      if (channel.expiresAt <= now) {
        this.channelsByNumber.delete(number);
        this.channelsByPeer.delete(channel.peerKey);
        channels++;
      }
    }
    return { permissions, channels };
  }
}
