/**
 * UNKNOWN-ATTRIBUTES (RFC 8489 §14.9): a list of 16-bit attribute types the
 * server did not understand, sent with a 420 error.
 */

/** Decodes the list; undefined when the length is odd. */
export function decodeUnknownAttributes(value: Buffer): number[] | undefined {
  if (value.length % 2 !== 0) return undefined;
  const types: number[] = [];
  for (let i = 0; i < value.length; i += 2) types.push(value.readUInt16BE(i));
  return types;
}

/** Encodes the list. */
export function encodeUnknownAttributes(types: readonly number[]): Buffer {
  const out = Buffer.allocUnsafe(types.length * 2);
  types.forEach((type, i) => {
    out.writeUInt16BE(type & 0xffff, i * 2);
  });
  return out;
}
