/**
 * The envelope of every message on the data channels of an `sfu` room
 * (docs/protocol.md, "Data channels in sfu rooms"). A data channel carries no
 * sender or recipients, so each message says them. Two forms:
 *
 * - A text message (a string) is one JSON object. Client to server:
 *   `{"payload": any, "topic"?: string, "to"?: [participant ids]}`; server to
 *   client: `{"from": participant id | null, "topic"?: string, "payload": any}`
 *   (`from: null`: the server or its admin API sent it).
 * - A binary message is a length-prefixed JSON header (the same fields but
 *   `payload`), then the payload bytes:
 *
 *        0                   1                   2                   3
 *        0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *       |  header length H (uint16 BE)  |  header: H bytes, UTF-8 JSON  |
 *       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+        object ...             |
 *       |                                                               |
 *       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *       |  payload: every byte after the header (may be none)          ...
 *       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The SDK writes the client-to-server form and reads the server-to-client
 * form. Decoders check every length before reading and return an
 * `EnvelopeError` instead of throwing.
 */
import { EnvelopeError } from './errors.js';

/** Longest topic, in UTF-16 code units (as the signaling `data` message). */
export const MAX_TOPIC_LENGTH = 128;
/** Most recipients one message names. */
export const MAX_RECIPIENTS = 256;
/** Largest binary header: its length is a 16-bit field. */
export const MAX_ENVELOPE_HEADER_BYTES = 0xffff;
/** Size of the binary header's length field. */
const HEADER_LENGTH_FIELD_BYTES = 2;

/** The routing fields a client puts in an envelope. */
export interface OutgoingEnvelopeHeader {
  topic?: string;
  /** Recipients; every other participant when absent. */
  to?: readonly string[];
}

/** An envelope as the server delivered it. */
export interface IncomingEnvelope {
  /** The sender's participant id; null when the server (admin API) sent it. */
  from: string | null;
  topic: string | undefined;
  /**
   * The parsed JSON of a text envelope; for a binary one, a Uint8Array view
   * of the received message after the header (the browser hands each message
   * its own ArrayBuffer, so the view stays valid for as long as it is kept).
   */
  payload: unknown;
  /** True for a binary envelope. */
  binary: boolean;
}

/** A decoder's outcome: the value, or why the input was refused. */
export type EnvelopeResult<T> = { ok: true; value: T } | { ok: false; error: EnvelopeError };

/** The two parts of a binary envelope, whatever its direction. */
export interface BinaryEnvelopeParts {
  header: Record<string, unknown>;
  /** A view into the decoded bytes (no copy). */
  payload: Uint8Array;
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * A text envelope, client to server. `undefined` as payload is sent as
 * `null` (the envelope must carry a payload); a value JSON cannot hold (a
 * function, a symbol) is refused with a TypeError, and so are BigInts and
 * cycles (by JSON.stringify itself).
 */
export function encodeTextEnvelope(header: OutgoingEnvelopeHeader, payload: unknown): string {
  const payloadJson = JSON.stringify(payload === undefined ? null : payload);
  if (payloadJson === undefined) throw new TypeError(`a ${typeof payload} is not a JSON value`);
  // Built by hand so that the payload is stringified once, whatever routing comes with it.
  let text = `{"payload":${payloadJson}`;
  if (header.topic !== undefined) text += `,"topic":${JSON.stringify(header.topic)}`;
  if (header.to !== undefined) text += `,"to":${JSON.stringify(header.to)}`;
  return `${text}}`;
}

/** The UTF-8 JSON header of a binary envelope, client to server; a RangeError past 65535 bytes. */
export function encodeBinaryHeader(header: OutgoingEnvelopeHeader): Uint8Array {
  const fields: OutgoingEnvelopeHeader = {};
  if (header.topic !== undefined) fields.topic = header.topic;
  if (header.to !== undefined) fields.to = header.to;
  const bytes = utf8Encoder.encode(JSON.stringify(fields));
  if (bytes.length > MAX_ENVELOPE_HEADER_BYTES)
    throw new RangeError(`the envelope header is ${bytes.length} bytes, over ${MAX_ENVELOPE_HEADER_BYTES}`);
  return bytes;
}

/** Size of a binary envelope with this header and a payload of `payloadLength` bytes. */
export function binaryEnvelopeSize(headerBytes: Uint8Array, payloadLength: number): number {
  return HEADER_LENGTH_FIELD_BYTES + headerBytes.length + payloadLength;
}

/**
 * Writes a binary envelope into `buf` at `offset` (the caller owns the
 * buffer); returns the bytes written. `headerBytes` comes from
 * encodeBinaryHeader (or any UTF-8 JSON object of at most 65535 bytes).
 */
export function encodeBinaryEnvelopeTo(
  buf: Uint8Array,
  offset: number,
  headerBytes: Uint8Array,
  payload: Uint8Array,
): number {
  if (headerBytes.length > MAX_ENVELOPE_HEADER_BYTES)
    throw new RangeError(
      `the envelope header is ${headerBytes.length} bytes, over ${MAX_ENVELOPE_HEADER_BYTES}`,
    );
  const size = binaryEnvelopeSize(headerBytes, payload.length);
  if (!Number.isInteger(offset) || offset < 0 || offset + size > buf.length)
    throw new RangeError(`${size} bytes do not fit at offset ${offset} of a ${buf.length}-byte buffer`);
  buf[offset] = headerBytes.length >>> 8;
  buf[offset + 1] = headerBytes.length & 0xff;
  buf.set(headerBytes, offset + HEADER_LENGTH_FIELD_BYTES);
  buf.set(payload, offset + HEADER_LENGTH_FIELD_BYTES + headerBytes.length);
  return size;
}

/** A binary envelope, client to server, in a buffer of its own. */
export function encodeBinaryEnvelope(
  header: OutgoingEnvelopeHeader,
  payload: Uint8Array,
): Uint8Array<ArrayBuffer> {
  const headerBytes = encodeBinaryHeader(header);
  const buf = new Uint8Array(binaryEnvelopeSize(headerBytes, payload.length));
  encodeBinaryEnvelopeTo(buf, 0, headerBytes, payload);
  return buf;
}

/** Splits a binary envelope into its header object and a view of its payload. */
export function decodeBinaryEnvelope(bytes: Uint8Array): EnvelopeResult<BinaryEnvelopeParts> {
  if (bytes.length < HEADER_LENGTH_FIELD_BYTES)
    return refuse(
      'ERR_ENVELOPE_TRUNCATED',
      `a binary envelope of ${bytes.length} bytes has no header length`,
    );
  const headerLength = (bytes[0] << 8) | bytes[1];
  const payloadStart = HEADER_LENGTH_FIELD_BYTES + headerLength;
  if (payloadStart > bytes.length)
    return refuse(
      'ERR_ENVELOPE_TRUNCATED',
      `the ${headerLength}-byte header runs past the ${bytes.length}-byte envelope`,
    );
  let headerText: string;
  try {
    headerText = utf8Decoder.decode(bytes.subarray(HEADER_LENGTH_FIELD_BYTES, payloadStart));
  } catch {
    return refuse('ERR_ENVELOPE_BAD_UTF8', 'the binary header is not UTF-8');
  }
  const header = parseObject(headerText, 'the binary header');
  if (!header.ok) return header;
  return { ok: true, value: { header: header.value, payload: bytes.subarray(payloadStart) } };
}

/** Parses a text envelope into its JSON object, whatever its direction. */
export function decodeTextEnvelope(text: string): EnvelopeResult<Record<string, unknown>> {
  return parseObject(text, 'a text envelope');
}

/**
 * Reads a message the server sent on a data channel (`MessageEvent.data`): a
 * string is a text envelope, an ArrayBuffer or a view of one a binary
 * envelope. Anything else, or an envelope without a valid `from`, `topic` or
 * (text) `payload`, is an error result. Unknown fields are ignored, so that a
 * newer server may add some.
 */
export function decodeIncomingEnvelope(data: unknown): EnvelopeResult<IncomingEnvelope> {
  if (typeof data === 'string') {
    const parsed = decodeTextEnvelope(data);
    if (!parsed.ok) return parsed;
    if (!('payload' in parsed.value))
      return refuse('ERR_ENVELOPE_NO_PAYLOAD', 'the text envelope has no payload');
    return incoming(parsed.value, parsed.value.payload, false);
  }
  let bytes: Uint8Array;
  if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
  else if (ArrayBuffer.isView(data)) bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  else return refuse('ERR_ENVELOPE_UNSUPPORTED_TYPE', `a message of type ${typeof data} is no envelope`);
  const parts = decodeBinaryEnvelope(bytes);
  if (!parts.ok) return parts;
  return incoming(parts.value.header, parts.value.payload, true);
}

/**
 * The number of bytes `text` takes in UTF-8 (what a data channel sends for a
 * string), without encoding it. A lone surrogate counts 3 bytes, as the
 * U+FFFD that TextEncoder writes for it.
 */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && (text.charCodeAt(index + 1) & 0xfc00) === 0xdc00) {
      bytes += 4; // a surrogate pair: one code point past U+FFFF
      index++;
    } else bytes += 3;
  }
  return bytes;
}

/** Checks the server-to-client routing fields of a decoded header or text envelope. */
function incoming(
  fields: Record<string, unknown>,
  payload: unknown,
  binary: boolean,
): EnvelopeResult<IncomingEnvelope> {
  const { from, topic } = fields;
  if (from !== null && typeof from !== 'string')
    return refuse('ERR_ENVELOPE_BAD_FROM', '"from" must be a participant id or null');
  if (topic !== undefined && typeof topic !== 'string')
    return refuse('ERR_ENVELOPE_BAD_TOPIC', '"topic" must be a string when present');
  return { ok: true, value: { from, topic, payload, binary } };
}

function parseObject(text: string, what: string): EnvelopeResult<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return refuse('ERR_ENVELOPE_BAD_JSON', `${what} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return refuse('ERR_ENVELOPE_NOT_OBJECT', `${what} is not a JSON object`);
  return { ok: true, value: value as Record<string, unknown> };
}

function refuse(code: EnvelopeError['code'], message: string): { ok: false; error: EnvelopeError } {
  return { ok: false, error: new EnvelopeError(code, message) };
}
