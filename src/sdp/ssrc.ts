/**
 * Source-specific attributes: a=ssrc and a=ssrc-group (RFC 5576 §4), and
 * a=msid (RFC 8830 §2), which names the stream and track a section carries.
 */
import { parseInteger, splitFields } from './lines.js';
import type { SdpMsid, SdpSsrcAttribute, SdpSsrcGroup } from './types.js';

/**
 *   a=ssrc:<ssrc-id> <attribute>[:<value>]
 *
 * The value runs to the end of the line and may hold spaces (`msid:- track`).
 */
export function parseSsrcAttribute(value: string): SdpSsrcAttribute | undefined {
  const space = value.indexOf(' ');
  if (space < 0) return undefined;
  const ssrc = parseInteger(value.slice(0, space), 0, 0xffffffff);
  const rest = value.slice(space + 1);
  if (ssrc === undefined || rest === '' || rest.startsWith(' ')) return undefined;
  const colon = rest.indexOf(':');
  if (colon === 0) return undefined;
  return colon < 0
    ? { ssrc, attribute: rest }
    : { ssrc, attribute: rest.slice(0, colon), value: rest.slice(colon + 1) };
}

/** The value after `a=ssrc:`. */
export function formatSsrcAttribute(line: SdpSsrcAttribute): string {
  return line.value === undefined
    ? `${line.ssrc} ${line.attribute}`
    : `${line.ssrc} ${line.attribute}:${line.value}`;
}

/** a=ssrc-group:<semantics> *(SP <ssrc-id>) */
export function parseSsrcGroup(value: string): SdpSsrcGroup | undefined {
  const [semantics, ...rest] = splitFields(value);
  if (semantics === undefined) return undefined;
  const ssrcs: number[] = [];
  for (const field of rest) {
    const ssrc = parseInteger(field, 0, 0xffffffff);
    if (ssrc === undefined) return undefined;
    ssrcs.push(ssrc);
  }
  return { semantics, ssrcs };
}

/** The value after `a=ssrc-group:`. */
export function formatSsrcGroup(group: SdpSsrcGroup): string {
  return [group.semantics, ...group.ssrcs].join(' ');
}

/** a=msid:<msid-id> [<msid-appdata>] */
export function parseMsid(value: string): SdpMsid | undefined {
  const fields = splitFields(value);
  if (fields.length === 1) return { streamId: fields[0] };
  if (fields.length === 2) return { streamId: fields[0], trackId: fields[1] };
  return undefined;
}

/** The value after `a=msid:`. */
export function formatMsid(msid: SdpMsid): string {
  return msid.trackId === undefined ? msid.streamId : `${msid.streamId} ${msid.trackId}`;
}
