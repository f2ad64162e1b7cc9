import { describe, expect, it } from 'vitest';
import { decodeClientHello, encodeClientHello } from './client-hello.js';
import { ExtensionType, NamedGroup, SrtpProtectionProfileId } from './constants.js';
import { decodeExtensions, encodeExtensions, type HelloExtensions } from './extensions.js';
import { decodeServerHello, encodeServerHello } from './server-hello.js';
import { SignatureScheme } from './signature.js';

function block(...extensions: [number, Buffer][]): Buffer {
  return Buffer.concat(
    extensions.map(([type, data]) => {
      const header = Buffer.alloc(4);
      header.writeUInt16BE(type, 0);
      header.writeUInt16BE(data.length, 2);
      return Buffer.concat([header, data]);
    }),
  );
}

const all: HelloExtensions = {
  renegotiationInfo: Buffer.alloc(0),
  extendedMasterSecret: true,
  useSrtp: {
    profiles: [
      SrtpProtectionProfileId.SRTP_AEAD_AES_128_GCM,
      SrtpProtectionProfileId.SRTP_AES128_CM_HMAC_SHA1_80,
    ],
    mki: Buffer.alloc(0),
  },
  supportedGroups: [NamedGroup.x25519, NamedGroup.secp256r1],
  ecPointFormats: [0],
  signatureAlgorithms: [SignatureScheme.ecdsaSecp256r1Sha256, SignatureScheme.rsaPkcs1Sha256],
};

describe('hello extensions', () => {
  it('round-trips every extension', () => {
    const encoded = encodeExtensions(all);
    expect(encoded.readUInt16BE(0)).toBe(encoded.length - 2);
    const decoded = decodeExtensions(encoded.subarray(2));
    expect(decoded.ok && decoded.value).toEqual(all);
  });

  it('encodes use_srtp as RFC 5764 §4.1.1 lays it out', () => {
    const encoded = encodeExtensions({ useSrtp: { profiles: [0x0007, 0x0001], mki: Buffer.alloc(0) } });
    // block length 11, type 0x000e, data length 7, profiles length 4, 0x0007, 0x0001, empty MKI.
    expect(encoded.toString('hex')).toBe('000b' + '000e' + '0007' + '0004' + '0007' + '0001' + '00');
  });

  it('encodes the empty renegotiation_info and extended_master_secret', () => {
    expect(encodeExtensions({ renegotiationInfo: Buffer.alloc(0) }).toString('hex')).toBe('0005ff01000100');
    expect(encodeExtensions({ extendedMasterSecret: true }).toString('hex')).toBe('000400170000');
    expect(encodeExtensions({})).toHaveLength(0);
  });

  it('ignores unknown extensions', () => {
    const decoded = decodeExtensions(
      block([0x1234, Buffer.from('whatever')], [ExtensionType.extendedMasterSecret, Buffer.alloc(0)]),
    );
    expect(decoded.ok && decoded.value).toEqual({ extendedMasterSecret: true });
  });

  it('refuses duplicates and malformed bodies with decode_error', () => {
    const cases = [
      block(
        [ExtensionType.extendedMasterSecret, Buffer.alloc(0)],
        [ExtensionType.extendedMasterSecret, Buffer.alloc(0)],
      ),
      block([ExtensionType.extendedMasterSecret, Buffer.from([0])]),
      block([ExtensionType.supportedGroups, Buffer.from([0, 3, 0, 29, 0])]),
      block([ExtensionType.useSrtp, Buffer.from([0, 2, 0, 1])]), // MKI length missing
      block([ExtensionType.useSrtp, Buffer.from([0, 0, 0])]), // no profiles
      block([ExtensionType.ecPointFormats, Buffer.from([0])]),
      block([ExtensionType.renegotiationInfo, Buffer.from([2, 0])]),
      Buffer.from([0, 10, 0, 9, 0]),
    ];
    for (const bytes of cases) {
      const decoded = decodeExtensions(bytes);
      expect(decoded.ok).toBe(false);
      if (!decoded.ok) expect(decoded.error.alert).toBe(50);
    }
  });

  it('round-trips ClientHello and ServerHello with extensions', () => {
    const random = Buffer.alloc(32, 9);
    const hello = decodeClientHello(
      encodeClientHello({
        clientVersion: 0xfefd,
        random,
        cookie: Buffer.from('cookie'),
        cipherSuites: [0xc02b, 0x00ff],
        extensions: all,
      }),
    );
    if (!hello.ok) throw hello.error;
    expect(hello.value.cookie.toString()).toBe('cookie');
    expect(hello.value.cipherSuites).toEqual([0xc02b, 0x00ff]);
    expect(hello.value.extensions).toEqual(all);

    const server = decodeServerHello(
      encodeServerHello({
        serverVersion: 0xfefd,
        random,
        cipherSuite: 0xc02b,
        extensions: { extendedMasterSecret: true },
      }),
    );
    if (!server.ok) throw server.error;
    expect(server.value.cipherSuite).toBe(0xc02b);
    expect(server.value.extensions).toEqual({ extendedMasterSecret: true });
  });

  it('accepts a ClientHello without an extensions block', () => {
    const encoded = encodeClientHello({
      clientVersion: 0xfefd,
      random: Buffer.alloc(32),
      cookie: Buffer.alloc(0),
      cipherSuites: [0xc02b],
      extensions: {},
    });
    const decoded = decodeClientHello(encoded);
    expect(decoded.ok && decoded.value.extensions).toEqual({});
  });
});
