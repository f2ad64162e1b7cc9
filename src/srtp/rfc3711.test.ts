/**
 * RFC 3711 Appendix B test vectors: B.2 (AES-CM keystream) and B.3 (key
 * derivation with the AES-CM PRF). B.2 was cross-checked with
 * `openssl enc -aes-128-ctr -K 2B7E…4F3C -iv F0F1…FCFD0000`.
 */
import { describe, expect, it } from 'vitest';
import { AesCmContext } from './aes-cm.js';
import { deriveKey, deriveSessionKeys, KdfLabel } from './key-derivation.js';
import { AES128_CM_HMAC_SHA1_80 } from './profile.js';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');

describe('RFC 3711 B.2: AES-CM keystream', () => {
  const context = new AesCmContext({
    cipherKey: hex('2B7E151628AED2A6ABF7158809CF4F3C'),
    authKey: Buffer.alloc(20),
    salt: hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD'),
  });
  const blocks = 0xff02;
  const keystream = Buffer.alloc(blocks * 16);
  // SSRC 0, ROC 0, SEQ 0: the IV is the salt shifted by 16 bits.
  context.crypt(Buffer.alloc(blocks * 16), keystream, 0, 0, 0, 0);
  const block = (counter: number): string =>
    keystream
      .subarray(counter * 16, counter * 16 + 16)
      .toString('hex')
      .toUpperCase();

  it.each([
    [0x0000, 'E03EAD0935C95E80E166B16DD92B4EB4'],
    [0x0001, 'D23513162B02D0F72A43A2FE4A5F97AB'],
    [0x0002, '41E95B3BB0A2E8DD477901E4FCA894C0'],
    [0xfeff, 'EC8CDF7398607CB0F2D21675EA9EA1E4'],
    [0xff00, '362B7C3C6773516318A077D7FC5073AE'],
    [0xff01, '6A2CC3787889374FBEB4C81B17BA6C44'],
  ])('block %i', (counter, expected) => {
    expect(block(counter)).toBe(expected);
  });
});

describe('RFC 3711 B.3: key derivation', () => {
  const masterKey = hex('E1F97A0D3E018BE0D64FA32C06DE4139');
  const masterSalt = hex('0EC675AD498AFEEBB6960B3AABE6');

  it('derives the cipher key, salt and auth key', () => {
    const keys = deriveSessionKeys(AES128_CM_HMAC_SHA1_80, masterKey, masterSalt);
    expect(keys.rtp.cipherKey.toString('hex').toUpperCase()).toBe('C61E7A93744F39EE10734AFE3FF7A087');
    expect(keys.rtp.salt.toString('hex').toUpperCase()).toBe('30CBBC08863D8C85D49DB34A9AE1');
    expect(keys.rtp.authKey.toString('hex').toUpperCase()).toBe('CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4');
  });

  it('derives the full 94-byte authentication key of the appendix', () => {
    const authKey = deriveKey(masterKey, masterSalt, KdfLabel.rtpAuthentication, 94);
    expect(authKey).toEqual(
      hex(`CEBE321F6FF7716B6FD4AB49AF256A156D38BAA48F0A0ACF3C34E2359E6CDBCE
           E049646C43D9327AD175578EF72270986371C10C9A369AC2F94A8C5FBCDDDC25
           6D6E919A48B610EF17C2041E474035766B68642C59BBFC2F34DB60DBDFB2`),
    );
  });

  it('derives distinct SRTCP keys with labels 3 to 5', () => {
    const keys = deriveSessionKeys(AES128_CM_HMAC_SHA1_80, masterKey, masterSalt);
    expect(keys.rtcp.cipherKey).not.toEqual(keys.rtp.cipherKey);
    expect(keys.rtcp.cipherKey).toEqual(deriveKey(masterKey, masterSalt, KdfLabel.rtcpEncryption, 16));
    expect(keys.rtcp.authKey).toHaveLength(20);
    expect(keys.rtcp.salt).toHaveLength(14);
  });
});
