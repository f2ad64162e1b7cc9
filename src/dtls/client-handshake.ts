/**
 * The client side of the DTLS 1.2 handshake (RFC 6347 §4.2.4, Figure 1),
 * with a certificate sent on request, as WebRTC has both sides do:
 *
 *   ClientHello                -->
 *                              <--  HelloVerifyRequest (optional)
 *   ClientHello (with cookie)  -->
 *                              <--  ServerHello, Certificate, ServerKeyExchange,
 *                                   CertificateRequest, ServerHelloDone
 *   Certificate, ClientKeyExchange, CertificateVerify,
 *   [ChangeCipherSpec], Finished -->
 *                              <--  [ChangeCipherSpec], Finished
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { AlertDescription } from './alert.js';
import { encodeCertificate } from './certificate.js';
import { decodeCertificateRequest } from './certificate-request.js';
import { encodeCertificateVerify } from './certificate-verify.js';
import { cipherSuiteById } from './cipher-suite.js';
import { encodeClientHello } from './client-hello.js';
import { encodeClientKeyExchange } from './client-key-exchange.js';
import {
  EC_POINT_FORMAT_UNCOMPRESSED,
  EMPTY_RENEGOTIATION_INFO_SCSV,
  HandshakeType,
  ProtocolVersion,
  RANDOM_LENGTH,
  VERIFY_DATA_LENGTH,
} from './constants.js';
import type { HelloExtensions } from './extensions.js';
import type { FlightMessage } from './flight.js';
import { Handshake } from './handshake.js';
import { decodeHelloVerifyRequest, MAX_COOKIE_LENGTH } from './hello-verify-request.js';
import {
  type EphemeralKey,
  generateEphemeralKey,
  isSupportedGroup,
  SUPPORTED_GROUPS,
} from './key-exchange.js';
import type { HandshakeMessage } from './reassembler.js';
import { decodeServerHello } from './server-hello.js';
import { decodeServerKeyExchange } from './server-key-exchange.js';
import { chooseSigningScheme, signWithScheme, VERIFY_SCHEMES, verifyWithScheme } from './signature.js';

type ClientState =
  | 'idle'
  | 'awaiting-server-hello'
  | 'awaiting-certificate'
  | 'awaiting-key-exchange'
  | 'awaiting-hello-done'
  | 'awaiting-change-cipher-spec'
  | 'awaiting-finished'
  | 'done';

/** Client handshake state machine. */
export class ClientHandshake extends Handshake {
  #state: ClientState = 'idle';
  #cookie: Buffer = Buffer.alloc(0);
  #ephemeral: EphemeralKey | undefined;
  #peerPublicKeyEcdh: Buffer | undefined;
  #certificateSchemes: number[] | undefined;
  #helloVerified = false;

  /** Sends the first ClientHello. */
  start(): void {
    this.clientRandom = randomBytes(RANDOM_LENGTH);
    this.#state = 'awaiting-server-hello';
    this.#sendClientHello();
  }

  #clientHelloExtensions(): HelloExtensions {
    const extensions: HelloExtensions = {
      // RFC 5746 §3.4: an empty renegotiation_info on the initial handshake (the SCSV also says so).
      renegotiationInfo: Buffer.alloc(0),
      // RFC 7627 §5.1: always offered.
      extendedMasterSecret: true,
      supportedGroups: [...SUPPORTED_GROUPS],
      ecPointFormats: [EC_POINT_FORMAT_UNCOMPRESSED],
      signatureAlgorithms: [...VERIFY_SCHEMES],
    };
    if (this.config.srtpProfiles.length > 0) {
      extensions.useSrtp = { profiles: [...this.config.srtpProfiles], mki: Buffer.alloc(0) };
    }
    return extensions;
  }

  #sendClientHello(): void {
    const body = encodeClientHello({
      clientVersion: ProtocolVersion.dtls12,
      random: this.clientRandom,
      cookie: this.#cookie,
      cipherSuites: [...this.config.cipherSuites.map((suite) => suite.id), EMPTY_RENEGOTIATION_INFO_SCSV],
      extensions: this.#clientHelloExtensions(),
    });
    // RFC 6347 §4.2.6: the transcript starts with the ClientHello that the server answers with a ServerHello.
    this.transcript.reset();
    this.host.sendFlight([this.message(HandshakeType.clientHello, body)], true);
  }

  override handleMessage(message: HandshakeMessage): void {
    switch (this.#state) {
      case 'awaiting-server-hello':
        if (message.messageType === HandshakeType.helloVerifyRequest) {
          this.#onHelloVerifyRequest(message);
          return;
        }
        if (message.messageType === HandshakeType.serverHello) {
          this.#onServerHello(message);
          return;
        }
        this.unexpected(message, 'awaiting ServerHello');
        return;
      case 'awaiting-certificate':
        if (message.messageType !== HandshakeType.certificate) {
          this.unexpected(message, 'awaiting Certificate');
          return;
        }
        this.received(message);
        if (this.acceptPeerCertificate(message.body)) this.#state = 'awaiting-key-exchange';
        return;
      case 'awaiting-key-exchange':
        if (message.messageType !== HandshakeType.serverKeyExchange) {
          this.unexpected(message, 'awaiting ServerKeyExchange');
          return;
        }
        this.#onServerKeyExchange(message);
        return;
      case 'awaiting-hello-done':
        if (message.messageType === HandshakeType.certificateRequest && !this.#certificateSchemes) {
          this.#onCertificateRequest(message);
          return;
        }
        if (message.messageType === HandshakeType.serverHelloDone) {
          this.#onServerHelloDone(message);
          return;
        }
        this.unexpected(message, 'awaiting ServerHelloDone');
        return;
      case 'awaiting-finished':
        if (message.messageType !== HandshakeType.finished) {
          this.unexpected(message, 'awaiting Finished');
          return;
        }
        this.#onFinished(message);
        return;
      default:
        this.unexpected(message, this.#state);
        return;
    }
  }

  override handleChangeCipherSpec(): boolean {
    if (this.#state !== 'awaiting-change-cipher-spec') return false;
    this.#state = 'awaiting-finished';
    return true;
  }

  #onHelloVerifyRequest(message: HandshakeMessage): void {
    if (this.#helloVerified) {
      this.unexpected(message, 'already verified');
      return;
    }
    const decoded = decodeHelloVerifyRequest(message.body);
    if (!decoded.ok) {
      this.failWith(decoded.error);
      return;
    }
    const { serverVersion, cookie } = decoded.value;
    // RFC 6347 §4.2.1: 1.0 is the expected value; 1.2 is accepted too.
    if (serverVersion !== ProtocolVersion.dtls10 && serverVersion !== ProtocolVersion.dtls12) {
      this.host.fail(AlertDescription.protocolVersion, 'HelloVerifyRequest with an unknown version');
      return;
    }
    if (cookie.length === 0 || cookie.length > MAX_COOKIE_LENGTH) {
      this.host.fail(AlertDescription.illegalParameter, 'HelloVerifyRequest with an empty cookie');
      return;
    }
    this.#helloVerified = true;
    this.#cookie = Buffer.from(cookie);
    this.host.setPeerFlightStart(message.messageSeq);
    this.#sendClientHello();
  }

  #onServerHello(message: HandshakeMessage): void {
    const decoded = decodeServerHello(message.body);
    if (!decoded.ok) {
      this.failWith(decoded.error);
      return;
    }
    const hello = decoded.value;
    if (hello.serverVersion !== ProtocolVersion.dtls12) {
      this.host.fail(AlertDescription.protocolVersion, 'the server does not speak DTLS 1.2');
      return;
    }
    const suite = cipherSuiteById(hello.cipherSuite);
    if (!suite || !this.config.cipherSuites.includes(suite)) {
      this.host.fail(AlertDescription.illegalParameter, 'the server chose a cipher suite not offered');
      return;
    }
    if (hello.compressionMethod !== 0) {
      this.host.fail(AlertDescription.illegalParameter, 'the server chose compression');
      return;
    }
    const extensions = hello.extensions;
    if (extensions.renegotiationInfo && extensions.renegotiationInfo.length !== 0) {
      this.host.fail(AlertDescription.handshakeFailure, 'non-empty renegotiation_info');
      return;
    }
    if (extensions.useSrtp) {
      // RFC 5764 §4.1.1: exactly one profile, one the client offered, and the MKI echoed (we send none).
      const [profile] = extensions.useSrtp.profiles;
      if (
        extensions.useSrtp.profiles.length !== 1 ||
        !this.config.srtpProfiles.includes(profile) ||
        extensions.useSrtp.mki.length !== 0
      ) {
        this.host.fail(AlertDescription.illegalParameter, 'the server chose an SRTP profile not offered');
        return;
      }
      this.srtpProfileId = profile;
    }
    if (extensions.ecPointFormats && !extensions.ecPointFormats.includes(EC_POINT_FORMAT_UNCOMPRESSED)) {
      this.host.fail(AlertDescription.illegalParameter, 'the server cannot take uncompressed points');
      return;
    }
    this.suite = suite;
    this.serverRandom = Buffer.from(hello.random);
    this.extendedMasterSecretNegotiated = extensions.extendedMasterSecret === true;
    this.received(message);
    this.host.setPeerFlightStart(message.messageSeq);
    this.#state = 'awaiting-certificate';
  }

  #onServerKeyExchange(message: HandshakeMessage): void {
    const decoded = decodeServerKeyExchange(message.body);
    if (!decoded.ok) {
      this.failWith(decoded.error);
      return;
    }
    const exchange = decoded.value;
    if (!isSupportedGroup(exchange.namedGroup)) {
      this.host.fail(AlertDescription.illegalParameter, 'the server chose a group not offered');
      return;
    }
    if (!VERIFY_SCHEMES.includes(exchange.signatureScheme)) {
      this.host.fail(AlertDescription.illegalParameter, 'the server used a signature scheme not offered');
      return;
    }
    const signed = Buffer.concat([this.clientRandom, this.serverRandom, exchange.params]);
    if (!verifyWithScheme(exchange.signatureScheme, this.peerPublicKey!, signed, exchange.signature)) {
      this.host.fail(AlertDescription.decryptError, 'ServerKeyExchange signature does not verify');
      return;
    }
    this.#ephemeral = generateEphemeralKey(exchange.namedGroup);
    this.#peerPublicKeyEcdh = Buffer.from(exchange.publicKey);
    this.received(message);
    this.#state = 'awaiting-hello-done';
  }

  #onCertificateRequest(message: HandshakeMessage): void {
    const decoded = decodeCertificateRequest(message.body);
    if (!decoded.ok) {
      this.failWith(decoded.error);
      return;
    }
    this.#certificateSchemes = decoded.value.signatureSchemes;
    this.received(message);
  }

  #onServerHelloDone(message: HandshakeMessage): void {
    if (message.body.length !== 0) {
      this.host.fail(AlertDescription.decodeError, 'ServerHelloDone is not empty');
      return;
    }
    this.received(message);
    const preMasterSecret = this.#ephemeral!.computeSecret(this.#peerPublicKeyEcdh!);
    if (!preMasterSecret) {
      this.host.fail(AlertDescription.illegalParameter, 'the server ECDHE public key is invalid');
      return;
    }
    const flight: FlightMessage[] = [];
    const { certDer, privateKey } = this.config.certificate;
    let scheme: number | undefined;
    if (this.#certificateSchemes) {
      scheme = chooseSigningScheme(this.#certificateSchemes, privateKey);
      if (scheme === undefined) {
        this.host.fail(
          AlertDescription.handshakeFailure,
          'no signature scheme in common for our certificate',
        );
        return;
      }
      flight.push(this.message(HandshakeType.certificate, encodeCertificate([certDer])));
    }
    flight.push(
      this.message(HandshakeType.clientKeyExchange, encodeClientKeyExchange(this.#ephemeral!.publicKey)),
    );
    // The extended master secret's session hash ends with ClientKeyExchange (RFC 7627 §3).
    this.deriveKeys(preMasterSecret);
    if (scheme !== undefined) {
      const signature = signWithScheme(scheme, privateKey, this.transcript.bytes());
      flight.push(this.message(HandshakeType.certificateVerify, encodeCertificateVerify(scheme, signature)));
    }
    flight.push({ kind: 'change-cipher-spec', epoch: 0 });
    flight.push(this.message(HandshakeType.finished, this.finishedData('client'), 1));
    this.#state = 'awaiting-change-cipher-spec';
    this.host.sendFlight(flight, true);
  }

  #onFinished(message: HandshakeMessage): void {
    const expected = this.finishedData('server');
    if (message.body.length !== VERIFY_DATA_LENGTH || !timingSafeEqual(message.body, expected)) {
      this.host.fail(AlertDescription.decryptError, 'server Finished does not verify');
      return;
    }
    this.received(message);
    this.#state = 'done';
    this.finish();
  }
}
