/**
 * The server side of the DTLS 1.2 handshake (RFC 6347 §4.2.4, Figure 1). It
 * answers a ClientHello without a valid cookie statelessly with a
 * HelloVerifyRequest (§4.2.1), and always asks for a client certificate,
 * since WebRTC authenticates both sides by fingerprint (RFC 8827 §6.5).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { AlertDescription } from './alert.js';
import { encodeCertificate } from './certificate.js';
import { encodeCertificateRequest } from './certificate-request.js';
import { decodeCertificateVerify } from './certificate-verify.js';
import type { CipherSuite } from './cipher-suite.js';
import { type ClientHello, decodeClientHello } from './client-hello.js';
import { decodeClientKeyExchange } from './client-key-exchange.js';
import {
  ClientCertificateType,
  EC_POINT_FORMAT_UNCOMPRESSED,
  EMPTY_RENEGOTIATION_INFO_SCSV,
  HandshakeType,
  NamedGroup,
  ProtocolVersion,
  RANDOM_LENGTH,
  VERIFY_DATA_LENGTH,
} from './constants.js';
import type { HelloExtensions } from './extensions.js';
import { Handshake } from './handshake.js';
import { encodeHelloVerifyRequest } from './hello-verify-request.js';
import { type EphemeralKey, generateEphemeralKey, SUPPORTED_GROUPS } from './key-exchange.js';
import type { HandshakeMessage } from './reassembler.js';
import { encodeServerHello } from './server-hello.js';
import { encodeServerEcdhParams, encodeServerKeyExchange } from './server-key-exchange.js';
import { chooseSigningScheme, signWithScheme, VERIFY_SCHEMES, verifyWithScheme } from './signature.js';

type ServerState =
  | 'awaiting-client-hello'
  | 'awaiting-certificate'
  | 'awaiting-key-exchange'
  | 'awaiting-certificate-verify'
  | 'awaiting-change-cipher-spec'
  | 'awaiting-finished'
  | 'done';

/** Server handshake state machine. */
export class ServerHandshake extends Handshake {
  #state: ServerState = 'awaiting-client-hello';
  #ephemeral: EphemeralKey | undefined;

  override acceptsNewClientHello(): boolean {
    return this.#state === 'awaiting-client-hello';
  }

  override handleMessage(message: HandshakeMessage, recordSequenceNumber: number): void {
    switch (this.#state) {
      case 'awaiting-client-hello':
        if (message.messageType !== HandshakeType.clientHello) {
          this.unexpected(message, 'awaiting ClientHello');
          return;
        }
        this.#onClientHello(message, recordSequenceNumber);
        return;
      case 'awaiting-certificate':
        if (message.messageType !== HandshakeType.certificate) {
          this.unexpected(message, 'awaiting client Certificate');
          return;
        }
        this.received(message);
        if (this.acceptPeerCertificate(message.body)) {
          this.host.setPeerFlightStart(message.messageSeq);
          this.#state = 'awaiting-key-exchange';
        }
        return;
      case 'awaiting-key-exchange':
        if (message.messageType !== HandshakeType.clientKeyExchange) {
          this.unexpected(message, 'awaiting ClientKeyExchange');
          return;
        }
        this.#onClientKeyExchange(message);
        return;
      case 'awaiting-certificate-verify':
        if (message.messageType !== HandshakeType.certificateVerify) {
          this.unexpected(message, 'awaiting CertificateVerify');
          return;
        }
        this.#onCertificateVerify(message);
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

  #onClientHello(message: HandshakeMessage, recordSequenceNumber: number): void {
    const decoded = decodeClientHello(message.body);
    if (!decoded.ok) {
      this.failWith(decoded.error);
      return;
    }
    const hello = decoded.value;
    // DTLS versions count down: 0xFEFD (1.2) is below 0xFEFF (1.0).
    if (hello.clientVersion > ProtocolVersion.dtls12) {
      this.host.fail(AlertDescription.protocolVersion, 'the client does not offer DTLS 1.2');
      return;
    }
    if (this.config.requireCookie && !this.config.cookies.verify(hello)) {
      // Stateless: the HelloVerifyRequest reuses the ClientHello's message_seq and record sequence number.
      this.host.sendStateless(
        {
          kind: 'handshake',
          epoch: 0,
          messageType: HandshakeType.helloVerifyRequest,
          messageSeq: message.messageSeq,
          body: encodeHelloVerifyRequest(ProtocolVersion.dtls10, this.config.cookies.cookieFor(hello)),
        },
        recordSequenceNumber,
      );
      return;
    }
    const suite = this.#chooseCipherSuite(hello);
    if (!suite) {
      this.host.fail(AlertDescription.handshakeFailure, 'no cipher suite in common');
      return;
    }
    if (!hello.compressionMethods.includes(0)) {
      this.host.fail(AlertDescription.illegalParameter, 'the client does not offer null compression');
      return;
    }
    const extensions = hello.extensions;
    const group = this.#chooseGroup(extensions);
    if (group === undefined) {
      this.host.fail(AlertDescription.handshakeFailure, 'no ECDHE group in common');
      return;
    }
    if (extensions.ecPointFormats && !extensions.ecPointFormats.includes(EC_POINT_FORMAT_UNCOMPRESSED)) {
      this.host.fail(AlertDescription.illegalParameter, 'the client cannot take uncompressed points');
      return;
    }
    // RFC 5246 §7.4.1.4.1: without signature_algorithms the client only takes SHA-1, which is not offered here.
    const scheme = chooseSigningScheme(
      extensions.signatureAlgorithms ?? [],
      this.config.certificate.privateKey,
    );
    if (scheme === undefined) {
      this.host.fail(AlertDescription.handshakeFailure, 'no signature scheme in common for our certificate');
      return;
    }
    if (extensions.renegotiationInfo && extensions.renegotiationInfo.length !== 0) {
      this.host.fail(AlertDescription.handshakeFailure, 'non-empty renegotiation_info');
      return;
    }
    const secureRenegotiation =
      extensions.renegotiationInfo !== undefined ||
      hello.cipherSuites.includes(EMPTY_RENEGOTIATION_INFO_SCSV);

    this.suite = suite;
    this.clientRandom = Buffer.from(hello.random);
    this.serverRandom = randomBytes(RANDOM_LENGTH);
    this.extendedMasterSecretNegotiated = extensions.extendedMasterSecret === true;
    this.srtpProfileId = this.#chooseSrtpProfile(hello);

    // The reply continues the client's message_seq (RFC 6347 §4.2.2 with the stateless cookie exchange).
    this.sendSeq = message.messageSeq;
    this.transcript.reset();
    this.received(message);
    this.host.setPeerFlightStart(message.messageSeq);

    const replyExtensions: HelloExtensions = {};
    if (secureRenegotiation) replyExtensions.renegotiationInfo = Buffer.alloc(0);
    if (this.extendedMasterSecretNegotiated) replyExtensions.extendedMasterSecret = true;
    if (this.srtpProfileId !== undefined) {
      replyExtensions.useSrtp = { profiles: [this.srtpProfileId], mki: Buffer.alloc(0) };
    }
    if (extensions.ecPointFormats) replyExtensions.ecPointFormats = [EC_POINT_FORMAT_UNCOMPRESSED];

    this.#ephemeral = generateEphemeralKey(group);
    const params = encodeServerEcdhParams(group, this.#ephemeral.publicKey);
    const signed = Buffer.concat([this.clientRandom, this.serverRandom, params]);
    const signature = signWithScheme(scheme, this.config.certificate.privateKey, signed);

    const flight = [
      this.message(
        HandshakeType.serverHello,
        encodeServerHello({
          serverVersion: ProtocolVersion.dtls12,
          random: this.serverRandom,
          cipherSuite: suite.id,
          extensions: replyExtensions,
        }),
      ),
      this.message(HandshakeType.certificate, encodeCertificate([this.config.certificate.certDer])),
      this.message(HandshakeType.serverKeyExchange, encodeServerKeyExchange(params, scheme, signature)),
      this.message(
        HandshakeType.certificateRequest,
        encodeCertificateRequest(
          [ClientCertificateType.ecdsaSign, ClientCertificateType.rsaSign],
          [...VERIFY_SCHEMES],
        ),
      ),
      this.message(HandshakeType.serverHelloDone, Buffer.alloc(0)),
    ];
    this.#state = 'awaiting-certificate';
    this.host.sendFlight(flight, true);
  }

  /** Our preference among the client's suites. */
  #chooseCipherSuite(hello: ClientHello): CipherSuite | undefined {
    return this.config.cipherSuites.find((suite) => hello.cipherSuites.includes(suite.id));
  }

  /** Our preference among the client's groups; P-256 when it names none (RFC 8422 §4). */
  #chooseGroup(extensions: HelloExtensions): number | undefined {
    if (!extensions.supportedGroups) return NamedGroup.secp256r1;
    return SUPPORTED_GROUPS.find((group) => extensions.supportedGroups!.includes(group));
  }

  /** RFC 5764 §4.1.1: one of the client's profiles, by our preference; none when nothing is shared. */
  #chooseSrtpProfile(hello: ClientHello): number | undefined {
    const offered = hello.extensions.useSrtp?.profiles;
    if (!offered) return undefined;
    return this.config.srtpProfiles.find((profile) => offered.includes(profile));
  }

  #onClientKeyExchange(message: HandshakeMessage): void {
    const decoded = decodeClientKeyExchange(message.body);
    if (!decoded.ok) {
      this.failWith(decoded.error);
      return;
    }
    const preMasterSecret = this.#ephemeral!.computeSecret(decoded.value);
    if (!preMasterSecret) {
      this.host.fail(AlertDescription.illegalParameter, 'the client ECDHE public key is invalid');
      return;
    }
    this.received(message);
    this.deriveKeys(preMasterSecret);
    this.#state = 'awaiting-certificate-verify';
  }

  #onCertificateVerify(message: HandshakeMessage): void {
    const decoded = decodeCertificateVerify(message.body);
    if (!decoded.ok) {
      this.failWith(decoded.error);
      return;
    }
    const { signatureScheme, signature } = decoded.value;
    if (!VERIFY_SCHEMES.includes(signatureScheme)) {
      this.host.fail(AlertDescription.illegalParameter, 'CertificateVerify with a scheme not requested');
      return;
    }
    if (!verifyWithScheme(signatureScheme, this.peerPublicKey!, this.transcript.bytes(), signature)) {
      this.host.fail(AlertDescription.decryptError, 'CertificateVerify does not verify');
      return;
    }
    this.received(message);
    this.#state = 'awaiting-change-cipher-spec';
  }

  #onFinished(message: HandshakeMessage): void {
    const expected = this.finishedData('client');
    if (message.body.length !== VERIFY_DATA_LENGTH || !timingSafeEqual(message.body, expected)) {
      this.host.fail(AlertDescription.decryptError, 'client Finished does not verify');
      return;
    }
    this.received(message);
    const finished = this.message(HandshakeType.finished, this.finishedData('server'), 1);
    this.#state = 'done';
    this.host.sendFlight([{ kind: 'change-cipher-spec', epoch: 0 }, finished], false);
    this.finish();
  }
}
