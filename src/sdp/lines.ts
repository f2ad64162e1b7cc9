/**
 * The typed lines other than a=: o=, c=, b=, t=, r= and m= (RFC 8866 §5).
 * Each `parse…` takes the text after `x=` and returns undefined when it does
 * not follow the grammar; the parser turns that into an SdpError with the
 * line number. Each `format…` gives back the text after `x=`.
 */
import type { SdpBandwidth, SdpConnection, SdpMediaKind, SdpMediaSection, SdpOrigin } from './types.js';

/** Splits on runs of spaces; empty fields never come back. */
export function splitFields(value: string): string[] {
  const trimmed = value.trim();
  return trimmed === '' ? [] : trimmed.split(/ +/);
}

/** True for a run of decimal digits (no sign, no exponent, no spaces). */
export function isDigits(text: string): boolean {
  return /^[0-9]+$/.test(text);
}

/** Parses a decimal integer within [min, max], or undefined. */
export function parseInteger(text: string, min: number, max: number): number | undefined {
  if (!isDigits(text) || text.length > 16) return undefined;
  const value = Number(text);
  return value >= min && value <= max ? value : undefined;
}

/**
 *   o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>
 *
 * RFC 8866 §5.2. sess-id and sess-version are digits; browsers use 64-bit
 * values, so they stay text.
 */
export function parseOrigin(value: string): SdpOrigin | undefined {
  const fields = splitFields(value);
  if (fields.length !== 6) return undefined;
  const [username, sessionId, sessionVersion, netType, addrType, unicastAddress] = fields;
  if (!isDigits(sessionId) || !isDigits(sessionVersion)) return undefined;
  return { username, sessionId, sessionVersion, netType, addrType, unicastAddress };
}

/** The text after `o=`. */
export function formatOrigin(origin: SdpOrigin): string {
  return [
    origin.username,
    origin.sessionId,
    origin.sessionVersion,
    origin.netType,
    origin.addrType,
    origin.unicastAddress,
  ].join(' ');
}

/** c=<nettype> <addrtype> <connection-address> (RFC 8866 §5.7). */
export function parseConnection(value: string): SdpConnection | undefined {
  const fields = splitFields(value);
  if (fields.length !== 3) return undefined;
  return { netType: fields[0], addrType: fields[1], address: fields[2] };
}

/** The text after `c=`. */
export function formatConnection(connection: SdpConnection): string {
  return `${connection.netType} ${connection.addrType} ${connection.address}`;
}

/** b=<bwtype>:<bandwidth> (RFC 8866 §5.8). */
export function parseBandwidth(value: string): SdpBandwidth | undefined {
  const colon = value.indexOf(':');
  if (colon <= 0) return undefined;
  const type = value.slice(0, colon);
  const bandwidth = parseInteger(value.slice(colon + 1), 0, Number.MAX_SAFE_INTEGER);
  if (bandwidth === undefined || /\s/.test(type)) return undefined;
  return { type, bandwidth };
}

/** The text after `b=`. */
export function formatBandwidth(bandwidth: SdpBandwidth): string {
  return `${bandwidth.type}:${bandwidth.bandwidth}`;
}

/** t=<start-time> <stop-time> (RFC 8866 §5.9): two decimal NTP times. */
export function parseTiming(value: string): { start: string; stop: string } | undefined {
  const fields = splitFields(value);
  if (fields.length !== 2 || !isDigits(fields[0]) || !isDigits(fields[1])) return undefined;
  return { start: fields[0], stop: fields[1] };
}

/** The kind of a media token. */
export function mediaKindOf(media: string): SdpMediaKind {
  return media === 'audio' || media === 'video' || media === 'application' ? media : 'other';
}

/** The fields of an m= line. */
export type MediaLine = Pick<
  SdpMediaSection,
  'kind' | 'media' | 'port' | 'numberOfPorts' | 'protocol' | 'formats'
>;

/**
 *   m=<media> <port>[/<number of ports>] <proto> <fmt> ...
 *
 * RFC 8866 §5.14. At least one format is required.
 */
export function parseMediaLine(value: string): MediaLine | undefined {
  const fields = splitFields(value);
  if (fields.length < 4) return undefined;
  const [media, portField, protocol, ...formats] = fields;
  const slash = portField.indexOf('/');
  const port = parseInteger(slash < 0 ? portField : portField.slice(0, slash), 0, 65535);
  if (port === undefined) return undefined;
  const line: MediaLine = { kind: mediaKindOf(media), media, port, protocol, formats };
  if (slash >= 0) {
    const numberOfPorts = parseInteger(portField.slice(slash + 1), 1, 65535);
    if (numberOfPorts === undefined) return undefined;
    line.numberOfPorts = numberOfPorts;
  }
  return line;
}

/** The text after `m=`. */
export function formatMediaLine(section: MediaLine): string {
  const port =
    section.numberOfPorts === undefined ? `${section.port}` : `${section.port}/${section.numberOfPorts}`;
  return [section.media, port, section.protocol, ...section.formats].join(' ');
}
