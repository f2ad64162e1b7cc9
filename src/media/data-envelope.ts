/**
 * The envelope of every message on the data channels of an `sfu` room
 * (docs/protocol.md, "Data channels in sfu rooms"). A browser's data
 * channel carries no sender or recipients, so each message says them:
 *
 * - A text message is one JSON object. From a participant:
 *   `{"payload": any, "topic"?: string, "to"?: [ids]}`; to a participant:
 *   `{"from": id | null, "topic"?: string, "payload": any}` (`null`: the
 *   server or the admin API sent it).
 * - A binary message is a 16-bit big-endian header length H, H bytes of
 *   UTF-8 JSON header (the same fields but `payload`), then the payload bytes.
 *
 * The server reads what a participant sends with decodeIncomingEnvelope
 * (never throws: garbage is an error result) and writes what it delivers
 * with encodeOutgoingEnvelope, with the sender it knows, never one the
 * sender claimed.
 */

/** Longest topic, in characters (as the signaling `data` message). */
export const MAX_TOPIC_LENGTH = 128;
/** Most recipients one message names. */
export const MAX_RECIPIENTS = 256;
/** Longest participant id accepted in `to`. */
export const MAX_RECIPIENT_LENGTH = 64;
/** Largest binary header. */
const MAX_HEADER_BYTES = 0xffff;

/** A message as a participant sent it. */
export interface IncomingEnvelope {
  topic?: string;
  /** Recipients; every other participant when absent. */
  to?: string[];
  /** Text envelope: the payload as JSON text (re-sent as is); binary: the payload bytes. */
  payload: { kind: 'json'; text: string } | { kind: 'binary'; bytes: Buffer };
}

/** Why an envelope was refused. */
export type EnvelopeResult = { ok: true; value: IncomingEnvelope } | { ok: false; error: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks the routing fields shared by both forms; an error text or the fields. */
function readRouting(
  header: Record<string, unknown>,
  allowed: ReadonlySet<string>,
): { ok: true; topic?: string; to?: string[] } | { ok: false; error: string } {
  for (const key of Object.keys(header)) {
    if (!allowed.has(key)) return { ok: false, error: `unknown field ${JSON.stringify(key.slice(0, 32))}` };
  }
  const { topic, to } = header;
  if (topic !== undefined && (typeof topic !== 'string' || topic.length > MAX_TOPIC_LENGTH))
    return { ok: false, error: `topic must be a string of at most ${MAX_TOPIC_LENGTH} characters` };
  if (
    to !== undefined &&
    (!Array.isArray(to) ||
      to.length > MAX_RECIPIENTS ||
      !to.every(
        (entry) => typeof entry === 'string' && entry.length > 0 && entry.length <= MAX_RECIPIENT_LENGTH,
      ))
  )
    return {
      ok: false,
      error: `to must be at most ${MAX_RECIPIENTS} participant ids of 1–${MAX_RECIPIENT_LENGTH} characters`,
    };
  return {
    ok: true,
    ...(topic === undefined ? {} : { topic: topic as string }),
    ...(to === undefined ? {} : { to: to as string[] }),
  };
}

const TEXT_FIELDS: ReadonlySet<string> = new Set(['payload', 'topic', 'to']);
const HEADER_FIELDS: ReadonlySet<string> = new Set(['topic', 'to']);

/** Reads a participant's message (a string for a text message, bytes for binary). */
export function decodeIncomingEnvelope(message: string | Buffer): EnvelopeResult {
  if (typeof message === 'string') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      return { ok: false, error: 'a text message must be a JSON object' };
    }
    if (!isObject(parsed)) return { ok: false, error: 'a text message must be a JSON object' };
    if (!('payload' in parsed)) return { ok: false, error: 'payload is missing' };
    const routing = readRouting(parsed, TEXT_FIELDS);
    if (!routing.ok) return routing;
    const { ok: _ok, ...fields } = routing;
    return {
      ok: true,
      value: { ...fields, payload: { kind: 'json', text: JSON.stringify(parsed.payload ?? null) } },
    };
  }
  if (message.length < 2) return { ok: false, error: 'a binary message starts with a 2-byte header length' };
  const headerLength = message.readUInt16BE(0);
  if (message.length < 2 + headerLength)
    return { ok: false, error: `the ${headerLength}-byte header runs past the message` };
  let header: unknown;
  try {
    header = JSON.parse(message.toString('utf8', 2, 2 + headerLength));
  } catch {
    return { ok: false, error: 'the binary header must be a JSON object' };
  }
  if (!isObject(header)) return { ok: false, error: 'the binary header must be a JSON object' };
  const routing = readRouting(header, HEADER_FIELDS);
  if (!routing.ok) return routing;
  const { ok: _ok, ...fields } = routing;
  return {
    ok: true,
    value: { ...fields, payload: { kind: 'binary', bytes: message.subarray(2 + headerLength) } },
  };
}

/** What the server delivers: sender (null for the server itself), topic, payload. */
export interface OutgoingEnvelope {
  from: string | null;
  topic?: string;
  payload: IncomingEnvelope['payload'];
}

/** Writes a message for a participant: a string (text message) or bytes (binary). */
export function encodeOutgoingEnvelope(envelope: OutgoingEnvelope): string | Buffer {
  const topic = envelope.topic === undefined ? '' : `,"topic":${JSON.stringify(envelope.topic)}`;
  const from = JSON.stringify(envelope.from);
  if (envelope.payload.kind === 'json') return `{"from":${from}${topic},"payload":${envelope.payload.text}}`;
  const header = Buffer.from(`{"from":${from}${topic}}`, 'utf8');
  if (header.length > MAX_HEADER_BYTES) throw new RangeError('the envelope header is too large');
  const out = Buffer.allocUnsafe(2 + header.length + envelope.payload.bytes.length);
  out.writeUInt16BE(header.length, 0);
  header.copy(out, 2);
  envelope.payload.bytes.copy(out, 2 + header.length);
  return out;
}
