/**
 * RFC 7714 §16 and §17 test vectors for SRTP_AEAD_AES_128_GCM. The vectors
 * give the session key and salt directly, so the sessions skip derivation.
 */
import { describe, expect, it } from 'vitest';
import { AesGcmContext } from './aes-gcm.js';
import { SrtpError } from './errors.js';
import type { DerivedKeys } from './key-derivation.js';
import { AEAD_AES_128_GCM } from './profile.js';
import { SrtpSession } from './session.js';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');

const sessionKey = hex('000102030405060708090a0b0c0d0e0f');
const sessionSalt = hex('517569642070726f2071756f'); // "Quid pro quo"
const keys: DerivedKeys = {
  rtp: { cipherKey: sessionKey, authKey: Buffer.alloc(0), salt: sessionSalt },
  rtcp: { cipherKey: sessionKey, authKey: Buffer.alloc(0), salt: sessionSalt },
};
const newSession = (): SrtpSession => new SrtpSession({ profile: AEAD_AES_128_GCM, sessionKeys: keys });

// §16: "Gallia est omnis divisa in partes tres", SSRC 0x5501a0b2, SEQ 0xf17b, ROC 0.
const rtpPacket = hex(`8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973
                       20646976 69736120 696e2070 61727465 73207472 6573`);
const srtpPacket = hex(`8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca
                        be633bd5 0d294e6f 42a5f47a 51c7d19b 36de3adf 8833899d 7f27beb1
                        6a9152cf 765ee439 0cce`);

// §17: a sender report from SSRC "Mars", SRTCP index 0x5d4.
const rtcpPacket = hex(`81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930
                        4c756e61 deadbeef deadbeef deadbeef deadbeef deadbeef`);
const srtcpPacket = hex(`81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7
                         6c06f32d c676a5f1 730d6fda 4ce09b46 86303ded 0bb9275b c84aa458
                         96cf4d2f c5abf872 45d9eade 800005d4`);
const srtcpTagOnly = hex(`81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930
                          4c756e61 deadbeef deadbeef deadbeef deadbeef deadbeef 841dd968
                          3dd78ec9 2ae58790 125f62b3 000005d4`);

describe('RFC 7714 §8.1 and §9.1: IV formation', () => {
  const gcm = new AesGcmContext(keys.rtp);
  it('SRTP IV for SSRC 0x5501a0b2, ROC 0, SEQ 0xf17b', () => {
    expect(gcm.rtpIv(0x5501a0b2, 0, 0xf17b).toString('hex')).toBe('51753c6580c2726f20718414');
  });
  it('SRTCP IV for SSRC "Mars", index 0x5d4', () => {
    expect(gcm.rtcpIv(0x4d617273, 0x5d4).toString('hex')).toBe('517524055203726f207170bb');
  });
});

describe('RFC 7714 §16.1: SRTP AEAD_AES_128_GCM', () => {
  it('encrypts to the vector', () => {
    expect(newSession().protectRtp(rtpPacket)).toEqual(srtpPacket);
  });

  it('decrypts the vector, then rejects its replay', () => {
    const receiver = newSession();
    expect(receiver.unprotectRtp(srtpPacket)).toEqual(rtpPacket);
    const again = receiver.unprotectRtp(srtpPacket);
    expect(again).toBeInstanceOf(SrtpError);
    expect((again as SrtpError).code).toBe('ERR_SRTP_REPLAYED');
  });
});

describe('RFC 7714 §17: SRTCP AEAD_AES_128_GCM', () => {
  it('§17.1: encrypts to the vector at index 0x5d4', () => {
    const sender = newSession();
    let protectedPacket: Buffer | SrtpError = Buffer.alloc(0);
    for (let index = 0; index <= 0x5d4; index++) protectedPacket = sender.protectRtcp(rtcpPacket);
    expect(protectedPacket).toEqual(srtcpPacket);
  });

  it('§17.2 (128-bit key): decrypts the §17.1 vector', () => {
    expect(newSession().unprotectRtcp(srtcpPacket)).toEqual(rtcpPacket);
  });

  it('§17.3: verifies the authentication-only (E = 0) vector', () => {
    expect(newSession().unprotectRtcp(srtcpTagOnly)).toEqual(rtcpPacket);
  });

  it('rejects the §17.3 packet with its E flag set', () => {
    const flipped = Buffer.from(srtcpTagOnly);
    flipped[flipped.length - 4] |= 0x80;
    expect((newSession().unprotectRtcp(flipped) as SrtpError).code).toBe('ERR_SRTP_AUTH_FAILED');
  });
});
