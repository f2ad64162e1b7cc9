/**
 * What the client and server handshakes share: the negotiated parameters,
 * the transcript, peer certificate checks and key derivation. The record
 * layer (the endpoint) is reached through `HandshakeHost`.
 */
import { createHash, type KeyObject, X509Certificate } from 'node:crypto';
import { AlertDescription } from './alert.js';
import { decodeCertificate } from './certificate.js';
import { keyBlockLength, type RecordKeys, recordKeysFromKeyBlock } from './cipher.js';
import type { CipherSuite } from './cipher-suite.js';
import type { CookieJar } from './cookie.js';
import type { DtlsError } from './errors.js';
import { type DtlsFingerprint, matchesFingerprint } from './fingerprint.js';
import type { FlightMessage } from './flight.js';
import { extendedMasterSecret, keyBlock, masterSecret, type PrfHash, verifyData } from './prf.js';
import type { HandshakeMessage } from './reassembler.js';
import { Transcript } from './transcript.js';

/** A certificate and its private key; util/certificate's SelfSignedCertificate satisfies it. */
export interface DtlsCertificate {
  certDer: Buffer;
  privateKey: KeyObject;
}

/** The endpoint services a handshake uses. */
export interface HandshakeHost {
  /** Sends a flight and keeps it for retransmission; `awaitReply` arms the retransmission timer. */
  sendFlight(messages: FlightMessage[], awaitReply: boolean): void;
  /** Sends one message outside any flight (HelloVerifyRequest), with a given record sequence number. */
  sendStateless(message: FlightMessage, recordSequenceNumber: number): void;
  /** Makes the epoch-1 keys pending: written after our ChangeCipherSpec, read after the peer's. */
  installKeys(keys: RecordKeys): void;
  /** The message_seq that starts the peer's latest flight: seeing it again means our reply was lost. */
  setPeerFlightStart(messageSeq: number): void;
  /** Ends the handshake with a fatal alert. */
  fail(alert: number, reason: string): void;
  /** The handshake finished: the connection is up. */
  complete(): void;
}

/** Handshake settings resolved from the endpoint options. */
export interface HandshakeConfig {
  certificate: DtlsCertificate;
  remoteFingerprints: readonly DtlsFingerprint[] | undefined;
  /** DTLS-SRTP protection profile ids in preference order; empty = no use_srtp. */
  srtpProfiles: readonly number[];
  cipherSuites: readonly CipherSuite[];
  requireCookie: boolean;
  cookies: CookieJar;
}

/** The negotiated outcome, readable once the handshake completes. */
export interface NegotiatedSecurity {
  suite: CipherSuite;
  masterSecret: Buffer;
  clientRandom: Buffer;
  serverRandom: Buffer;
  srtpProfileId: number | undefined;
  peerCertificate: Buffer;
}

/** State and helpers common to both roles. */
export abstract class Handshake {
  protected readonly host: HandshakeHost;
  protected readonly config: HandshakeConfig;
  protected readonly transcript = new Transcript();
  /** message_seq of the next message this side sends. */
  protected sendSeq = 0;
  protected suite: CipherSuite | undefined;
  protected clientRandom: Buffer = Buffer.alloc(0);
  protected serverRandom: Buffer = Buffer.alloc(0);
  protected master: Buffer | undefined;
  protected extendedMasterSecretNegotiated = false;
  protected srtpProfileId: number | undefined;
  protected peerCertificate: Buffer | undefined;
  protected peerPublicKey: KeyObject | undefined;
  #done = false;

  constructor(host: HandshakeHost, config: HandshakeConfig) {
    this.host = host;
    this.config = config;
  }

  /** Processes the next in-order handshake message; `recordSequenceNumber` is that of its last record. */
  abstract handleMessage(message: HandshakeMessage, recordSequenceNumber: number): void;

  /** The peer's ChangeCipherSpec arrived; true when it was expected now (the read epoch then advances). */
  abstract handleChangeCipherSpec(): boolean;

  /** True while a ClientHello of any message_seq may start the handshake (server before its first flight). */
  acceptsNewClientHello(): boolean {
    return false;
  }

  /** True once Finished has been verified. */
  get done(): boolean {
    return this.#done;
  }

  /** What was negotiated, once done. */
  negotiated(): NegotiatedSecurity | undefined {
    if (!this.#done || !this.suite || !this.master || !this.peerCertificate) return undefined;
    return {
      suite: this.suite,
      masterSecret: this.master,
      clientRandom: this.clientRandom,
      serverRandom: this.serverRandom,
      srtpProfileId: this.srtpProfileId,
      peerCertificate: this.peerCertificate,
    };
  }

  protected finish(): void {
    this.#done = true;
    this.host.complete();
  }

  protected get prfHash(): PrfHash {
    return this.suite?.prfHash ?? 'sha256';
  }

  /** Builds our next handshake message and records it in the transcript. */
  protected message(messageType: number, body: Buffer, epoch = 0): FlightMessage {
    const messageSeq = this.sendSeq++;
    this.transcript.add(messageType, messageSeq, body);
    return { kind: 'handshake', epoch, messageType, messageSeq, body };
  }

  /** Records a peer message in the transcript. */
  protected received(message: HandshakeMessage): void {
    this.transcript.add(message.messageType, message.messageSeq, message.body);
  }

  /** Fails with the alert a decoder chose. */
  protected failWith(error: DtlsError): void {
    this.host.fail(error.alert ?? AlertDescription.internalError, error.message);
  }

  protected unexpected(message: HandshakeMessage, state: string): void {
    this.host.fail(
      AlertDescription.unexpectedMessage,
      `unexpected handshake message ${message.messageType} while ${state}`,
    );
  }

  /**
   * Takes the peer's Certificate: decodes it, parses the leaf and checks it
   * against the SDP fingerprints. Self-signed certificates are the norm in
   * WebRTC, so there is no chain validation (RFC 8827 §6.5). False after failing.
   */
  protected acceptPeerCertificate(body: Buffer): boolean {
    const decoded = decodeCertificate(body);
    if (!decoded.ok) {
      this.failWith(decoded.error);
      return false;
    }
    const leaf = decoded.value[0];
    if (!leaf) {
      // RFC 5246 §7.4.6: a server that requires a client certificate answers an empty one with handshake_failure.
      this.host.fail(AlertDescription.handshakeFailure, 'the peer sent no certificate');
      return false;
    }
    let publicKey: KeyObject;
    try {
      publicKey = new X509Certificate(leaf).publicKey;
    } catch {
      this.host.fail(AlertDescription.badCertificate, 'the peer certificate cannot be parsed');
      return false;
    }
    const fingerprints = this.config.remoteFingerprints;
    if (fingerprints && !matchesFingerprint(leaf, fingerprints)) {
      this.host.fail(AlertDescription.badCertificate, 'the peer certificate does not match its fingerprint');
      return false;
    }
    this.peerCertificate = Buffer.from(leaf);
    this.peerPublicKey = publicKey;
    return true;
  }

  /**
   * Derives the master secret (RFC 7627 §4 when extended_master_secret was
   * negotiated: the transcript must end with ClientKeyExchange) and installs
   * the epoch-1 record keys.
   */
  protected deriveKeys(preMasterSecret: Buffer): void {
    const suite = this.suite!;
    this.master = this.extendedMasterSecretNegotiated
      ? extendedMasterSecret(
          suite.prfHash,
          preMasterSecret,
          createHash(suite.prfHash).update(this.transcript.bytes()).digest(),
        )
      : masterSecret(suite.prfHash, preMasterSecret, this.clientRandom, this.serverRandom);
    const block = keyBlock(
      suite.prfHash,
      this.master,
      this.clientRandom,
      this.serverRandom,
      keyBlockLength(suite),
    );
    this.host.installKeys(recordKeysFromKeyBlock(suite, block));
  }

  /** verify_data of `sender`'s Finished over the transcript so far. */
  protected finishedData(sender: 'client' | 'server'): Buffer {
    return verifyData(this.prfHash, this.master!, sender, this.transcript.bytes());
  }
}
