/**
 * a=rid (RFC 8851 §10) and a=simulcast (RFC 8853 §5.1).
 *
 *   a=rid:<rid-id> SP ("send" / "recv") [SP <rid-pt-param-list / rid-param-list>]
 *   a=simulcast:<"send" / "recv"> SP <sc-str-list> [SP <"recv" / "send"> SP <sc-str-list>]
 *   sc-str-list = sc-alt-list *(";" sc-alt-list)
 *   sc-alt-list = sc-id *("," sc-id)
 *   sc-id       = ["~"] rid-id          ; "~" marks a paused stream
 */
import { splitFields } from './lines.js';
import type { SdpRid, SdpSimulcast, SdpSimulcastStream } from './types.js';

/** rid-id = 1*(alpha-numeric / "-" / "_") (RFC 8851 §10). */
export function isRidId(text: string): boolean {
  return /^[A-Za-z0-9_-]+$/.test(text);
}

/** Parses the value after `a=rid:`, or undefined. */
export function parseRid(value: string): SdpRid | undefined {
  const fields = splitFields(value);
  if (fields.length < 2 || !isRidId(fields[0])) return undefined;
  const direction = fields[1];
  if (direction !== 'send' && direction !== 'recv') return undefined;
  const rid: SdpRid = { id: fields[0], direction };
  if (fields.length > 2) rid.params = fields.slice(2).join(' ');
  return rid;
}

/** The value after `a=rid:`. */
export function formatRid(rid: SdpRid): string {
  return rid.params === undefined ? `${rid.id} ${rid.direction}` : `${rid.id} ${rid.direction} ${rid.params}`;
}

function parseStreamList(text: string): SdpSimulcastStream[][] | undefined {
  const streams: SdpSimulcastStream[][] = [];
  for (const alternativesText of text.split(';')) {
    const alternatives: SdpSimulcastStream[] = [];
    for (const idText of alternativesText.split(',')) {
      const paused = idText.startsWith('~');
      const rid = paused ? idText.slice(1) : idText;
      if (!isRidId(rid)) return undefined;
      alternatives.push({ rid, paused });
    }
    streams.push(alternatives);
  }
  return streams;
}

function formatStreamList(streams: SdpSimulcastStream[][]): string {
  return streams
    .map((alternatives) => alternatives.map((s) => (s.paused ? `~${s.rid}` : s.rid)).join(','))
    .join(';');
}

/** Parses the value after `a=simulcast:`, or undefined (also for the pre-RFC `rid=` form). */
export function parseSimulcast(value: string): SdpSimulcast | undefined {
  const fields = splitFields(value);
  if (fields.length !== 2 && fields.length !== 4) return undefined;
  const simulcast: SdpSimulcast = {};
  for (let at = 0; at < fields.length; at += 2) {
    const direction = fields[at];
    if ((direction !== 'send' && direction !== 'recv') || simulcast[direction] !== undefined)
      return undefined;
    const streams = parseStreamList(fields[at + 1]);
    if (streams === undefined) return undefined;
    simulcast[direction] = streams;
  }
  return simulcast;
}

/** The value after `a=simulcast:`; send first, then recv. */
export function formatSimulcast(simulcast: SdpSimulcast): string {
  const parts: string[] = [];
  if (simulcast.send !== undefined) parts.push(`send ${formatStreamList(simulcast.send)}`);
  if (simulcast.recv !== undefined) parts.push(`recv ${formatStreamList(simulcast.recv)}`);
  return parts.join(' ');
}
