/**
 * An SRTP/SRTCP cryptographic context for one direction (RFC 3711 §3.2):
 * session keys derived once from the master key and salt, then per-SSRC
 * rollover counters, SRTCP indices and replay windows.
 *
 * Packet layouts produced and accepted:
 *
 *   SRTP  (RFC 3711 §3.1, RFC 7714 §8):  RTP header | encrypted payload | tag
 *   SRTCP, AES-CM (RFC 3711 §3.4):       first 8 bytes | encrypted rest | E+index | tag
 *   SRTCP, GCM (RFC 7714 §9):            first 8 bytes | encrypted rest | tag | E+index
 *
 * No MKI is used (DTLS-SRTP never sends one). Every packet method returns a
 * fresh Buffer (or, for the …To variants, a view of the caller's output
 * buffer) or an SrtpError, and never throws on packet contents. Input
 * buffers are modified only when passed as their own output.
 */
import { AesCmContext } from './aes-cm.js';
import { AesGcmContext } from './aes-gcm.js';
import { SrtpError, type SrtpErrorSite } from './errors.js';
import { type DerivedKeys, deriveSessionKeys, type SessionKeys } from './key-derivation.js';
import type { SrtpProfile } from './profile.js';
import { ReplayWindow } from './replay-window.js';
import { MAX_ROLLOVER_COUNTER, RolloverCounter } from './rollover.js';
import { rtpPayloadOffset } from './rtp-header.js';

/** Default replay window: wide enough for video bursts reordered by the network. */
export const DEFAULT_REPLAY_WINDOW_SIZE = 1024;

/** Size of the fixed RTCP part left in clear: the first header word and the sender SSRC. */
const RTCP_CLEAR_HEADER_SIZE = 8;
/** Size of the E flag + SRTCP index word (RFC 3711 §3.4). */
const SRTCP_INDEX_SIZE = 4;
/** Largest SRTCP index (31 bits). */
const MAX_SRTCP_INDEX = 0x7fffffff;
/** The E flag: set when the SRTCP payload is encrypted. */
const SRTCP_ENCRYPTED_FLAG = 0x80000000;

/** How to build a session from DTLS-SRTP (or SDES) master keying material. */
export interface SrtpMasterKeyOptions {
  /** The negotiated protection profile. */
  profile: SrtpProfile;
  /** The master key (16 bytes for both supported profiles). */
  masterKey: Uint8Array;
  /** The master salt (14 bytes for AES-CM, 12 for GCM). */
  masterSalt: Uint8Array;
  /** Replay window size in packets: a multiple of 32, at least 64. */
  replayWindowSize?: number;
}

/** How to build a session from session keys already derived (test vectors, other key exchanges). */
export interface SrtpSessionKeyOptions {
  /** The negotiated protection profile. */
  profile: SrtpProfile;
  /** The SRTP and SRTCP session keys, of the profile's lengths. */
  sessionKeys: DerivedKeys;
  /** Replay window size in packets: a multiple of 32, at least 64. */
  replayWindowSize?: number;
}

/** How to build a session. */
export type SrtpSessionOptions = SrtpMasterKeyOptions | SrtpSessionKeyOptions;

/** Per-SSRC SRTP state. */
interface RtpStreamState {
  readonly rollover: RolloverCounter;
  readonly replay: ReplayWindow;
}

/** Per-SSRC SRTCP state. */
interface RtcpStreamState {
  /** The next index to send. */
  nextIndex: number;
  readonly replay: ReplayWindow;
}

/** Either transform's per-direction state. */
type Transform = { aead: false; cm: AesCmContext } | { aead: true; gcm: AesGcmContext };

function makeTransform(profile: SrtpProfile, keys: SessionKeys): Transform {
  return profile.aead
    ? { aead: true, gcm: new AesGcmContext(keys) }
    : { aead: false, cm: new AesCmContext(keys) };
}

/** A Buffer view of `bytes` without copying. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * One direction of SRTP and SRTCP: use one session to protect what is sent
 * and another, with the peer's keys, to unprotect what is received.
 */
export class SrtpSession {
  /** The protection profile in use. */
  readonly profile: SrtpProfile;
  readonly #rtp: Transform;
  readonly #rtcp: Transform;
  readonly #replayWindowSize: number;
  readonly #rtpStreams = new Map<number, RtpStreamState>();
  readonly #rtcpStreams = new Map<number, RtcpStreamState>();
  readonly #rtcpAad = Buffer.alloc(RTCP_CLEAR_HEADER_SIZE + SRTCP_INDEX_SIZE);

  /**
   * Derives the session keys (RFC 3711 §4.3) unless they are given; throws an
   * SrtpError when a key or salt has the wrong length for the profile.
   */
  constructor(options: SrtpSessionOptions) {
    const { profile } = options;
    const keys =
      'sessionKeys' in options
        ? options.sessionKeys
        : checkedMasterKeys(profile, options.masterKey, options.masterSalt);
    for (const set of [keys.rtp, keys.rtcp]) {
      if (
        set.cipherKey.length !== profile.keyLength ||
        set.salt.length !== profile.saltLength ||
        set.authKey.length !== profile.authKeyLength
      ) {
        throw new SrtpError(
          'ERR_SRTP_INVALID_ARGUMENT',
          'session',
          `session keys do not fit ${profile.name}`,
        );
      }
    }
    this.profile = profile;
    this.#replayWindowSize = options.replayWindowSize ?? DEFAULT_REPLAY_WINDOW_SIZE;
    // Validates the size now rather than on the first packet.
    new ReplayWindow(this.#replayWindowSize);
    this.#rtp = makeTransform(profile, keys.rtp);
    this.#rtcp = makeTransform(profile, keys.rtcp);
  }

  /** The rollover counter kept for `ssrc`, or undefined before its first packet. */
  rolloverCounter(ssrc: number): number | undefined {
    return this.#rtpStreams.get(ssrc >>> 0)?.rollover.roc;
  }

  /** Encrypts and authenticates an RTP packet (RFC 3711 §3.3, RFC 7714 §8). */
  protectRtp(packet: Uint8Array): Buffer | SrtpError {
    return this.#protectRtp(asBuffer(packet), undefined);
  }

  /**
   * Encrypts and authenticates an RTP packet (RFC 3711 §3.3, RFC 7714 §8). Writes into
   * `output` (which may be the packet's own buffer, for in-place work, but
   * must not otherwise overlap it) and returns the written view of it.
   */
  protectRtpTo(packet: Uint8Array, output: Buffer): Buffer | SrtpError {
    return this.#protectRtp(asBuffer(packet), output);
  }

  #protectRtp(input: Buffer, target: Buffer | undefined): Buffer | SrtpError {
    const payloadOffset = rtpPayloadOffset(input, input.length);
    if (payloadOffset < 0) return badRtpHeader('protectRtp', input.length);
    const tagLength = this.profile.rtpTagLength;
    const output = outputFor(target, input.length + tagLength, 'protectRtp');
    if (output instanceof SrtpError) return output;
    const sequence = input.readUInt16BE(2);
    const ssrc = input.readUInt32BE(8);
    let stream = this.#rtpStreams.get(ssrc);
    if (!stream) {
      stream = { rollover: new RolloverCounter(), replay: new ReplayWindow(this.#replayWindowSize) };
      this.#rtpStreams.set(ssrc, stream);
    }
    const roc = stream.rollover.estimate(sequence);
    if (roc > MAX_ROLLOVER_COUNTER) {
      return new SrtpError(
        'ERR_SRTP_INDEX_EXHAUSTED',
        'protectRtp',
        'the 48-bit SRTP index is used up: rekey',
      );
    }
    // A sender may resend an older sequence number; it keeps its ROC (never below 0).
    const packetRoc = Math.max(roc, 0);
    stream.rollover.update(sequence, packetRoc);

    input.copy(output, 0, 0, payloadOffset);
    const payload = input.subarray(payloadOffset);
    if (this.#rtp.aead) {
      const gcm = this.#rtp.gcm;
      gcm.seal(
        gcm.rtpIv(ssrc, packetRoc, sequence),
        output.subarray(0, payloadOffset),
        payload,
        output,
        payloadOffset,
      );
    } else {
      const cm = this.#rtp.cm;
      cm.crypt(payload, output, payloadOffset, ssrc, packetRoc, sequence);
      cm.mac(output.subarray(0, input.length), packetRoc).copy(output, input.length, 0, tagLength);
    }
    return output;
  }

  /**
   * Authenticates, replay-checks and decrypts an SRTP packet (RFC 3711
   * §3.3); the ROC and replay window move only for authentic packets.
   */
  unprotectRtp(packet: Uint8Array): Buffer | SrtpError {
    return this.#unprotectRtp(asBuffer(packet), undefined);
  }

  /**
   * Authenticates, replay-checks and decrypts an SRTP packet (RFC 3711 §3.3). Writes into
   * `output` (which may be the packet's own buffer, for in-place work, but
   * must not otherwise overlap it) and returns the written view of it.
   */
  unprotectRtpTo(packet: Uint8Array, output: Buffer): Buffer | SrtpError {
    return this.#unprotectRtp(asBuffer(packet), output);
  }

  #unprotectRtp(input: Buffer, target: Buffer | undefined): Buffer | SrtpError {
    const tagLength = this.profile.rtpTagLength;
    const bodyLength = input.length - tagLength;
    if (bodyLength < 12) {
      return new SrtpError(
        'ERR_SRTP_TOO_SHORT',
        'unprotectRtp',
        `${input.length} bytes is too short for SRTP`,
      );
    }
    const payloadOffset = rtpPayloadOffset(input, bodyLength);
    if (payloadOffset < 0) return badRtpHeader('unprotectRtp', bodyLength);
    const sequence = input.readUInt16BE(2);
    const ssrc = input.readUInt32BE(8);
    const stream = this.#rtpStreams.get(ssrc);
    const roc = stream ? stream.rollover.estimate(sequence) : 0;
    if (roc < 0 || roc > MAX_ROLLOVER_COUNTER) return replayed('unprotectRtp', 'index outside the ROC range');
    const index = roc * 0x10000 + sequence;
    if (stream && !stream.replay.check(index)) return replayed('unprotectRtp', `SRTP index ${index}`);

    const output = outputFor(target, bodyLength, 'unprotectRtp');
    if (output instanceof SrtpError) return output;
    input.copy(output, 0, 0, payloadOffset);
    const tag = input.subarray(bodyLength);
    if (this.#rtp.aead) {
      const gcm = this.#rtp.gcm;
      const header = input.subarray(0, payloadOffset);
      const ciphertext = input.subarray(payloadOffset, bodyLength);
      if (!gcm.open(gcm.rtpIv(ssrc, roc, sequence), header, ciphertext, tag, output, payloadOffset)) {
        return authFailed('unprotectRtp');
      }
    } else {
      const cm = this.#rtp.cm;
      if (!AesCmContext.tagMatches(cm.mac(input.subarray(0, bodyLength), roc), tag)) {
        return authFailed('unprotectRtp');
      }
      cm.crypt(input.subarray(payloadOffset, bodyLength), output, payloadOffset, ssrc, roc, sequence);
    }

    let accepted = stream;
    if (!accepted) {
      accepted = { rollover: new RolloverCounter(), replay: new ReplayWindow(this.#replayWindowSize) };
      this.#rtpStreams.set(ssrc, accepted);
    }
    accepted.rollover.update(sequence, roc);
    accepted.replay.accept(index);
    return output;
  }

  /** Encrypts and authenticates an RTCP compound packet (RFC 3711 §3.4, RFC 7714 §9). */
  protectRtcp(packet: Uint8Array): Buffer | SrtpError {
    return this.#protectRtcp(asBuffer(packet), undefined);
  }

  /**
   * Encrypts and authenticates an RTCP compound packet (RFC 3711 §3.4, RFC 7714 §9). Writes into
   * `output` (which may be the packet's own buffer, for in-place work, but
   * must not otherwise overlap it) and returns the written view of it.
   */
  protectRtcpTo(packet: Uint8Array, output: Buffer): Buffer | SrtpError {
    return this.#protectRtcp(asBuffer(packet), output);
  }

  #protectRtcp(input: Buffer, target: Buffer | undefined): Buffer | SrtpError {
    if (input.length < RTCP_CLEAR_HEADER_SIZE) {
      return new SrtpError(
        'ERR_SRTP_TOO_SHORT',
        'protectRtcp',
        `${input.length} bytes is too short for RTCP`,
      );
    }
    if (input[0] >> 6 !== 2) return badRtcpHeader('protectRtcp');
    const tagLength = this.profile.rtcpTagLength;
    const output = outputFor(target, input.length + SRTCP_INDEX_SIZE + tagLength, 'protectRtcp');
    if (output instanceof SrtpError) return output;
    const ssrc = input.readUInt32BE(4);
    let stream = this.#rtcpStreams.get(ssrc);
    if (!stream) {
      stream = { nextIndex: 0, replay: new ReplayWindow(this.#replayWindowSize) };
      this.#rtcpStreams.set(ssrc, stream);
    }
    const index = stream.nextIndex;
    if (index > MAX_SRTCP_INDEX) {
      return new SrtpError(
        'ERR_SRTP_INDEX_EXHAUSTED',
        'protectRtcp',
        'the 31-bit SRTCP index is used up: rekey',
      );
    }
    stream.nextIndex = index + 1;
    const indexWord = (SRTCP_ENCRYPTED_FLAG | index) >>> 0;
    input.copy(output, 0, 0, RTCP_CLEAR_HEADER_SIZE);
    const body = input.subarray(RTCP_CLEAR_HEADER_SIZE);
    if (this.#rtcp.aead) {
      const gcm = this.#rtcp.gcm;
      const aad = this.#rtcpAad;
      input.copy(aad, 0, 0, RTCP_CLEAR_HEADER_SIZE);
      aad.writeUInt32BE(indexWord, RTCP_CLEAR_HEADER_SIZE);
      gcm.seal(gcm.rtcpIv(ssrc, index), aad, body, output, RTCP_CLEAR_HEADER_SIZE);
      output.writeUInt32BE(indexWord, input.length + tagLength);
    } else {
      const cm = this.#rtcp.cm;
      cm.crypt(body, output, RTCP_CLEAR_HEADER_SIZE, ssrc, index >>> 16, index & 0xffff);
      output.writeUInt32BE(indexWord, input.length);
      const authenticatedLength = input.length + SRTCP_INDEX_SIZE;
      cm.mac(output.subarray(0, authenticatedLength), undefined).copy(
        output,
        authenticatedLength,
        0,
        tagLength,
      );
    }
    return output;
  }

  /**
   * Authenticates, replay-checks and decrypts an SRTCP packet (RFC 3711
   * §3.4, RFC 7714 §9); packets with the E flag clear are authenticated only.
   */
  unprotectRtcp(packet: Uint8Array): Buffer | SrtpError {
    return this.#unprotectRtcp(asBuffer(packet), undefined);
  }

  /**
   * Authenticates, replay-checks and decrypts an SRTCP packet (RFC 3711 §3.4, RFC 7714 §9). Writes into
   * `output` (which may be the packet's own buffer, for in-place work, but
   * must not otherwise overlap it) and returns the written view of it.
   */
  unprotectRtcpTo(packet: Uint8Array, output: Buffer): Buffer | SrtpError {
    return this.#unprotectRtcp(asBuffer(packet), output);
  }

  #unprotectRtcp(input: Buffer, target: Buffer | undefined): Buffer | SrtpError {
    const tagLength = this.profile.rtcpTagLength;
    const bodyLength = input.length - tagLength - SRTCP_INDEX_SIZE;
    if (bodyLength < RTCP_CLEAR_HEADER_SIZE) {
      return new SrtpError(
        'ERR_SRTP_TOO_SHORT',
        'unprotectRtcp',
        `${input.length} bytes is too short for SRTCP`,
      );
    }
    if (input[0] >> 6 !== 2) return badRtcpHeader('unprotectRtcp');
    const ssrc = input.readUInt32BE(4);
    const aead = this.#rtcp.aead;
    // AES-CM puts E+index before the tag, GCM after it.
    const indexOffset = aead ? bodyLength + tagLength : bodyLength;
    const tagOffset = aead ? bodyLength : bodyLength + SRTCP_INDEX_SIZE;
    const indexWord = input.readUInt32BE(indexOffset);
    const encrypted = (indexWord & SRTCP_ENCRYPTED_FLAG) !== 0;
    const index = indexWord & MAX_SRTCP_INDEX;
    const stream = this.#rtcpStreams.get(ssrc);
    if (stream && !stream.replay.check(index)) return replayed('unprotectRtcp', `SRTCP index ${index}`);

    const output = outputFor(target, bodyLength, 'unprotectRtcp');
    if (output instanceof SrtpError) return output;
    const tag = input.subarray(tagOffset, tagOffset + tagLength);
    if (this.#rtcp.aead) {
      const gcm = this.#rtcp.gcm;
      const iv = gcm.rtcpIv(ssrc, index);
      let authentic: boolean;
      if (encrypted) {
        const aad = this.#rtcpAad;
        input.copy(aad, 0, 0, RTCP_CLEAR_HEADER_SIZE);
        aad.writeUInt32BE(indexWord, RTCP_CLEAR_HEADER_SIZE);
        input.copy(output, 0, 0, RTCP_CLEAR_HEADER_SIZE);
        const ciphertext = input.subarray(RTCP_CLEAR_HEADER_SIZE, bodyLength);
        authentic = gcm.open(iv, aad, ciphertext, tag, output, RTCP_CLEAR_HEADER_SIZE);
      } else {
        // RFC 7714 §9.2: unencrypted SRTCP authenticates the whole packet and the E+index word.
        const aad = Buffer.allocUnsafe(bodyLength + SRTCP_INDEX_SIZE);
        input.copy(aad, 0, 0, bodyLength);
        aad.writeUInt32BE(indexWord, bodyLength);
        input.copy(output, 0, 0, bodyLength);
        authentic = gcm.open(iv, aad, aad.subarray(0, 0), tag, output, bodyLength);
      }
      if (!authentic) return authFailed('unprotectRtcp');
    } else {
      const cm = this.#rtcp.cm;
      if (!AesCmContext.tagMatches(cm.mac(input.subarray(0, tagOffset), undefined), tag)) {
        return authFailed('unprotectRtcp');
      }
      input.copy(output, 0, 0, encrypted ? RTCP_CLEAR_HEADER_SIZE : bodyLength);
      if (encrypted) {
        const ciphertext = input.subarray(RTCP_CLEAR_HEADER_SIZE, bodyLength);
        cm.crypt(ciphertext, output, RTCP_CLEAR_HEADER_SIZE, ssrc, index >>> 16, index & 0xffff);
      }
    }

    let accepted = stream;
    if (!accepted) {
      accepted = { nextIndex: 0, replay: new ReplayWindow(this.#replayWindowSize) };
      this.#rtcpStreams.set(ssrc, accepted);
    }
    accepted.replay.accept(index);
    return output;
  }
}

/** `target` cut to `length` bytes, a new buffer when there is none, or an error when it is too small. */
function outputFor(target: Buffer | undefined, length: number, site: SrtpErrorSite): Buffer | SrtpError {
  if (!target) return Buffer.allocUnsafe(length);
  if (target.length < length) {
    return new SrtpError(
      'ERR_SRTP_BUFFER_TOO_SMALL',
      site,
      `output needs ${length} bytes, has ${target.length}`,
    );
  }
  return target.subarray(0, length);
}

/** The session keys derived from master keying material of the right lengths. */
function checkedMasterKeys(profile: SrtpProfile, masterKey: Uint8Array, masterSalt: Uint8Array): DerivedKeys {
  if (masterKey.length !== profile.keyLength || masterSalt.length !== profile.saltLength) {
    throw new SrtpError(
      'ERR_SRTP_INVALID_ARGUMENT',
      'session',
      `${profile.name} needs a ${profile.keyLength}-byte master key and a ${profile.saltLength}-byte salt`,
    );
  }
  return deriveSessionKeys(profile, asBuffer(masterKey), asBuffer(masterSalt));
}

function badRtpHeader(site: SrtpErrorSite, length: number): SrtpError {
  return new SrtpError('ERR_SRTP_BAD_HEADER', site, `not a version-2 RTP header within ${length} bytes`);
}

function badRtcpHeader(site: SrtpErrorSite): SrtpError {
  return new SrtpError('ERR_SRTP_BAD_HEADER', site, 'not a version-2 RTCP header');
}

function authFailed(site: SrtpErrorSite): SrtpError {
  return new SrtpError('ERR_SRTP_AUTH_FAILED', site, 'authentication tag does not match');
}

function replayed(site: SrtpErrorSite, what: string): SrtpError {
  return new SrtpError('ERR_SRTP_REPLAYED', site, `replayed or too old: ${what}`);
}
