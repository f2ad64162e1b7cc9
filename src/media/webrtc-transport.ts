/**
 * A WebRTC transport on the server: ICE-lite on the worker's shared UDP
 * socket (and passive ICE-TCP port), DTLS 1.2 for the keys, SRTP/SRTCP for
 * the media. What comes out is decrypted RTP and RTCP; what goes in is plain
 * RTP and RTCP that leaves encrypted on the selected ICE path.
 *
 *   datagram → ICE mux (ufrag, then address) → RFC 7983 demux
 *     STUN → IceLiteAgent (checks, nomination, consent)
 *     DTLS → DtlsEndpoint (handshake, alerts; keys for SRTP)
 *     RTP/RTCP → SrtpSession (remote keys) → 'rtp' / 'rtcp' events
 *
 * The layers below know nothing of each other; this class wires them, and
 * owns their lifetimes: closing it closes the DTLS session (close_notify) and
 * the ICE agent (its ufrag and addresses leave the muxes).
 */

import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { type DtlsCertificate, DtlsEndpoint, type DtlsFingerprint } from '../dtls/index.js';
import {
  type IceCandidate,
  IceLiteAgent,
  type IceLiteState,
  type IceParameters,
  type IceTcpMux,
  type IceTuple,
  type IceUdpMux,
} from '../ice/index.js';
import { type DataChannel, DataChannelManager, SctpAssociation } from '../sctp/index.js';
import { SrtpError, type SrtpProfileName, SrtpSession, srtpProfileByName } from '../srtp/index.js';

/** Which end of the DTLS handshake this transport plays (RFC 5763 §5: `a=setup`). */
export type DtlsRole = 'client' | 'server';

/** The DTLS half of the transport's state. */
export type DtlsState = 'new' | 'connecting' | 'connected' | 'closed' | 'failed';

/** A certificate for DTLS with its SDP fingerprint. */
export interface TransportCertificate extends DtlsCertificate {
  /** SHA-256 of the DER, uppercase colon-separated hex (RFC 8122 §5). */
  fingerprintSha256: string;
}

/** How to build a transport. */
export interface WebRtcTransportOptions {
  /** Shared UDP sockets of the worker; at least one of `udp` or `tcp`. */
  udp?: IceUdpMux[];
  /** Shared passive ICE-TCP listeners of the worker. */
  tcp?: IceTcpMux[];
  /** The worker's DTLS certificate. */
  certificate: TransportCertificate;
  /** SRTP profiles offered or accepted, preferred first. Default: AEAD-AES-128-GCM, then AES-CM-HMAC-SHA1-80. */
  srtpProfiles?: SrtpProfileName[];
  /** Close after this long without a valid ICE check (RFC 7675 consent). Default 30 s. */
  consentTimeoutMs?: number;
  /** Fail when DTLS has not connected this long after it started. Default 30 s. */
  dtlsTimeoutMs?: number;
  /** Largest datagram DTLS builds. Default 1200. */
  mtu?: number;
  /** Carry WebRTC data channels (SCTP over DTLS, RFC 8261) once DTLS connects; off by default. */
  dataChannels?: DataChannelTransportOptions;
}

/** The SCTP side of a transport, from the SDP's m=application section. */
export interface DataChannelTransportOptions {
  /** Our a=sctp-port. Default 5000. */
  localPort?: number;
  /** The peer's a=sctp-port. Default 5000. */
  remotePort?: number;
  /** Largest message we accept (our a=max-message-size). Default 256 KiB. */
  maxMessageSize?: number;
  /** The peer's a=max-message-size (0: unlimited; 64 KiB when absent, RFC 8841 §6.1); larger sends fail. */
  remoteMaxMessageSize?: number;
}

/** The remote end's SCTP parameters, from its m=application section; they override the `dataChannels` option's. */
export interface RemoteSctpParameters {
  /** Its a=sctp-port. */
  port?: number;
  /** Its a=max-message-size (0: unlimited). */
  maxMessageSize?: number;
}

/** The remote end's DTLS parameters, from its SDP. */
export interface RemoteDtlsParameters {
  /** Our role: `client` when the remote said `a=setup:passive`, `server` for `active`. */
  role: DtlsRole;
  /** The remote certificate's fingerprints (`a=fingerprint`); the certificate must match one. */
  fingerprints: DtlsFingerprint[];
}

/** Counters of one transport, read by stats and metrics. */
export interface WebRtcTransportStats {
  rtpPacketsReceived: number;
  rtpBytesReceived: number;
  rtcpPacketsReceived: number;
  rtpPacketsSent: number;
  rtpBytesSent: number;
  rtcpPacketsSent: number;
  /** SRTP/SRTCP packets that failed authentication, replay or parsing. */
  srtpErrors: number;
  /** Media that arrived before the keys, or could not be sent (no path, not connected). */
  packetsDropped: number;
}

/** Why a transport closed. */
export interface TransportCloseReason {
  /** `local` (close() called), `ice` (consent lost), `dtls` (handshake failed or peer closed). */
  cause: 'local' | 'ice' | 'dtls';
  /** Detail for logs. */
  message: string;
}

/** Events of a {@link WebRtcTransport}. */
export interface WebRtcTransportEvents {
  /** A decrypted RTP packet; the buffer is reused after the listeners return, so copy to keep it. */
  rtp: [packet: Buffer];
  /** A decrypted RTCP compound packet; same lifetime rule as `rtp`. */
  rtcp: [packet: Buffer];
  icestatechange: [state: IceLiteState];
  /** The ICE path media is sent on changed (nomination, or the peer moved). */
  iceselectedtuplechange: [tuple: IceTuple];
  dtlsstatechange: [state: DtlsState];
  /** Keys are in place: media can flow both ways. */
  connected: [];
  /** The peer opened a data channel (only with the `dataChannels` option). */
  datachannel: [channel: DataChannel];
  close: [reason: TransportCloseReason];
}

/** Scratch buffer size for decrypted packets: the largest UDP payload. */
const MAX_PACKET_SIZE = 65_536;
/** Room SRTP adds to a packet: the 16-byte GCM tag or 10-byte HMAC, plus 4 bytes of SRTCP index. */
const SRTP_OVERHEAD = 32;

/** ICE-lite + DTLS + SRTP for one remote peer, on shared sockets. */
export class WebRtcTransport extends EventEmitter<WebRtcTransportEvents> {
  /** Unique id. */
  readonly id = randomUUID();
  readonly #options: WebRtcTransportOptions;
  readonly #ice: IceLiteAgent;
  #dtls: DtlsEndpoint | undefined;
  #dtlsState: DtlsState = 'new';
  #remoteDtls: RemoteDtlsParameters | undefined;
  /** The path the last DTLS or SRTP packet came by: where to answer until the peer nominates one. */
  #lastTuple: IceTuple | undefined;
  #inbound: SrtpSession | undefined;
  #outbound: SrtpSession | undefined;
  #srtpProfile: SrtpProfileName | undefined;
  #closed = false;
  #sctp: SctpAssociation | undefined;
  #dataChannels: DataChannelManager | undefined;
  readonly #receiveBuffer = Buffer.allocUnsafe(MAX_PACKET_SIZE);
  /** Live counters. */
  readonly stats: WebRtcTransportStats = {
    rtpPacketsReceived: 0,
    rtpBytesReceived: 0,
    rtcpPacketsReceived: 0,
    rtpPacketsSent: 0,
    rtpBytesSent: 0,
    rtcpPacketsSent: 0,
    srtpErrors: 0,
    packetsDropped: 0,
  };

  constructor(options: WebRtcTransportOptions) {
    super();
    if (!options.udp?.length && !options.tcp?.length) {
      throw new TypeError('a WebRTC transport needs at least one UDP or TCP mux');
    }
    this.#options = options;
    this.#ice = new IceLiteAgent({
      udp: options.udp,
      tcp: options.tcp,
      consentTimeoutMs: options.consentTimeoutMs,
    });
    this.#ice.on('statechange', (state) => this.#onIceState(state));
    this.#ice.on('selectedtuple', (tuple) => {
      this.emit('iceselectedtuplechange', tuple);
      this.#maybeStartDtls();
    });
    this.#ice.on('packet', (data, kind, tuple) => this.#onPacket(data, kind, tuple));
  }

  /** Our ICE username fragment and password, for the SDP answer. */
  get iceParameters(): IceParameters {
    return this.#ice.localParameters;
  }

  /** Our host candidates (UDP and TCP passive), for the SDP answer. */
  get iceCandidates(): readonly IceCandidate[] {
    return this.#ice.localCandidates;
  }

  /** The same candidates as `a=candidate` values. */
  get iceCandidateLines(): string[] {
    return this.#ice.localCandidateLines;
  }

  /** The current ICE state. */
  get iceState(): IceLiteState {
    return this.#ice.state;
  }

  /** The path media is sent on, once the peer nominated one. */
  get iceSelectedTuple(): IceTuple | undefined {
    return this.#ice.selectedTuple;
  }

  /** Our certificate's fingerprint, for `a=fingerprint`. */
  get localFingerprint(): DtlsFingerprint {
    return { algorithm: 'sha-256', value: this.#options.certificate.fingerprintSha256 };
  }

  /** The DTLS state. */
  get dtlsState(): DtlsState {
    return this.#dtlsState;
  }

  /** The SRTP profile DTLS negotiated, once connected. */
  get srtpProfile(): SrtpProfileName | undefined {
    return this.#srtpProfile;
  }

  /**
   * The data channels, from connect() on when the `dataChannels` option is
   * set: channels created before SCTP is up open once it is.
   */
  get dataChannels(): DataChannelManager | undefined {
    return this.#dataChannels;
  }

  /** The SCTP association under the data channels, when enabled. */
  get sctpAssociation(): SctpAssociation | undefined {
    return this.#sctp;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Gives the transport the remote end's ICE and DTLS parameters (from its
   * SDP). The DTLS client starts its handshake as soon as ICE has a path;
   * the server waits for the peer's ClientHello.
   */
  connect(remote: { ice?: IceParameters; dtls: RemoteDtlsParameters; sctp?: RemoteSctpParameters }): void {
    if (this.#closed) throw new Error('transport closed');
    if (this.#remoteDtls) throw new Error('connect() was already called');
    if (remote.ice) this.#ice.setRemoteParameters(remote.ice);
    this.#remoteDtls = remote.dtls;
    const dtls = new DtlsEndpoint({
      role: remote.dtls.role,
      certificate: this.#options.certificate,
      remoteFingerprints: remote.dtls.fingerprints,
      srtpProfiles: this.#options.srtpProfiles,
      mtu: this.#options.mtu,
      handshakeTimeoutMs: this.#options.dtlsTimeoutMs,
      send: (datagram) => {
        // Before nomination, the DTLS server answers on the path the ClientHello came by.
        this.#transmit(datagram);
      },
    });
    this.#dtls = dtls;
    if (this.#options.dataChannels) {
      const sctp = remote.sctp;
      this.#setUpDataChannels(dtls, remote.dtls.role, {
        ...this.#options.dataChannels,
        ...(sctp?.port === undefined ? {} : { remotePort: sctp.port }),
        ...(sctp?.maxMessageSize === undefined ? {} : { remoteMaxMessageSize: sctp.maxMessageSize }),
      });
    }
    dtls.on('connected', () => this.#onDtlsConnected());
    dtls.on('close', (reason) => {
      if (this.#dtlsState !== 'failed') this.#setDtlsState(dtls.state === 'failed' ? 'failed' : 'closed');
      this.#closeWith({ cause: 'dtls', message: reason.reason });
    });
    this.#setDtlsState('connecting');
    // The server arms its handshake timer now and answers whichever path the
    // ClientHello comes by; the client speaks first once ICE has a path.
    if (remote.dtls.role === 'server') dtls.start();
    else this.#maybeStartDtls();
  }

  /**
   * ICE restart (RFC 8445 §9): new local credentials for the next SDP answer,
   * on the same transport; DTLS and SRTP carry on over the path the checks
   * with the new credentials select.
   */
  restartIce(remote?: IceParameters): IceParameters {
    const parameters = this.#ice.restart();
    if (remote) this.#ice.setRemoteParameters(remote);
    return parameters;
  }

  /** Encrypts and sends one RTP packet on the selected path; false when it could not be sent. */
  sendRtp(packet: Uint8Array): boolean {
    if (!this.#protectAndSend(packet, false)) return false;
    this.stats.rtpPacketsSent++;
    this.stats.rtpBytesSent += packet.length;
    return true;
  }

  /** Encrypts and sends one RTCP compound packet; false when it could not be sent. */
  sendRtcp(packet: Uint8Array): boolean {
    if (!this.#protectAndSend(packet, true)) return false;
    this.stats.rtcpPacketsSent++;
    return true;
  }

  /** SRTP or SRTCP protection, then the path; counts what it could not send. */
  #protectAndSend(packet: Uint8Array, rtcp: boolean): boolean {
    const outbound = this.#outbound;
    if (!outbound) {
      this.stats.packetsDropped++;
      return false;
    }
    // A fresh buffer per datagram (from Node's pool): a send the kernel cannot take at once
    // stays queued in libuv holding this memory, so it must not be reused for the next packet.
    const output = Buffer.allocUnsafe(packet.length + SRTP_OVERHEAD);
    const protectedPacket = rtcp
      ? outbound.protectRtcpTo(packet, output)
      : outbound.protectRtpTo(packet, output);
    if (protectedPacket instanceof SrtpError) {
      this.stats.srtpErrors++;
      return false;
    }
    if (!this.#transmit(protectedPacket)) {
      this.stats.packetsDropped++;
      return false;
    }
    return true;
  }

  /**
   * Sends on the nominated path, or before nomination on the validated path
   * the peer last used (as an ICE-lite agent may, RFC 8445 §2.5): a browser
   * can finish DTLS before it nominates, and media must not wait for that.
   */
  #transmit(datagram: Buffer): boolean {
    if (this.#ice.send(datagram)) return true;
    const fallback = this.#lastTuple;
    return fallback !== undefined && !this.#ice.selectedTuple && this.#ice.sendTo(datagram, fallback);
  }

  /** Closes DTLS (close_notify) and ICE; idempotent. */
  close(): void {
    this.#closeWith({ cause: 'local', message: 'closed' });
  }

  /**
   * SCTP over DTLS application data (RFC 8261). Both ends start the
   * handshake once DTLS connects (the association handles INITs that cross);
   * stream ids follow the DTLS role (RFC 8832 §6).
   */
  #setUpDataChannels(dtls: DtlsEndpoint, role: DtlsRole, options: DataChannelTransportOptions): void {
    const association = new SctpAssociation({
      localPort: options.localPort ?? 5000,
      remotePort: options.remotePort ?? 5000,
      maxMessageSize: options.maxMessageSize,
      send: (packet) => {
        dtls.send(packet);
      },
    });
    const manager = new DataChannelManager(association, {
      role,
      remoteMaxMessageSize: options.remoteMaxMessageSize,
    });
    manager.on('datachannel', (channel) => this.emit('datachannel', channel));
    dtls.on('data', (data) => association.handlePacket(data));
    dtls.on('connected', () => {
      if (association.state === 'new') association.connect();
    });
    this.#sctp = association;
    this.#dataChannels = manager;
  }

  #closeWith(reason: TransportCloseReason): void {
    if (this.#closed) return;
    this.#closed = true;
    // ABORT goes out while DTLS can still carry it; the channels close with it.
    this.#sctp?.abort();
    this.#dataChannels?.close();
    this.#dtls?.close();
    if (this.#dtlsState !== 'failed') this.#setDtlsState('closed');
    this.#ice.close();
    this.#inbound = undefined;
    this.#outbound = undefined;
    this.#lastTuple = undefined;
    this.emit('close', reason);
  }

  #maybeStartDtls(): void {
    if (this.#dtls?.state === 'new' && this.#ice.selectedTuple) this.#dtls.start();
  }

  #onIceState(state: IceLiteState): void {
    this.emit('icestatechange', state);
    // 'disconnected' may recover (a late consent check); 'closed' is final.
    if (state === 'closed') this.#closeWith({ cause: 'ice', message: 'ICE consent expired' });
  }

  #onDtlsConnected(): void {
    const dtls = this.#dtls;
    if (!dtls) return;
    const keys = dtls.srtpKeys();
    const profile = srtpProfileByName(keys.profile);
    if (!profile) {
      this.#closeWith({ cause: 'dtls', message: `unsupported SRTP profile ${keys.profile}` });
      return;
    }
    this.#srtpProfile = keys.profile;
    this.#outbound = new SrtpSession({
      profile,
      masterKey: keys.localMasterKey,
      masterSalt: keys.localMasterSalt,
    });
    this.#inbound = new SrtpSession({
      profile,
      masterKey: keys.remoteMasterKey,
      masterSalt: keys.remoteMasterSalt,
    });
    this.#setDtlsState('connected');
    this.emit('connected');
  }

  #setDtlsState(state: DtlsState): void {
    if (this.#dtlsState === state) return;
    this.#dtlsState = state;
    this.emit('dtlsstatechange', state);
  }

  #onPacket(data: Buffer, kind: 'dtls' | 'rtp' | 'rtcp', tuple: IceTuple): void {
    if (kind === 'dtls') {
      if (this.#dtls) {
        this.#lastTuple = tuple;
        this.#dtls.handleDatagram(data);
      } else this.stats.packetsDropped++;
      return;
    }
    this.#lastTuple = tuple;
    const inbound = this.#inbound;
    if (!inbound) {
      this.stats.packetsDropped++;
      return;
    }
    if (kind === 'rtp') {
      const packet = inbound.unprotectRtpTo(data, this.#receiveBuffer);
      if (packet instanceof SrtpError) {
        this.stats.srtpErrors++;
        return;
      }
      this.stats.rtpPacketsReceived++;
      this.stats.rtpBytesReceived += packet.length;
      this.emit('rtp', packet);
      return;
    }
    const packet = inbound.unprotectRtcpTo(data, this.#receiveBuffer);
    if (packet instanceof SrtpError) {
      this.stats.srtpErrors++;
      return;
    }
    this.stats.rtcpPacketsReceived++;
    this.emit('rtcp', packet);
  }
}
