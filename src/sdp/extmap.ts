/**
 * a=extmap (RFC 8285 §8): maps a header extension URI to the id carried in
 * RTP packets.
 *
 *   a=extmap:<value>["/"<direction>] <URI> <extensionattributes>
 */
import { parseInteger, splitFields } from './lines.js';
import type { SdpDirection, SdpExtmap } from './types.js';

/** True for the four direction tokens of RFC 8866 §6.7. */
export function isDirection(token: string): token is SdpDirection {
  return token === 'sendrecv' || token === 'sendonly' || token === 'recvonly' || token === 'inactive';
}

/**
 * True for an id RFC 8285 allows: 1–14 (one-byte form), 15–255 (two-byte
 * form), or 4096–4351, which §7 lets an offer use for extensions the answer
 * must renumber.
 */
export function isExtmapId(id: number): boolean {
  return (id >= 1 && id <= 255) || (id >= 4096 && id <= 4351);
}

/** Parses the value after `a=extmap:`, or undefined. */
export function parseExtmap(value: string): SdpExtmap | undefined {
  const fields = splitFields(value);
  if (fields.length < 2) return undefined;
  const [idField, uri, ...rest] = fields;
  const slash = idField.indexOf('/');
  const id = parseInteger(slash < 0 ? idField : idField.slice(0, slash), 1, 4351);
  if (id === undefined || !isExtmapId(id)) return undefined;
  const extmap: SdpExtmap = { id, uri };
  if (slash >= 0) {
    const direction = idField.slice(slash + 1);
    if (!isDirection(direction)) return undefined;
    extmap.direction = direction;
  }
  if (rest.length > 0) extmap.attributes = rest.join(' ');
  return extmap;
}

/** The value after `a=extmap:`. */
export function formatExtmap(extmap: SdpExtmap): string {
  const id = extmap.direction === undefined ? `${extmap.id}` : `${extmap.id}/${extmap.direction}`;
  return extmap.attributes === undefined ? `${id} ${extmap.uri}` : `${id} ${extmap.uri} ${extmap.attributes}`;
}
