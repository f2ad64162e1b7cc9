/**
 * Signature schemes for ServerKeyExchange and CertificateVerify (RFC 5246
 * §7.4.1.4.1 SignatureAndHashAlgorithm, numbered as the RFC 8446 §4.2.3
 * SignatureScheme registry). ECDSA signatures are DER (RFC 8422 §5.4).
 */
import { constants, type KeyObject, sign, verify } from 'node:crypto';

/** Signature schemes by their registry code. */
export const SignatureScheme = {
  rsaPkcs1Sha256: 0x0401,
  ecdsaSecp256r1Sha256: 0x0403,
  rsaPkcs1Sha384: 0x0501,
  ecdsaSecp384r1Sha384: 0x0503,
  rsaPkcs1Sha512: 0x0601,
  rsaPssRsaeSha256: 0x0804,
  rsaPssRsaeSha384: 0x0805,
  rsaPssRsaeSha512: 0x0806,
} as const;

interface SchemeInfo {
  hash: 'sha256' | 'sha384' | 'sha512';
  keyType: 'ec' | 'rsa';
  /** The curve an ECDSA scheme binds (TLS 1.3 style; accepted as the TLS 1.2 pair ecdsa+hash). */
  curve?: string;
  pss?: boolean;
}

const SCHEMES = new Map<number, SchemeInfo>([
  [SignatureScheme.ecdsaSecp256r1Sha256, { hash: 'sha256', keyType: 'ec', curve: 'prime256v1' }],
  [SignatureScheme.ecdsaSecp384r1Sha384, { hash: 'sha384', keyType: 'ec', curve: 'secp384r1' }],
  [SignatureScheme.rsaPkcs1Sha256, { hash: 'sha256', keyType: 'rsa' }],
  [SignatureScheme.rsaPkcs1Sha384, { hash: 'sha384', keyType: 'rsa' }],
  [SignatureScheme.rsaPkcs1Sha512, { hash: 'sha512', keyType: 'rsa' }],
  [SignatureScheme.rsaPssRsaeSha256, { hash: 'sha256', keyType: 'rsa', pss: true }],
  [SignatureScheme.rsaPssRsaeSha384, { hash: 'sha384', keyType: 'rsa', pss: true }],
  [SignatureScheme.rsaPssRsaeSha512, { hash: 'sha512', keyType: 'rsa', pss: true }],
]);

/** Schemes accepted from a peer, in preference order: what signature_algorithms and CertificateRequest list. */
export const VERIFY_SCHEMES: readonly number[] = [
  SignatureScheme.ecdsaSecp256r1Sha256,
  SignatureScheme.ecdsaSecp384r1Sha384,
  SignatureScheme.rsaPssRsaeSha256,
  SignatureScheme.rsaPkcs1Sha256,
  SignatureScheme.rsaPssRsaeSha384,
  SignatureScheme.rsaPkcs1Sha384,
  SignatureScheme.rsaPssRsaeSha512,
  SignatureScheme.rsaPkcs1Sha512,
];

/** True when `key` can sign or verify with `scheme`. */
export function schemeFitsKey(scheme: number, key: KeyObject): boolean {
  const info = SCHEMES.get(scheme);
  if (!info || key.asymmetricKeyType !== info.keyType) return false;
  if (info.keyType === 'ec') return key.asymmetricKeyDetails?.namedCurve === info.curve;
  return true;
}

/** The first of the peer's schemes (in our preference order) our private key can sign with, if any. */
export function chooseSigningScheme(
  peerSchemes: readonly number[],
  privateKey: KeyObject,
): number | undefined {
  return VERIFY_SCHEMES.find((scheme) => peerSchemes.includes(scheme) && schemeFitsKey(scheme, privateKey));
}

function options(info: SchemeInfo, key: KeyObject) {
  if (info.keyType === 'ec') return { key, dsaEncoding: 'der' as const };
  if (info.pss) {
    return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };
  }
  return { key, padding: constants.RSA_PKCS1_PADDING };
}

/** Signs `data` with `scheme`; the scheme must fit the key. */
export function signWithScheme(scheme: number, privateKey: KeyObject, data: Buffer): Buffer {
  const info = SCHEMES.get(scheme);
  if (!info) throw new RangeError(`unsupported signature scheme 0x${scheme.toString(16)}`);
  return sign(info.hash, data, options(info, privateKey));
}

/** True when `signature` over `data` verifies with `scheme` and the peer's public key. Never throws. */
export function verifyWithScheme(
  scheme: number,
  publicKey: KeyObject,
  data: Buffer,
  signature: Buffer,
): boolean {
  const info = SCHEMES.get(scheme);
  if (!info || !schemeFitsKey(scheme, publicKey)) return false;
  try {
    return verify(info.hash, data, options(info, publicKey), signature);
  } catch {
    return false;
  }
}
