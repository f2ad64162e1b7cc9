/**
 * Self-signed X.509 v3 certificates (RFC 5280) on node:crypto alone: the TLS
 * certificate for TURN over TLS in `--dev` mode, and the ECDSA P-256
 * certificate a DTLS endpoint generates at start and announces through its
 * SDP fingerprint (RFC 8122 §5, RFC 8827 §6.5).
 *
 *   Certificate ::= SEQUENCE {
 *     tbsCertificate       TBSCertificate,
 *     signatureAlgorithm   AlgorithmIdentifier,
 *     signatureValue       BIT STRING }
 *
 *   TBSCertificate ::= SEQUENCE {
 *     version         [0] EXPLICIT Version DEFAULT v1,   -- v3 = 2
 *     serialNumber         CertificateSerialNumber,
 *     signature            AlgorithmIdentifier,
 *     issuer               Name,
 *     validity             Validity,
 *     subject              Name,
 *     subjectPublicKeyInfo SubjectPublicKeyInfo,
 *     extensions      [3] EXPLICIT Extensions OPTIONAL }
 */
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import {
  derBitString,
  derBoolean,
  derExplicit,
  derGeneralizedTime,
  derImplicit,
  derInteger,
  derNamedBits,
  derNull,
  derObjectIdentifier,
  derOctetString,
  derSequence,
  derSetOf,
  derUtcTime,
  derUtf8String,
} from './der.js';
import { UtilError } from './errors.js';
import { parseIp } from './ip.js';

/** Key algorithms the generator can make: P-256 for DTLS and modern TLS, RSA for old TLS clients. */
export type CertificateKeyType = 'ec-p256' | 'rsa-2048';

/** What to put in a self-signed certificate; every field has a development-friendly default. */
export interface SelfSignedOptions {
  /** Subject and issuer CN, 1–64 characters (RFC 5280 ub-common-name). Default 'localhost'. */
  commonName?: string;
  /** Default 'ec-p256'. */
  keyType?: CertificateKeyType;
  /** Lifetime in days counted from `notBefore` when given, else from now. Default 30. */
  validityDays?: number;
  /**
   * Subject alternative names, used exactly as given. When omitted: the common
   * name (as a DNS name, or as an IP when it is an address literal) plus the
   * loopback addresses 127.0.0.1 and ::1.
   */
  subjectAltNames?: { dns?: string[]; ip?: string[] };
  /** Start of validity. Default: now minus one day, so peers with a slow clock accept it. */
  notBefore?: Date;
}

/** A generated certificate with its key, in the forms the TLS and DTLS layers take. */
export interface SelfSignedCertificate {
  /** The certificate as one PEM block. */
  certPem: string;
  /** The private key as PKCS #8 PEM. */
  keyPem: string;
  /** The certificate's DER encoding, which is what fingerprints are computed over. */
  certDer: Buffer;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** SHA-256 of the DER as uppercase colon-separated hex, the form of an SDP a=fingerprint (RFC 8122 §5). */
  fingerprintSha256: string;
  /** Validity bounds as encoded, whole seconds. */
  notBefore: Date;
  notAfter: Date;
}

const DAY_MS = 86_400_000;
const DEFAULT_VALIDITY_DAYS = 30;
const CLOCK_SKEW_MS = DAY_MS;
/** RFC 5280 Appendix A upper bound for a common name. */
const MAX_COMMON_NAME_LENGTH = 64;
/** 16 random bytes with the top bit cleared: positive and within the 20-octet limit of RFC 5280 §4.1.2.2. */
const SERIAL_LENGTH = 16;

const Oid = {
  commonName: '2.5.4.3',
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  sha256WithRsaEncryption: '1.2.840.113549.1.1.11',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extendedKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/** KeyUsage bit positions (RFC 5280 §4.2.1.3). */
const KeyUsageBit = { digitalSignature: 0, keyEncipherment: 2 } as const;

/** GeneralName CHOICE tags used in subjectAltName (RFC 5280 §4.2.1.6). */
const GeneralNameTag = { dnsName: 2, ipAddress: 7 } as const;

/** The first instant UTCTime cannot express; from here on X.509 switches to GeneralizedTime. */
const GENERALIZED_TIME_FROM = Date.UTC(2050, 0, 1);
/** UTCTime starts at 1950; earlier dates also need GeneralizedTime. */
const UTC_TIME_FROM = Date.UTC(1950, 0, 1);
/** The first second GeneralizedTime's four-digit year can hold. */
const EARLIEST_TIME = Date.parse('0000-01-01T00:00:00Z');
/** The last second GeneralizedTime's four-digit year can hold. */
const LATEST_TIME = Date.UTC(9999, 11, 31, 23, 59, 59);

function invalidOption(message: string): UtilError {
  return new UtilError('ERR_CERT_INVALID_OPTION', message);
}

/**
 * Generates a fresh key pair and a certificate for it, signed by itself.
 * Throws a UtilError (ERR_CERT_INVALID_OPTION) when an option is unusable.
 */
export function generateSelfSignedCertificate(options: SelfSignedOptions = {}): SelfSignedCertificate {
  const commonName = options.commonName ?? 'localhost';
  if (commonName.length === 0 || commonName.length > MAX_COMMON_NAME_LENGTH) {
    throw invalidOption(
      `commonName must be 1 to ${MAX_COMMON_NAME_LENGTH} characters, got ${commonName.length}`,
    );
  }
  const keyType = options.keyType ?? 'ec-p256';
  if (keyType !== 'ec-p256' && keyType !== 'rsa-2048') throw invalidOption(`unknown keyType "${keyType}"`);
  const validityDays = options.validityDays ?? DEFAULT_VALIDITY_DAYS;
  if (!Number.isFinite(validityDays) || validityDays <= 0) {
    throw invalidOption(`validityDays must be a positive number, got ${validityDays}`);
  }
  if (options.notBefore !== undefined && Number.isNaN(options.notBefore.getTime())) {
    throw invalidOption('notBefore is an invalid Date');
  }

  // DER times hold whole seconds, so round here and report exactly what was encoded.
  const start = options.notBefore?.getTime() ?? Date.now();
  const notBefore = new Date(floorToSecond(options.notBefore ? start : start - CLOCK_SKEW_MS));
  const notAfter = new Date(floorToSecond(start + validityDays * DAY_MS));
  if (notBefore.getTime() < EARLIEST_TIME || notAfter.getTime() > LATEST_TIME) {
    throw invalidOption('validity must lie within the years 0000 to 9999 that GeneralizedTime can express');
  }
  if (notAfter.getTime() <= notBefore.getTime()) {
    throw invalidOption('validity must last at least one second');
  }

  const altNames = options.subjectAltNames ?? defaultAltNames(commonName);
  const generalNames = [
    ...(altNames.dns ?? []).map(encodeDnsName),
    ...(altNames.ip ?? []).map(encodeIpAddress),
  ];

  const { privateKey, publicKey } =
    keyType === 'ec-p256'
      ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });

  const signatureAlgorithm =
    keyType === 'ec-p256'
      ? // RFC 5758 §3.2: the parameters field is absent for ecdsa-with-SHA256.
        derSequence(derObjectIdentifier(Oid.ecdsaWithSha256))
      : // RFC 4055 §5: the parameters are NULL for the PKCS #1 v1.5 signatures.
        derSequence(derObjectIdentifier(Oid.sha256WithRsaEncryption), derNull());

  const name = encodeName(commonName);
  const extensions: Buffer[] = [
    // A leaf, not a CA: pinning it by fingerprint or as its own trust anchor must not let it sign others.
    // cA FALSE is the DEFAULT, which DER leaves out, hence the empty SEQUENCE.
    encodeExtension(Oid.basicConstraints, true, derSequence()),
    // ECDHE suites only need signatures; RSA key exchange (TLS 1.2 clients) also encrypts to the key.
    encodeExtension(
      Oid.keyUsage,
      true,
      derNamedBits(
        keyType === 'ec-p256'
          ? [KeyUsageBit.digitalSignature]
          : [KeyUsageBit.digitalSignature, KeyUsageBit.keyEncipherment],
      ),
    ),
    // Both: the same certificate serves a TLS server and either side of a DTLS handshake.
    encodeExtension(
      Oid.extendedKeyUsage,
      false,
      derSequence(derObjectIdentifier(Oid.serverAuth), derObjectIdentifier(Oid.clientAuth)),
    ),
  ];
  if (generalNames.length > 0) {
    // Not critical: the subject is not empty (RFC 5280 §4.2.1.6).
    extensions.push(encodeExtension(Oid.subjectAltName, false, derSequence(...generalNames)));
  }

  const tbsCertificate = derSequence(
    derExplicit(0, derInteger(2)),
    derInteger(randomSerial()),
    signatureAlgorithm,
    name,
    derSequence(encodeTime(notBefore), encodeTime(notAfter)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    derExplicit(3, derSequence(...extensions)),
  );
  // For EC keys the DER form is the ECDSA-Sig-Value SEQUENCE that RFC 5758 §3.2 puts in the BIT STRING;
  // for RSA the default is PKCS #1 v1.5, which sha256WithRSAEncryption names.
  const signature = sign('sha256', tbsCertificate, { key: privateKey, dsaEncoding: 'der' });
  const certDer = derSequence(tbsCertificate, signatureAlgorithm, derBitString(signature));

  return {
    certPem: toPem('CERTIFICATE', certDer),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    certDer,
    privateKey,
    publicKey,
    fingerprintSha256: fingerprintSha256(certDer),
    notBefore,
    notAfter,
  };
}

/** SHA-256 of a DER certificate as uppercase colon-separated hex ("AB:CD:…"), as in SDP and X509Certificate.fingerprint256. */
export function fingerprintSha256(certDer: Uint8Array): string {
  const hex = createHash('sha256').update(certDer).digest('hex').toUpperCase();
  return hex.match(/../g)!.join(':');
}

function floorToSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

function defaultAltNames(commonName: string): { dns: string[]; ip: string[] } {
  const loopback = ['127.0.0.1', '::1'];
  if (parseIp(commonName) && !commonName.includes('%')) {
    return { dns: [], ip: loopback.includes(commonName) ? loopback : [commonName, ...loopback] };
  }
  // A descriptive common name ("Switchboard DTLS") names no host, so it stays out of the SAN.
  return { dns: isDnsName(commonName) ? [commonName] : [], ip: loopback };
}

/** Positive serial of exactly SERIAL_LENGTH bytes, so every certificate's serial has the same size. */
function randomSerial(): Buffer {
  const serial = randomBytes(SERIAL_LENGTH);
  // Top bit clear keeps the INTEGER positive without a padding byte (RFC 5280 §4.1.2.2 requires positive);
  // a non-zero first byte keeps DER from shortening it, and costs under one bit of the 127 random ones.
  serial[0] &= 0x7f;
  if (serial[0] === 0) serial[0] = 1;
  return serial;
}

/** Name with a single RDN holding the common name; UTF8String as RFC 5280 §4.1.2.4 prefers. */
function encodeName(commonName: string): Buffer {
  return derSequence(derSetOf(derSequence(derObjectIdentifier(Oid.commonName), derUtf8String(commonName))));
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050 (and before 1950). */
function encodeTime(date: Date): Buffer {
  const ms = date.getTime();
  return ms >= UTC_TIME_FROM && ms < GENERALIZED_TIME_FROM ? derUtcTime(date) : derGeneralizedTime(date);
}

/** Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }. */
function encodeExtension(oid: string, critical: boolean, value: Buffer): Buffer {
  // DER omits a field equal to its DEFAULT (X.690 §11.5), so FALSE is never written.
  return critical
    ? derSequence(derObjectIdentifier(oid), derBoolean(true), derOctetString(value))
    : derSequence(derObjectIdentifier(oid), derOctetString(value));
}

const DNS_LABEL = '[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?';
const DNS_NAME = new RegExp(`^(?:\\*\\.)?${DNS_LABEL}(?:\\.${DNS_LABEL})*$`);

/**
 * True for a dNSName in preferred name syntax (RFC 5280 §4.2.1.6): ASCII
 * labels, an optional leading "*." wildcard. Internationalized names must
 * arrive as A-labels (punycode); an IA5String cannot carry anything else.
 */
function isDnsName(name: string): boolean {
  return name.length <= 253 && DNS_NAME.test(name);
}

function encodeDnsName(name: string): Buffer {
  if (!isDnsName(name)) throw invalidOption(`"${name}" is not a valid DNS name for a SAN`);
  // The syntax admits ASCII only, so the IA5String contents are the text's bytes.
  return derImplicit(GeneralNameTag.dnsName, Buffer.from(name, 'latin1'));
}

/** iPAddress: the 4 or 16 network-order bytes (RFC 5280 §4.2.1.6). A zone index has no encoding, so it is refused. */
function encodeIpAddress(address: string): Buffer {
  const bytes = address.includes('%') ? undefined : parseIp(address);
  if (!bytes) throw invalidOption(`"${address}" is not an IP address literal for a SAN`);
  return derImplicit(GeneralNameTag.ipAddress, bytes);
}

function toPem(label: string, der: Uint8Array): string {
  const base64 = Buffer.from(der).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
