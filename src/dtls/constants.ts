/** Wire constants of DTLS 1.2 (RFC 6347) and the TLS 1.2 registries it shares (RFC 5246). */

/** Record content types (RFC 5246 §6.2.1, RFC 6347 §4.1). */
export const ContentType = {
  changeCipherSpec: 20,
  alert: 21,
  handshake: 22,
  applicationData: 23,
} as const;

/** Handshake message types (RFC 5246 §7.4, RFC 6347 §4.3.2). */
export const HandshakeType = {
  helloRequest: 0,
  clientHello: 1,
  serverHello: 2,
  helloVerifyRequest: 3,
  certificate: 11,
  serverKeyExchange: 12,
  certificateRequest: 13,
  serverHelloDone: 14,
  certificateVerify: 15,
  clientKeyExchange: 16,
  finished: 20,
} as const;

/** DTLS protocol versions: the one's complement of the TLS version (RFC 6347 §4.1). */
export const ProtocolVersion = {
  dtls10: 0xfeff,
  dtls12: 0xfefd,
} as const;

/** TLS extension types used here. */
export const ExtensionType = {
  supportedGroups: 0x000a,
  ecPointFormats: 0x000b,
  signatureAlgorithms: 0x000d,
  useSrtp: 0x000e,
  extendedMasterSecret: 0x0017,
  renegotiationInfo: 0xff01,
} as const;

/** Named groups for ECDHE (RFC 8422 §5.1.1). */
export const NamedGroup = {
  secp256r1: 0x0017,
  x25519: 0x001d,
} as const;

/** ECPointFormat uncompressed (RFC 8422 §5.1.2). */
export const EC_POINT_FORMAT_UNCOMPRESSED = 0;

/** ECCurveType named_curve (RFC 8422 §5.4). */
export const EC_CURVE_TYPE_NAMED_CURVE = 3;

/** ClientCertificateType ecdsa_sign (RFC 8422 §5.5) and rsa_sign (RFC 5246 §7.4.4). */
export const ClientCertificateType = { rsaSign: 1, ecdsaSign: 64 } as const;

/** TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746 §3.3). */
export const EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff;

/** DTLS-SRTP protection profile identifiers (RFC 5764 §4.1.2, RFC 7714 §14.2). */
export const SrtpProtectionProfileId = {
  SRTP_AES128_CM_HMAC_SHA1_80: 0x0001,
  SRTP_AEAD_AES_128_GCM: 0x0007,
} as const;

/** Length of a ClientHello/ServerHello random. */
export const RANDOM_LENGTH = 32;

/** Length of Finished verify_data (RFC 5246 §7.4.9). */
export const VERIFY_DATA_LENGTH = 12;

/** Length of the master secret (RFC 5246 §8.1). */
export const MASTER_SECRET_LENGTH = 48;
