/**
 * Server-to-client envelopes for SDK unit tests, written byte by byte as
 * docs/protocol.md ("Data channels in sfu rooms") describes them, without
 * the SDK's own encoder.
 */

/** A text envelope as the server sends it. */
export function serverTextEnvelope(envelope: {
  from: string | null;
  topic?: string;
  payload: unknown;
}): string {
  return JSON.stringify(envelope);
}

/** A binary envelope as the server sends it: uint16 BE header length, UTF-8 JSON header, payload. */
export function serverBinaryEnvelope(
  header: { from: string | null; topic?: string },
  payload: Uint8Array,
): Uint8Array {
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const bytes = new Uint8Array(2 + headerBytes.length + payload.length);
  new DataView(bytes.buffer).setUint16(0, headerBytes.length, false);
  bytes.set(headerBytes, 2);
  bytes.set(payload, 2 + headerBytes.length);
  return bytes;
}

/** Reads a binary envelope the client sent: its header object and payload bytes. */
export function readClientBinaryEnvelope(bytes: Uint8Array): { header: unknown; payload: number[] } {
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint16(0, false);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(2, 2 + headerLength)));
  return { header, payload: [...bytes.subarray(2 + headerLength)] };
}
