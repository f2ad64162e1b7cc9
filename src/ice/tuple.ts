/**
 * The contract between the muxes (one shared UDP socket, one shared TCP
 * port) and the agents they route to.
 *
 * A tuple is one path to a peer: a UDP (local socket, remote address) pair,
 * or one ICE-TCP connection. A mux hands an agent the tuple of every check it
 * routes; once the agent has validated a check on it, it `bind`s the tuple,
 * and the mux routes the tuple's other packets to that agent.
 */
import type { StunMessage } from '../stun/index.js';
import type { TransportAddress } from '../util/ip.js';
import type { MediaPacketKind } from './demux.js';

/** One path between a local socket and a peer. */
export interface IceTuple {
  readonly protocol: 'udp' | 'tcp';
  /** The bound local address of the socket or connection. */
  readonly local: TransportAddress;
  /** The peer's address as seen by the socket. */
  readonly remote: TransportAddress;
  /** Unique among live tuples: "udp 127.0.0.1:7882 198.51.100.4:50000" or "tcp#12 …". */
  readonly key: string;
  /** The mux the tuple belongs to. */
  readonly mux: IceMux;
  /**
   * Sends one packet. False when it was dropped (socket closed, TCP write
   * buffer full, over 65535 bytes on TCP). The buffer must not change until
   * the socket has sent it, as with `dgram.send`.
   */
  send(data: Buffer): boolean;
}

/** What a mux calls on the agent a packet is for. */
export interface IceMuxListener {
  /**
   * A decoded STUN Binding request whose USERNAME names one of the agent's
   * ufrags, or that came on a tuple bound to it. The message is a view into
   * the received bytes, valid during the call.
   */
  onBindingRequest(message: StunMessage, tuple: IceTuple): void;
  /** A DTLS, RTP or RTCP packet on a tuple bound to the agent (a view, valid during the call). */
  onPacket(data: Buffer, kind: MediaPacketKind, tuple: IceTuple): void;
  /** The tuple is gone: its TCP connection closed, its address taken by another agent, or the mux closed. */
  onTupleClosed(tuple: IceTuple): void;
}

/** What an agent needs of a mux, UDP or TCP. */
export interface IceMux {
  readonly protocol: 'udp' | 'tcp';
  /** The bound address (actual port when 0 was asked for). */
  readonly localAddress: TransportAddress;
  /** The address to advertise in candidates (the public address behind 1:1 NAT), or the bound one. */
  readonly announcedAddress: string;
  /** Routes Binding requests for the ufrag to the listener. Throws ERR_ICE_UFRAG_IN_USE if another has it. */
  registerUsernameFragment(usernameFragment: string, listener: IceMuxListener): void;
  /** Stops routing the ufrag, if it is the listener's. */
  unregisterUsernameFragment(usernameFragment: string, listener: IceMuxListener): void;
  /** Routes the tuple's packets to the listener (after a valid check on it). */
  bind(tuple: IceTuple, listener: IceMuxListener): void;
  /** Stops routing the tuple's packets to the listener; a TCP connection is closed. */
  unbind(tuple: IceTuple, listener: IceMuxListener): void;
}

/** Key of a remote address in a UDP mux's route map: "ip:port" (the port follows the last colon). */
export function remoteKey(address: string, port: number): string {
  return `${address}:${port}`;
}

/** The part of a Binding request's USERNAME before the colon: the receiver's ufrag (RFC 8445 §7.2.2). */
export function localUfragOf(username: Buffer): string {
  const colon = username.indexOf(0x3a);
  return username.toString('utf8', 0, colon === -1 ? username.length : colon);
}
