/**
 * PASSWORD-ALGORITHM and PASSWORD-ALGORITHMS (RFC 8489 §14.11, §14.12).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |          Algorithm           |  Algorithm Parameters Length   |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Algorithm Parameters (variable)
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * PASSWORD-ALGORITHMS is a sequence of such entries, each padded to 4 bytes.
 */

/** One algorithm entry. Parameters are a view into the message. */
export interface PasswordAlgorithmEntry {
  algorithm: number;
  parameters: Buffer;
}

/** Decodes a sequence of entries; undefined when malformed. */
export function decodePasswordAlgorithms(value: Buffer): PasswordAlgorithmEntry[] | undefined {
  const entries: PasswordAlgorithmEntry[] = [];
  let offset = 0;
  while (offset < value.length) {
    if (offset + 4 > value.length) return undefined;
    const algorithm = value.readUInt16BE(offset);
    const length = value.readUInt16BE(offset + 2);
    if (offset + 4 + length > value.length) return undefined;
    entries.push({ algorithm, parameters: value.subarray(offset + 4, offset + 4 + length) });
    offset += 4 + ((length + 3) & ~3);
  }
  return entries;
}

/** Decodes a single PASSWORD-ALGORITHM; undefined when malformed. */
export function decodePasswordAlgorithm(value: Buffer): PasswordAlgorithmEntry | undefined {
  const entries = decodePasswordAlgorithms(value);
  return entries && entries.length === 1 ? entries[0] : undefined;
}

/** Encodes entries without parameters (MD5 and SHA-256 take none). */
export function encodePasswordAlgorithms(algorithms: readonly number[]): Buffer {
  const out = Buffer.alloc(algorithms.length * 4);
  algorithms.forEach((algorithm, i) => {
    out.writeUInt16BE(algorithm, i * 4);
  });
  return out;
}
