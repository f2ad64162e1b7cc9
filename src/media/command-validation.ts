/**
 * Checks of media worker command parameters. A command comes as plain data
 * from another thread (or a structured clone in-process), typed only by
 * convention, so every field the engine reads is checked here first; a
 * refusal is a MediaWorkerError with ERR_MEDIA_INVALID_ARGUMENT naming the
 * field, never a TypeError deep inside the engine.
 */
import type { DtlsFingerprint } from '../dtls/index.js';
import type {
  RtcpFeedback,
  RtpCodecParameters,
  RtpEncodingParameters,
  RtpHeaderExtensionParameters,
  RtpParameters,
} from '../sdp/rtp-parameters.js';
import { type SrtpProfileName, srtpProfileByName } from '../srtp/index.js';
import { MediaWorkerError } from './worker-errors.js';

/** Longest id, mid, ufrag and the like accepted. */
const MAX_TOKEN_LENGTH = 256;
/** Most entries of one list in RTP parameters. */
const MAX_LIST_LENGTH = 64;

/** An untyped object read from a message. */
export type Fields = Record<string, unknown>;

function invalid(path: string, expectation: string): MediaWorkerError {
  return new MediaWorkerError('ERR_MEDIA_INVALID_ARGUMENT', `${path} must be ${expectation}`);
}

/** True for a non-null, non-array object. */
export function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The params of a command: an object; absent counts as empty. */
export function readParams(value: unknown): Fields {
  if (value === undefined) return {};
  if (!isFields(value)) throw invalid('params', 'an object');
  return value;
}

/** A required non-empty string of at most MAX_TOKEN_LENGTH characters. */
export function readString(fields: Fields, key: string, path = key): string {
  const value = fields[key];
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_TOKEN_LENGTH) {
    throw invalid(path, `a string of 1–${MAX_TOKEN_LENGTH} characters`);
  }
  return value;
}

/** An optional string, as readString. */
export function readOptionalString(fields: Fields, key: string, path = key): string | undefined {
  return fields[key] === undefined ? undefined : readString(fields, key, path);
}

/** An optional boolean. */
export function readOptionalBoolean(fields: Fields, key: string, path = key): boolean | undefined {
  const value = fields[key];
  if (value !== undefined && typeof value !== 'boolean') throw invalid(path, 'a boolean');
  return value;
}

/** An integer in [min, max]. */
export function readInteger(fields: Fields, key: string, min: number, max: number, path = key): number {
  const value = fields[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(path, `an integer from ${min} to ${max}`);
  }
  return value;
}

/** An optional integer in [min, max]. */
export function readOptionalInteger(
  fields: Fields,
  key: string,
  min: number,
  max: number,
  path = key,
): number | undefined {
  return fields[key] === undefined ? undefined : readInteger(fields, key, min, max, path);
}

/** A required object field. */
export function readObject(fields: Fields, key: string, path = key): Fields {
  const value = fields[key];
  if (!isFields(value)) throw invalid(path, 'an object');
  return value;
}

/** An array field of at most MAX_LIST_LENGTH entries, each read by `read`. */
function readList<T>(
  fields: Fields,
  key: string,
  path: string,
  read: (item: unknown, path: string) => T,
): T[] {
  const value = fields[key];
  if (!Array.isArray(value) || value.length > MAX_LIST_LENGTH) {
    throw invalid(path, `an array of at most ${MAX_LIST_LENGTH} entries`);
  }
  return value.map((item, index) => read(item, `${path}[${index}]`));
}

/** Free-form owner data: any plain object, or absent. */
export function readAppData(fields: Fields, key = 'appData'): Record<string, unknown> | undefined {
  const value = fields[key];
  if (value === undefined) return undefined;
  if (!isFields(value)) throw invalid(key, 'an object');
  return value;
}

/** One of the listed strings. */
export function readChoice<T extends string>(
  fields: Fields,
  key: string,
  choices: readonly T[],
  path = key,
): T {
  const value = fields[key];
  if (typeof value !== 'string' || !choices.includes(value as T)) {
    throw invalid(path, `one of ${choices.join(', ')}`);
  }
  return value as T;
}

/** ICE credentials (RFC 8839 §5.4 lengths are checked by the agent). */
export function readIceCredentials(
  fields: Fields,
  key: string,
): { usernameFragment: string; password: string } | undefined {
  if (fields[key] === undefined) return undefined;
  const ice = readObject(fields, key);
  return {
    usernameFragment: readString(ice, 'usernameFragment', `${key}.usernameFragment`),
    password: readString(ice, 'password', `${key}.password`),
  };
}

/** A non-empty list of certificate fingerprints. */
export function readFingerprints(fields: Fields, key: string, path = key): DtlsFingerprint[] {
  const list = readList(fields, key, path, (item, itemPath) => {
    if (!isFields(item)) throw invalid(itemPath, 'an object');
    return {
      algorithm: readString(item, 'algorithm', `${itemPath}.algorithm`),
      value: readString(item, 'value', `${itemPath}.value`),
    };
  });
  if (list.length === 0) throw invalid(path, 'a non-empty array');
  return list;
}

/** Known SRTP profile names. */
export function readSrtpProfiles(fields: Fields, key: string): SrtpProfileName[] | undefined {
  if (fields[key] === undefined) return undefined;
  const list = readList(fields, key, key, (item, path) => {
    if (typeof item !== 'string' || !srtpProfileByName(item)) throw invalid(path, 'an SRTP profile name');
    return item as SrtpProfileName;
  });
  if (list.length === 0) throw invalid(key, 'a non-empty array');
  return list;
}

/** RTP header extensions with their ids (RFC 8285: 1–14 one-byte, up to 255 two-byte). */
export function readHeaderExtensions(
  fields: Fields,
  key: string,
  path = key,
): RtpHeaderExtensionParameters[] {
  return readList(fields, key, path, (item, itemPath) => {
    if (!isFields(item)) throw invalid(itemPath, 'an object');
    return {
      uri: readString(item, 'uri', `${itemPath}.uri`),
      id: readInteger(item, 'id', 1, 255, `${itemPath}.id`),
    };
  });
}

function readCodec(item: unknown, path: string): RtpCodecParameters {
  if (!isFields(item)) throw invalid(path, 'an object');
  const parameters =
    item['parameters'] === undefined ? {} : readObject(item, 'parameters', `${path}.parameters`);
  for (const [name, value] of Object.entries(parameters)) {
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw invalid(`${path}.parameters.${name}`, 'a string or a number');
    }
  }
  const codec: RtpCodecParameters = {
    mimeType: readString(item, 'mimeType', `${path}.mimeType`),
    payloadType: readInteger(item, 'payloadType', 0, 127, `${path}.payloadType`),
    clockRate: readInteger(item, 'clockRate', 1, 0xffff_ffff, `${path}.clockRate`),
    parameters: parameters as Record<string, string | number>,
    rtcpFeedback:
      item['rtcpFeedback'] === undefined
        ? []
        : readList(item, 'rtcpFeedback', `${path}.rtcpFeedback`, (entry, entryPath): RtcpFeedback => {
            if (!isFields(entry)) throw invalid(entryPath, 'an object');
            const parameter = readOptionalString(entry, 'parameter', `${entryPath}.parameter`);
            return {
              type: readString(entry, 'type', `${entryPath}.type`),
              ...(parameter === undefined ? {} : { parameter }),
            };
          }),
  };
  const channels = readOptionalInteger(item, 'channels', 1, 255, `${path}.channels`);
  if (channels !== undefined) codec.channels = channels;
  return codec;
}

function readEncoding(item: unknown, path: string): RtpEncodingParameters {
  if (!isFields(item)) throw invalid(path, 'an object');
  const encoding: RtpEncodingParameters = {};
  const ssrc = readOptionalInteger(item, 'ssrc', 0, 0xffff_ffff, `${path}.ssrc`);
  if (ssrc !== undefined) encoding.ssrc = ssrc;
  if (item['rtx'] !== undefined) {
    const rtx = readObject(item, 'rtx', `${path}.rtx`);
    encoding.rtx = { ssrc: readInteger(rtx, 'ssrc', 0, 0xffff_ffff, `${path}.rtx.ssrc`) };
  }
  const rid = readOptionalString(item, 'rid', `${path}.rid`);
  if (rid !== undefined) encoding.rid = rid;
  return encoding;
}

/** RTP parameters of a producer, checked field by field. */
export function readRtpParameters(fields: Fields, key: string): RtpParameters {
  const value = readObject(fields, key);
  const codecs = readList(value, 'codecs', `${key}.codecs`, readCodec);
  if (codecs.length === 0) throw invalid(`${key}.codecs`, 'a non-empty array');
  const rtcp = value['rtcp'] === undefined ? {} : readObject(value, 'rtcp', `${key}.rtcp`);
  const cname = readOptionalString(rtcp, 'cname', `${key}.rtcp.cname`);
  const parameters: RtpParameters = {
    codecs,
    headerExtensions:
      value['headerExtensions'] === undefined
        ? []
        : readHeaderExtensions(value, 'headerExtensions', `${key}.headerExtensions`),
    encodings:
      value['encodings'] === undefined ? [] : readList(value, 'encodings', `${key}.encodings`, readEncoding),
    rtcp: {
      reducedSize: readOptionalBoolean(rtcp, 'reducedSize', `${key}.rtcp.reducedSize`) ?? true,
      ...(cname === undefined ? {} : { cname }),
    },
  };
  const mid = readOptionalString(value, 'mid', `${key}.mid`);
  if (mid !== undefined) parameters.mid = mid;
  return parameters;
}
