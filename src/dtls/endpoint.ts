/**
 * A DTLS 1.2 endpoint (RFC 6347) with DTLS-SRTP key export (RFC 5764):
 * record layer, flights and retransmission, and the client or server
 * handshake. Transport-agnostic: datagrams come in through
 * `handleDatagram` and go out through the `send` callback.
 */
import { EventEmitter } from 'node:events';
import type { SrtpProfileName } from '../srtp/profile.js';
import { srtpProfileByName } from '../srtp/profile.js';
import { AlertDescription, AlertLevel, alertName, decodeAlert, encodeAlert } from './alert.js';
import type { RecordCipher, RecordKeys } from './cipher.js';
import { CIPHER_SUITES, type CipherSuite, type CipherSuiteName, cipherSuiteByName } from './cipher-suite.js';
import { ClientHandshake } from './client-handshake.js';
import { ContentType, HandshakeType, ProtocolVersion, SrtpProtectionProfileId } from './constants.js';
import { CookieJar } from './cookie.js';
import { DtlsError } from './errors.js';
import type { DtlsFingerprint } from './fingerprint.js';
import { DatagramPacker, type FlightMessage, packFlight, type RecordWriter } from './flight.js';
import type { DtlsCertificate, Handshake, HandshakeHost } from './handshake.js';
import { decodeHandshakeFragments, encodeHandshakeFragment } from './handshake-header.js';
import { exportKeyingMaterial } from './prf.js';
import { HandshakeReassembler } from './reassembler.js';
import {
  type DtlsRecord,
  decodeRecords,
  encodeRecord,
  MAX_SEQUENCE_NUMBER,
  RECORD_HEADER_SIZE,
} from './record.js';
import { DtlsReplayWindow } from './replay-window.js';
import { NODE_TIMERS, RetransmitTimer, type TimerFunctions } from './retransmit.js';
import { ServerHandshake } from './server-handshake.js';

/** Options of a DtlsEndpoint. */
export interface DtlsEndpointOptions {
  role: 'client' | 'server';
  certificate: DtlsCertificate;
  /** When given, the peer certificate must match one of these, else the handshake fails with bad_certificate. */
  remoteFingerprints?: DtlsFingerprint[];
  /** DTLS-SRTP profiles in preference order; [] offers no use_srtp. Default AEAD_AES_128_GCM, then AES128_CM_HMAC_SHA1_80. */
  srtpProfiles?: SrtpProfileName[];
  /** Cipher suites in preference order. Default: all three, AES-128-GCM first. */
  cipherSuites?: CipherSuiteName[];
  /** Sends one UDP datagram. */
  send: (datagram: Buffer) => void;
  /** Largest datagram sent, bytes. Default 1200. */
  mtu?: number;
  /** Server: answer ClientHellos with a HelloVerifyRequest first (RFC 6347 §4.2.1). Default true. */
  requireCookie?: boolean;
  /** Secret for the cookie HMAC; default a random one per endpoint. */
  cookieSecret?: Buffer;
  /** First retransmission timeout, ms (RFC 6347 §4.2.4.1). Default 1000, doubling up to 60 s. */
  initialRetransmitMs?: number;
  /** Give up on the handshake after this long, ms. Default 30 000. */
  handshakeTimeoutMs?: number;
  /**
   * Clock, ms. Accepted for symmetry with the other layers; the endpoint reads
   * no clock itself, all its timing goes through setTimer.
   */
  now?: () => number;
  /** Timer function, for tests. Default setTimeout (unref'd). */
  setTimer?: (callback: () => void, ms: number) => unknown;
  /** Cancels what setTimer returned. Default clearTimeout. */
  clearTimer?: (handle: unknown) => void;
}

/** Connection states. */
export type DtlsState = 'new' | 'connecting' | 'connected' | 'closed' | 'failed';

/** Why an endpoint closed. */
export interface DtlsCloseInfo {
  /** Human-readable reason. */
  reason: string;
  /** The alert sent (remote false) or received (remote true), when there was one. */
  alert?: number;
  /** True when the peer ended the connection. */
  remote: boolean;
}

/** Events of a DtlsEndpoint. Failures are not 'error' events: they close with state 'failed'. */
export interface DtlsEndpointEvents {
  connected: [];
  data: [data: Buffer];
  close: [info: DtlsCloseInfo];
}

/** Counters, for metrics and tests. */
export interface DtlsStats {
  datagramsReceived: number;
  datagramsSent: number;
  recordsReceived: number;
  recordsSent: number;
  /** Records discarded for any reason (malformed, replayed, undecryptable, wrong epoch or state). */
  recordsDropped: number;
  /** Of those, the ones that failed authentication. */
  recordsUndecryptable: number;
  /** Of those, the ones the replay window refused. */
  recordsReplayed: number;
  /** Flights sent again, on timer or because the peer repeated its flight. */
  retransmissions: number;
  /** HelloVerifyRequests sent (server) or received (client). */
  helloVerifyRequests: number;
  /** Listener or internal errors swallowed at the boundary. */
  internalErrors: number;
}

/** The SRTP master keys and salts of both directions (RFC 5764 §4.2). */
export interface DtlsSrtpKeys {
  profile: SrtpProfileName;
  localMasterKey: Buffer;
  localMasterSalt: Buffer;
  remoteMasterKey: Buffer;
  remoteMasterSalt: Buffer;
}

const DEFAULT_MTU = 1200;
/** Smallest MTU taken: a record header, AEAD overhead, a handshake header and a little payload. */
const MIN_MTU = 64;
const DEFAULT_RETRANSMIT_MS = 1000;
const DEFAULT_HANDSHAKE_TIMEOUT_MS = 30_000;
const DEFAULT_SRTP_PROFILES: SrtpProfileName[] = ['SRTP_AEAD_AES_128_GCM', 'SRTP_AES128_CM_HMAC_SHA1_80'];
/** Records of the next epoch held until the ChangeCipherSpec that opens it arrives. */
const MAX_EARLY_RECORDS = 16;
/** RFC 5764 §4.2 exporter label. */
const SRTP_EXPORTER_LABEL = 'EXTRACTOR-dtls_srtp';
/** RFC 5705 §4: labels reserved by TLS itself cannot be used to export. */
const RESERVED_LABELS = ['client finished', 'server finished', 'master secret', 'key expansion'];

interface ReadState {
  epoch: number;
  cipher: RecordCipher | undefined;
  window: DtlsReplayWindow;
}

interface WriteState {
  cipher: RecordCipher | undefined;
  nextSequenceNumber: number;
}

function profileId(name: SrtpProfileName): number {
  return SrtpProtectionProfileId[name];
}

function profileName(id: number): SrtpProfileName | undefined {
  for (const [name, value] of Object.entries(SrtpProtectionProfileId)) {
    if (value === id) return name as SrtpProfileName;
  }
  return undefined;
}

/** A DTLS client or server for one peer. */
export class DtlsEndpoint extends EventEmitter<DtlsEndpointEvents> {
  readonly #options: DtlsEndpointOptions;
  readonly #role: 'client' | 'server';
  readonly #mtu: number;
  readonly #timers: TimerFunctions;
  readonly #handshakeTimeoutMs: number;
  readonly #handshake: Handshake;
  readonly #reassembler = new HandshakeReassembler();
  readonly #retransmit: RetransmitTimer;
  #state: DtlsState = 'new';
  #handshakeTimer: unknown;

  #read: ReadState = { epoch: 0, cipher: undefined, window: new DtlsReplayWindow() };
  #previousRead: ReadState | undefined;
  #pendingRead: RecordCipher | undefined;
  readonly #write: WriteState[] = [{ cipher: undefined, nextSequenceNumber: 0 }];
  #writeEpoch = 0;
  #earlyRecords: DtlsRecord[] = [];

  #lastFlight: FlightMessage[] | undefined;
  #peerFlightStart = -1;
  #srtpProfile: SrtpProfileName | undefined;
  #remoteCertificate: Buffer | undefined;

  /** Counters. */
  readonly stats: DtlsStats = {
    datagramsReceived: 0,
    datagramsSent: 0,
    recordsReceived: 0,
    recordsSent: 0,
    recordsDropped: 0,
    recordsUndecryptable: 0,
    recordsReplayed: 0,
    retransmissions: 0,
    helloVerifyRequests: 0,
    internalErrors: 0,
  };

  /** Creates an endpoint; nothing is sent before start(). Throws a DtlsError on unusable options. */
  constructor(options: DtlsEndpointOptions) {
    super();
    this.#options = options;
    this.#role = options.role;
    this.#mtu = options.mtu ?? DEFAULT_MTU;
    if (!Number.isInteger(this.#mtu) || this.#mtu < MIN_MTU || this.#mtu > 65507) {
      throw new DtlsError(
        'ERR_DTLS_INVALID_ARGUMENT',
        'endpoint',
        `mtu must be an integer in ${MIN_MTU}..65507`,
      );
    }
    if (options.role !== 'client' && options.role !== 'server') {
      throw new DtlsError('ERR_DTLS_INVALID_ARGUMENT', 'endpoint', 'role must be client or server');
    }
    this.#timers = {
      setTimer: options.setTimer ?? NODE_TIMERS.setTimer,
      clearTimer: options.clearTimer ?? NODE_TIMERS.clearTimer,
    };
    this.#handshakeTimeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    const srtpProfiles = options.srtpProfiles ?? DEFAULT_SRTP_PROFILES;
    for (const name of srtpProfiles) {
      if (!srtpProfileByName(name)) {
        throw new DtlsError('ERR_DTLS_INVALID_ARGUMENT', 'endpoint', `unknown SRTP profile ${name}`);
      }
    }
    const cipherSuites: CipherSuite[] = [];
    for (const name of options.cipherSuites ?? CIPHER_SUITES.map((suite) => suite.name)) {
      const suite = cipherSuiteByName(name);
      if (!suite)
        throw new DtlsError('ERR_DTLS_INVALID_ARGUMENT', 'endpoint', `unknown cipher suite ${name}`);
      cipherSuites.push(suite);
    }
    if (cipherSuites.length === 0) {
      throw new DtlsError('ERR_DTLS_INVALID_ARGUMENT', 'endpoint', 'at least one cipher suite is needed');
    }
    const config = {
      certificate: options.certificate,
      remoteFingerprints: options.remoteFingerprints,
      srtpProfiles: srtpProfiles.map(profileId),
      cipherSuites,
      requireCookie: options.requireCookie ?? true,
      cookies: new CookieJar(options.cookieSecret),
    };
    const host = this.#host();
    this.#handshake =
      options.role === 'client' ? new ClientHandshake(host, config) : new ServerHandshake(host, config);
    this.#retransmit = new RetransmitTimer(
      options.initialRetransmitMs ?? DEFAULT_RETRANSMIT_MS,
      this.#timers,
      () => this.#onRetransmitTimer(),
    );
  }

  /** The connection state. */
  get state(): DtlsState {
    return this.#state;
  }

  /** This endpoint's role. */
  get role(): 'client' | 'server' {
    return this.#role;
  }

  /** The negotiated DTLS-SRTP profile, once connected (undefined when use_srtp was not negotiated). */
  get srtpProfile(): SrtpProfileName | undefined {
    return this.#srtpProfile;
  }

  /** The peer certificate (DER), once connected. */
  get remoteCertificate(): Buffer | undefined {
    return this.#remoteCertificate;
  }

  /** The negotiated cipher suite, once connected. */
  get cipherSuite(): CipherSuiteName | undefined {
    return this.#handshake.negotiated()?.suite.name;
  }

  /** Starts the handshake: a client sends its ClientHello, a server waits for one. */
  start(): void {
    if (this.#state !== 'new') return;
    this.#state = 'connecting';
    this.#handshakeTimer = this.#timers.setTimer(() => {
      this.#handshakeTimer = undefined;
      if (this.#state === 'connecting')
        this.#fail(undefined, `handshake timed out after ${this.#handshakeTimeoutMs} ms`);
    }, this.#handshakeTimeoutMs);
    if (this.#handshake instanceof ClientHandshake) this.#handshake.start();
  }

  /** Takes one received datagram. Never throws: what cannot be used is dropped and counted. */
  handleDatagram(datagram: Buffer): void {
    try {
      this.stats.datagramsReceived++;
      if (this.#state !== 'connecting' && this.#state !== 'connected') {
        this.stats.recordsDropped++;
        return;
      }
      const { records, error } = decodeRecords(datagram);
      if (error) this.stats.recordsDropped++;
      for (const record of records) {
        if (this.#state !== 'connecting' && this.#state !== 'connected') break;
        this.#handleRecord(record);
      }
    } catch {
      // The last line of defence: a bug must not take the socket handler down.
      this.stats.internalErrors++;
    }
  }

  /** Sends application data; false when not connected. Data larger than one record's room spans several records. */
  send(data: Buffer): boolean {
    if (this.#state !== 'connected') return false;
    const room = this.#mtu - RECORD_HEADER_SIZE - this.#overhead(this.#writeEpoch);
    // The usual case, an SCTP packet sized to the MTU: one record, one datagram.
    if (data.length <= room) {
      this.#output(this.#record(this.#writeEpoch, ContentType.applicationData, data));
      return true;
    }
    const packer = new DatagramPacker(this.#mtu);
    let offset = 0;
    do {
      const chunk = data.subarray(offset, offset + room);
      packer.add(this.#record(this.#writeEpoch, ContentType.applicationData, chunk));
      offset += room;
    } while (offset < data.length);
    for (const datagram of packer.finish()) this.#output(datagram);
    return true;
  }

  /** Sends close_notify (once), stops the timers and closes. Idempotent. */
  close(): void {
    if (this.#state === 'closed' || this.#state === 'failed') return;
    const wasActive = this.#state !== 'new';
    this.#state = 'closed';
    if (wasActive) this.#sendAlert(AlertLevel.warning, AlertDescription.closeNotify);
    this.#stopTimers();
    this.#emit('close', { reason: 'closed locally', alert: AlertDescription.closeNotify, remote: false });
  }

  /**
   * Exports keying material (RFC 5705 §4) from the master secret.
   * Throws a DtlsError when not connected or for a reserved label.
   */
  exportKeyingMaterial(label: string, length: number, context?: Buffer): Buffer {
    const negotiated = this.#handshake.negotiated();
    if (this.#state !== 'connected' || !negotiated) {
      throw new DtlsError('ERR_DTLS_NOT_CONNECTED', 'endpoint', 'keying material needs a connected endpoint');
    }
    if (RESERVED_LABELS.includes(label)) {
      throw new DtlsError('ERR_DTLS_INVALID_ARGUMENT', 'endpoint', `label "${label}" is reserved`);
    }
    if (!Number.isInteger(length) || length <= 0 || length > 65535) {
      throw new DtlsError('ERR_DTLS_INVALID_ARGUMENT', 'endpoint', 'length must be an integer in 1..65535');
    }
    if (context && context.length > 65535) {
      throw new DtlsError('ERR_DTLS_INVALID_ARGUMENT', 'endpoint', 'context longer than 65535 bytes');
    }
    return exportKeyingMaterial(
      negotiated.suite.prfHash,
      negotiated.masterSecret,
      label,
      negotiated.clientRandom,
      negotiated.serverRandom,
      length,
      context,
    );
  }

  /**
   * SRTP master keys and salts (RFC 5764 §4.2): the exporter output is
   * client key, server key, client salt, server salt. 'local' is this side's
   * sending direction. Throws a DtlsError when not connected or without SRTP.
   */
  srtpKeys(): DtlsSrtpKeys {
    const profile = this.#srtpProfile;
    if (this.#state !== 'connected') {
      throw new DtlsError('ERR_DTLS_NOT_CONNECTED', 'endpoint', 'SRTP keys need a connected endpoint');
    }
    if (!profile) throw new DtlsError('ERR_DTLS_NO_SRTP', 'endpoint', 'use_srtp was not negotiated');
    const { keyLength, saltLength } = srtpProfileByName(profile)!;
    const material = this.exportKeyingMaterial(SRTP_EXPORTER_LABEL, 2 * (keyLength + saltLength));
    const clientKey = material.subarray(0, keyLength);
    const serverKey = material.subarray(keyLength, 2 * keyLength);
    const clientSalt = material.subarray(2 * keyLength, 2 * keyLength + saltLength);
    const serverSalt = material.subarray(2 * keyLength + saltLength, 2 * (keyLength + saltLength));
    const client = this.#role === 'client';
    return {
      profile,
      localMasterKey: client ? clientKey : serverKey,
      localMasterSalt: client ? clientSalt : serverSalt,
      remoteMasterKey: client ? serverKey : clientKey,
      remoteMasterSalt: client ? serverSalt : clientSalt,
    };
  }

  // ---- record layer ----

  #handleRecord(record: DtlsRecord): void {
    this.stats.recordsReceived++;
    // RFC 6347 §4.1: 1.0 is tolerated in epoch 0, where a peer may not yet know the version.
    if (
      record.version !== ProtocolVersion.dtls12 &&
      !(record.epoch === 0 && record.version === ProtocolVersion.dtls10)
    ) {
      this.stats.recordsDropped++;
      return;
    }
    let read: ReadState | undefined;
    if (record.epoch === this.#read.epoch) read = this.#read;
    else if (this.#previousRead && record.epoch === this.#previousRead.epoch) read = this.#previousRead;
    else if (record.epoch === this.#read.epoch + 1 && this.#earlyRecords.length < MAX_EARLY_RECORDS) {
      // Ahead of the ChangeCipherSpec (reordering): keep it for when the epoch opens (RFC 6347 §4.1).
      this.#earlyRecords.push({ ...record, fragment: Buffer.from(record.fragment) });
      return;
    }
    // The previous epoch stays readable only for handshake retransmissions (RFC 6347 §4.1): an
    // unauthenticated epoch-0 alert or data record must not reach an established connection.
    if (!read || (read === this.#previousRead && record.contentType !== ContentType.handshake)) {
      this.stats.recordsDropped++;
      return;
    }
    if (!read.window.check(record.sequenceNumber)) {
      this.stats.recordsReplayed++;
      this.stats.recordsDropped++;
      return;
    }
    let plaintext = record.fragment;
    if (read.cipher) {
      const opened = read.cipher.decrypt(
        record.contentType,
        record.version,
        record.epoch,
        record.sequenceNumber,
        record.fragment,
      );
      // RFC 6347 §4.1.2.7: invalid records are silently discarded.
      if (!opened) {
        this.stats.recordsUndecryptable++;
        this.stats.recordsDropped++;
        return;
      }
      plaintext = opened;
    }
    read.window.accept(record.sequenceNumber);
    const current = read === this.#read;
    switch (record.contentType) {
      case ContentType.handshake:
        this.#handleHandshakeRecord(plaintext, record.sequenceNumber);
        return;
      case ContentType.changeCipherSpec:
        this.#handleChangeCipherSpec(plaintext, current);
        return;
      case ContentType.alert:
        this.#handleAlert(plaintext);
        return;
      case ContentType.applicationData:
        if (this.#state === 'connected' && current && record.epoch > 0) {
          this.#emit('data', plaintext);
          return;
        }
        this.stats.recordsDropped++;
        return;
    }
  }

  #handleHandshakeRecord(plaintext: Buffer, recordSequenceNumber: number): void {
    const decoded = decodeHandshakeFragments(plaintext);
    if (!decoded.ok) {
      this.stats.recordsDropped++;
      return;
    }
    for (const fragment of decoded.value) {
      if (
        fragment.messageType === HandshakeType.clientHello &&
        this.#handshake.acceptsNewClientHello() &&
        fragment.messageSeq !== this.#reassembler.nextSeq
      ) {
        // Before the server commits, any ClientHello may (re)start the exchange: cookies keep it stateless.
        this.#reassembler.reset(fragment.messageSeq);
      }
      const disposition = this.#reassembler.add(fragment);
      if (disposition === 'old') {
        // RFC 6347 §4.2.4: the peer repeating its last flight means ours was lost; send it again.
        if (
          fragment.messageSeq === this.#peerFlightStart &&
          fragment.fragmentOffset === 0 &&
          this.#lastFlight
        ) {
          this.stats.retransmissions++;
          this.#transmitFlight();
        }
        continue;
      }
      if (disposition !== 'buffered') this.stats.recordsDropped++;
    }
    for (;;) {
      if (this.#state !== 'connecting') return;
      const message = this.#reassembler.next();
      if (!message) return;
      if (message.messageType === HandshakeType.helloVerifyRequest) this.stats.helloVerifyRequests++;
      this.#handshake.handleMessage(message, recordSequenceNumber);
    }
  }

  #handleChangeCipherSpec(plaintext: Buffer, current: boolean): void {
    if (plaintext.length !== 1 || plaintext[0] !== 1) {
      this.#fail(AlertDescription.decodeError, 'malformed ChangeCipherSpec');
      return;
    }
    // A repeated ChangeCipherSpec (the peer retransmitting) or one ahead of its messages is dropped.
    if (!current || !this.#pendingRead || !this.#handshake.handleChangeCipherSpec()) {
      this.stats.recordsDropped++;
      return;
    }
    this.#previousRead = this.#read;
    this.#read = { epoch: this.#read.epoch + 1, cipher: this.#pendingRead, window: new DtlsReplayWindow() };
    this.#pendingRead = undefined;
    const early = this.#earlyRecords;
    this.#earlyRecords = [];
    for (const record of early) {
      if (this.#state !== 'connecting' && this.#state !== 'connected') return;
      this.#handleRecord(record);
      // Counted once already, when it arrived ahead of its epoch.
      this.stats.recordsReceived--;
    }
  }

  #handleAlert(plaintext: Buffer): void {
    const decoded = decodeAlert(plaintext);
    if (!decoded.ok) {
      this.stats.recordsDropped++;
      return;
    }
    const { level, description } = decoded.value;
    if (description === AlertDescription.closeNotify) {
      // RFC 5246 §7.2.1: answer with close_notify and close at once.
      this.#state = 'closed';
      this.#sendAlert(AlertLevel.warning, AlertDescription.closeNotify);
      this.#stopTimers();
      this.#emit('close', { reason: 'close_notify received', alert: description, remote: true });
      return;
    }
    if (level === AlertLevel.fatal) {
      this.#state = 'failed';
      this.#stopTimers();
      this.#emit('close', {
        reason: `received fatal alert ${alertName(description)}`,
        alert: description,
        remote: true,
      });
    }
    // Warnings (no_renegotiation, …) need no action.
  }

  #overhead(epoch: number): number {
    return this.#write[epoch]?.cipher?.overhead ?? 0;
  }

  /** Encodes (and protects) one record with the next sequence number of `epoch`. */
  #record(epoch: number, contentType: number, plaintext: Buffer, sequenceNumber?: number): Buffer {
    const write = this.#write[epoch];
    const seq = sequenceNumber ?? write.nextSequenceNumber++;
    if (seq > MAX_SEQUENCE_NUMBER)
      throw new DtlsError('ERR_DTLS_INVALID_ARGUMENT', 'record', 'sequence exhausted');
    const version = ProtocolVersion.dtls12;
    this.stats.recordsSent++;
    // Protected records are sealed straight into the record buffer.
    if (write.cipher) return write.cipher.sealRecord(contentType, version, epoch, seq, plaintext);
    return encodeRecord(contentType, epoch, seq, plaintext, version);
  }

  #output(datagram: Buffer): void {
    this.stats.datagramsSent++;
    try {
      this.#options.send(datagram);
    } catch {
      this.stats.internalErrors++;
    }
  }

  #transmitFlight(): void {
    if (!this.#lastFlight) return;
    const writer: RecordWriter = {
      overhead: (epoch) => this.#overhead(epoch),
      record: (epoch, contentType, plaintext) => this.#record(epoch, contentType, plaintext),
    };
    for (const datagram of packFlight(this.#lastFlight, this.#mtu, writer)) this.#output(datagram);
  }

  #onRetransmitTimer(): void {
    if (this.#state !== 'connecting') {
      this.#retransmit.stop();
      return;
    }
    this.stats.retransmissions++;
    this.#transmitFlight();
  }

  #sendAlert(level: number, description: number): void {
    try {
      this.#output(this.#record(this.#writeEpoch, ContentType.alert, encodeAlert(level, description)));
    } catch {
      this.stats.internalErrors++;
    }
  }

  #fail(alert: number | undefined, reason: string): void {
    if (this.#state === 'failed' || this.#state === 'closed') return;
    this.#state = 'failed';
    if (alert !== undefined) this.#sendAlert(AlertLevel.fatal, alert);
    this.#stopTimers();
    this.#emit('close', alert === undefined ? { reason, remote: false } : { reason, alert, remote: false });
  }

  #stopTimers(): void {
    this.#retransmit.stop();
    if (this.#handshakeTimer !== undefined) this.#timers.clearTimer(this.#handshakeTimer);
    this.#handshakeTimer = undefined;
  }

  /** Emits without letting a listener's exception into the record layer. */
  #emit<K extends keyof DtlsEndpointEvents>(event: K, ...args: DtlsEndpointEvents[K]): void {
    try {
      (this.emit as (event: K, ...args: DtlsEndpointEvents[K]) => boolean)(event, ...args);
    } catch {
      this.stats.internalErrors++;
    }
  }

  #host(): HandshakeHost {
    return {
      sendFlight: (messages, awaitReply) => {
        this.#lastFlight = messages;
        if (messages.some((message) => message.kind === 'change-cipher-spec')) this.#writeEpoch = 1;
        if (awaitReply) this.#retransmit.start();
        else this.#retransmit.stop();
        this.#transmitFlight();
      },
      sendStateless: (message, recordSequenceNumber) => {
        if (message.kind !== 'handshake') return;
        const fragment = encodeHandshakeFragment(message.messageType, message.messageSeq, message.body);
        // RFC 6347 §4.2.1: the HelloVerifyRequest takes the ClientHello's record sequence number.
        const write = this.#write[0];
        write.nextSequenceNumber = Math.max(write.nextSequenceNumber, recordSequenceNumber + 1);
        this.stats.recordsSent++;
        this.stats.helloVerifyRequests++;
        this.#output(
          encodeRecord(ContentType.handshake, 0, recordSequenceNumber, fragment, ProtocolVersion.dtls10),
        );
      },
      installKeys: (keys: RecordKeys) => {
        const client = this.#role === 'client';
        this.#write[1] = { cipher: client ? keys.clientWrite : keys.serverWrite, nextSequenceNumber: 0 };
        this.#pendingRead = client ? keys.serverWrite : keys.clientWrite;
      },
      setPeerFlightStart: (messageSeq) => {
        this.#peerFlightStart = messageSeq;
      },
      fail: (alert, reason) => this.#fail(alert, reason),
      complete: () => {
        const negotiated = this.#handshake.negotiated()!;
        this.#srtpProfile =
          negotiated.srtpProfileId === undefined ? undefined : profileName(negotiated.srtpProfileId);
        this.#remoteCertificate = negotiated.peerCertificate;
        this.#state = 'connected';
        if (this.#role === 'client') this.#retransmit.stop();
        if (this.#handshakeTimer !== undefined) this.#timers.clearTimer(this.#handshakeTimer);
        this.#handshakeTimer = undefined;
        this.#emit('connected');
      },
    };
  }
}
