/**
 * Hello extensions (RFC 5246 §7.4.1.4) and the bodies of the ones DTLS-SRTP
 * for WebRTC needs:
 *
 *   struct { ExtensionType extension_type; opaque extension_data<0..2^16-1>; } Extension;
 *   Extension extensions<0..2^16-1>;
 *
 *   use_srtp (RFC 5764 §4.1.1):
 *     SRTPProtectionProfile SRTPProtectionProfiles<2..2^16-1>;  opaque srtp_mki<0..255>;
 *   supported_groups (RFC 8422 §5.1.1):     NamedGroup named_group_list<2..2^16-1>;
 *   ec_point_formats (RFC 8422 §5.1.2):     ECPointFormat ec_point_format_list<1..2^8-1>;
 *   signature_algorithms (RFC 5246 §7.4.1.4.1): SignatureAndHashAlgorithm <2..2^16-2>;
 *   extended_master_secret (RFC 7627 §5.1): empty;
 *   renegotiation_info (RFC 5746 §3.2):     opaque renegotiated_connection<0..255>;
 */
import { ExtensionType } from './constants.js';
import { type DtlsResult, decodeFailure, ok } from './errors.js';
import { ByteReader, decodeU16List, encodeU16List, withLength } from './reader.js';

/** One raw extension; `data` is a view into the hello. */
export interface RawExtension {
  type: number;
  data: Buffer;
}

/** The extensions this layer understands, decoded; unknown ones are ignored as RFC 5246 §7.4.1.4 allows. */
export interface HelloExtensions {
  /** use_srtp profiles and MKI, when present. */
  useSrtp?: { profiles: number[]; mki: Buffer };
  supportedGroups?: number[];
  ecPointFormats?: number[];
  signatureAlgorithms?: number[];
  extendedMasterSecret?: boolean;
  /** renegotiated_connection, when renegotiation_info is present (empty on an initial handshake). */
  renegotiationInfo?: Buffer;
}

/** Decodes an extensions block body (without its two-byte length). Never throws. */
export function decodeExtensions(block: Buffer): DtlsResult<HelloExtensions> {
  const reader = new ByteReader(block);
  const result: HelloExtensions = {};
  const seen = new Set<number>();
  while (reader.remaining > 0) {
    const type = reader.u16();
    const data = reader.vector16();
    if (reader.failed) return decodeFailure('extensions', 'extension runs past the block');
    // RFC 5246 §7.4.1.4: no more than one extension of each type.
    if (seen.has(type)) return decodeFailure('extensions', `extension ${type} appears twice`);
    seen.add(type);
    const decoded = decodeExtension(type, data, result);
    if (!decoded) return decodeFailure('extensions', `malformed extension ${type}`);
  }
  return ok(result);
}

/** Decodes one known extension into `into`; false when its body is malformed. */
function decodeExtension(type: number, data: Buffer, into: HelloExtensions): boolean {
  const reader = new ByteReader(data);
  switch (type) {
    case ExtensionType.useSrtp: {
      const profiles = decodeU16List(reader.vector16());
      const mki = reader.vector8();
      if (reader.failed || reader.remaining !== 0 || !profiles || profiles.length === 0) return false;
      into.useSrtp = { profiles, mki };
      return true;
    }
    case ExtensionType.supportedGroups:
    case ExtensionType.signatureAlgorithms: {
      const list = decodeU16List(reader.vector16());
      if (reader.failed || reader.remaining !== 0 || !list || list.length === 0) return false;
      if (type === ExtensionType.supportedGroups) into.supportedGroups = list;
      else into.signatureAlgorithms = list;
      return true;
    }
    case ExtensionType.ecPointFormats: {
      const formats = reader.vector8();
      if (reader.failed || reader.remaining !== 0 || formats.length === 0) return false;
      into.ecPointFormats = [...formats];
      return true;
    }
    case ExtensionType.extendedMasterSecret:
      if (data.length !== 0) return false;
      into.extendedMasterSecret = true;
      return true;
    case ExtensionType.renegotiationInfo: {
      const renegotiated = reader.vector8();
      if (reader.failed || reader.remaining !== 0) return false;
      into.renegotiationInfo = renegotiated;
      return true;
    }
    default:
      return true;
  }
}

/** Encodes extensions as a block with its two-byte length; an empty set encodes as nothing at all. */
export function encodeExtensions(extensions: HelloExtensions): Buffer {
  const parts: Buffer[] = [];
  const add = (type: number, data: Buffer) => {
    const header = Buffer.allocUnsafe(4);
    header.writeUInt16BE(type, 0);
    header.writeUInt16BE(data.length, 2);
    parts.push(header, data);
  };
  if (extensions.renegotiationInfo)
    add(ExtensionType.renegotiationInfo, withLength(1, extensions.renegotiationInfo));
  if (extensions.extendedMasterSecret) add(ExtensionType.extendedMasterSecret, Buffer.alloc(0));
  if (extensions.useSrtp) {
    add(
      ExtensionType.useSrtp,
      Buffer.concat([encodeU16List(extensions.useSrtp.profiles), withLength(1, extensions.useSrtp.mki)]),
    );
  }
  if (extensions.supportedGroups)
    add(ExtensionType.supportedGroups, encodeU16List(extensions.supportedGroups));
  if (extensions.ecPointFormats) {
    add(ExtensionType.ecPointFormats, withLength(1, Buffer.from(extensions.ecPointFormats)));
  }
  if (extensions.signatureAlgorithms) {
    add(ExtensionType.signatureAlgorithms, encodeU16List(extensions.signatureAlgorithms));
  }
  if (parts.length === 0) return Buffer.alloc(0);
  return withLength(2, Buffer.concat(parts));
}
