/**
 * The per-payload-type attributes: a=rtpmap (RFC 8866 §6.6), a=fmtp
 * (RFC 8866 §6.15) and a=rtcp-fb (RFC 4585 §4.2). The parser groups them by
 * payload type into SdpCodec entries.
 */
import { parseInteger, splitFields } from './lines.js';
import type { SdpRtcpFeedback } from './types.js';

/** The fields of one a=rtpmap value. */
export interface Rtpmap {
  /** Payload type. */
  payloadType: number;
  /** Encoding name. */
  name: string;
  /** Clock rate in Hz. */
  clockRate: number;
  /** Encoding parameters (audio channels), when written. */
  channels?: number;
}

/**
 *   a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]
 */
export function parseRtpmap(value: string): Rtpmap | undefined {
  const fields = splitFields(value);
  if (fields.length !== 2) return undefined;
  const payloadType = parseInteger(fields[0], 0, 127);
  const parts = fields[1].split('/');
  if (payloadType === undefined || parts.length < 2 || parts.length > 3 || parts[0] === '') return undefined;
  const clockRate = parseInteger(parts[1], 0, 0xffffffff);
  if (clockRate === undefined) return undefined;
  const rtpmap: Rtpmap = { payloadType, name: parts[0], clockRate };
  if (parts.length === 3) {
    const channels = parseInteger(parts[2], 0, 0xffff);
    if (channels === undefined) return undefined;
    rtpmap.channels = channels;
  }
  return rtpmap;
}

/** The value after `a=rtpmap:`. */
export function formatRtpmap(rtpmap: Rtpmap): string {
  const channels = rtpmap.channels === undefined ? '' : `/${rtpmap.channels}`;
  return `${rtpmap.payloadType} ${rtpmap.name}/${rtpmap.clockRate}${channels}`;
}

/**
 *   a=fmtp:<format> <format specific parameters>
 *
 * The parameters are kept as written (some senders put spaces after the
 * semicolons); fmtpParameters splits them.
 */
export function parseFmtp(value: string): { payloadType: number; parameters: string } | undefined {
  const space = value.indexOf(' ');
  const payloadType = parseInteger(space < 0 ? value : value.slice(0, space), 0, 127);
  if (payloadType === undefined) return undefined;
  return { payloadType, parameters: space < 0 ? '' : value.slice(space + 1) };
}

/** The value after `a=fmtp:`. */
export function formatFmtp(payloadType: number, parameters: string): string {
  return `${payloadType} ${parameters}`;
}

/**
 * The `key=value` pairs of an fmtp value, split on semicolons. A parameter
 * without `=` maps to the empty string; keys keep their case.
 */
export function fmtpParameters(fmtp: string | undefined): Record<string, string> {
  const parameters: Record<string, string> = {};
  if (fmtp === undefined) return parameters;
  for (const part of fmtp.split(';')) {
    const item = part.trim();
    if (item === '') continue;
    const equals = item.indexOf('=');
    if (equals < 0) parameters[item] = '';
    else parameters[item.slice(0, equals).trim()] = item.slice(equals + 1).trim();
  }
  return parameters;
}

/**
 *   a=rtcp-fb:<payload type or *> <type> [<parameter>...]
 *
 * RFC 4585 §4.2. The parameter is everything after the type.
 */
export function parseRtcpFeedback(
  value: string,
): { payloadType: number | '*'; feedback: SdpRtcpFeedback } | undefined {
  const fields = splitFields(value);
  if (fields.length < 2) return undefined;
  const payloadType = fields[0] === '*' ? '*' : parseInteger(fields[0], 0, 127);
  if (payloadType === undefined) return undefined;
  const feedback: SdpRtcpFeedback = { type: fields[1] };
  if (fields.length > 2) feedback.parameter = fields.slice(2).join(' ');
  return { payloadType, feedback };
}

/** The value after `a=rtcp-fb:`. */
export function formatRtcpFeedback(payloadType: number | '*', feedback: SdpRtcpFeedback): string {
  return feedback.parameter === undefined
    ? `${payloadType} ${feedback.type}`
    : `${payloadType} ${feedback.type} ${feedback.parameter}`;
}
