/**
 * The SDP writer: SessionDescription in, text with CRLF line ends out
 * (RFC 8866 §5). Lines come in the order RFC 8866 §5 requires; within a
 * level, known attributes come in a fixed order close to what libwebrtc
 * writes, then the unknown ones in the order they were parsed, then the
 * candidates (RFC 8839 §5.1) and a=end-of-candidates.
 */
import { formatFmtp, formatRtcpFeedback, formatRtpmap } from './codec.js';
import { SdpError } from './errors.js';
import { formatExtmap } from './extmap.js';
import { formatBandwidth, formatConnection, formatMediaLine, formatOrigin } from './lines.js';
import { formatRid, formatSimulcast } from './simulcast.js';
import { formatMsid, formatSsrcAttribute, formatSsrcGroup } from './ssrc.js';
import { formatFingerprint, formatGroup } from './transport.js';
import type { SdpAttribute, SdpMediaSection, SessionDescription } from './types.js';

/**
 * Writes the description. Throws SdpError (ERR_SDP_INVALID_ARGUMENT) when a
 * value holds CR, LF or NUL, which would let it forge lines of its own.
 */
export function writeSdp(desc: SessionDescription): string {
  const lines: string[] = [];
  const add = (type: string, value: string): void => {
    if (/[\r\n\0]/.test(value))
      throw new SdpError('ERR_SDP_INVALID_ARGUMENT', `${type}= value holds a line break or NUL`);
    lines.push(`${type}=${value}`);
  };
  const attribute = (name: string, value?: string): void =>
    add('a', value === undefined ? name : `${name}:${value}`);
  const unknown = (attributes: SdpAttribute[]): void => {
    for (const a of attributes) attribute(a.name, a.value);
  };

  add('v', `${desc.version}`);
  add('o', formatOrigin(desc.origin));
  add('s', desc.sessionName);
  if (desc.information !== undefined) add('i', desc.information);
  if (desc.uri !== undefined) add('u', desc.uri);
  for (const email of desc.emails) add('e', email);
  for (const phone of desc.phones) add('p', phone);
  if (desc.connection !== undefined) add('c', formatConnection(desc.connection));
  for (const bandwidth of desc.bandwidths) add('b', formatBandwidth(bandwidth));
  for (const timing of desc.timing) {
    add('t', `${timing.start} ${timing.stop}`);
    for (const repeat of timing.repeats) add('r', repeat);
  }
  if (desc.timeZones !== undefined) add('z', desc.timeZones);
  if (desc.encryptionKey !== undefined) add('k', desc.encryptionKey);
  for (const group of desc.groups) attribute('group', formatGroup(group));
  if (desc.iceLite) attribute('ice-lite');
  if (desc.iceUfrag !== undefined) attribute('ice-ufrag', desc.iceUfrag);
  if (desc.icePwd !== undefined) attribute('ice-pwd', desc.icePwd);
  if (desc.iceOptions !== undefined) attribute('ice-options', desc.iceOptions.join(' '));
  for (const fingerprint of desc.fingerprints) attribute('fingerprint', formatFingerprint(fingerprint));
  if (desc.setup !== undefined) attribute('setup', desc.setup);
  unknown(desc.attributes);

  for (const section of desc.media) writeSection(section, add, attribute, unknown);
  return `${lines.join('\r\n')}\r\n`;
}

function writeSection(
  section: SdpMediaSection,
  add: (type: string, value: string) => void,
  attribute: (name: string, value?: string) => void,
  unknown: (attributes: SdpAttribute[]) => void,
): void {
  add('m', formatMediaLine(section));
  if (section.information !== undefined) add('i', section.information);
  if (section.connection !== undefined) add('c', formatConnection(section.connection));
  for (const bandwidth of section.bandwidths) add('b', formatBandwidth(bandwidth));
  if (section.encryptionKey !== undefined) add('k', section.encryptionKey);
  if (section.iceUfrag !== undefined) attribute('ice-ufrag', section.iceUfrag);
  if (section.icePwd !== undefined) attribute('ice-pwd', section.icePwd);
  if (section.iceOptions !== undefined) attribute('ice-options', section.iceOptions.join(' '));
  for (const fingerprint of section.fingerprints) attribute('fingerprint', formatFingerprint(fingerprint));
  if (section.setup !== undefined) attribute('setup', section.setup);
  if (section.mid !== undefined) attribute('mid', section.mid);
  for (const extmap of section.extmaps) attribute('extmap', formatExtmap(extmap));
  if (section.direction !== undefined) attribute(section.direction);
  for (const msid of section.msids) attribute('msid', formatMsid(msid));
  if (section.rtcpMux) attribute('rtcp-mux');
  if (section.rtcpRsize) attribute('rtcp-rsize');
  for (const codec of section.codecs) {
    if (codec.name !== undefined && codec.clockRate !== undefined)
      attribute(
        'rtpmap',
        formatRtpmap({
          payloadType: codec.payloadType,
          name: codec.name,
          clockRate: codec.clockRate,
          channels: codec.channels,
        }),
      );
    for (const feedback of codec.rtcpFeedback)
      attribute('rtcp-fb', formatRtcpFeedback(codec.payloadType, feedback));
    if (codec.fmtp !== undefined) attribute('fmtp', formatFmtp(codec.payloadType, codec.fmtp));
  }
  for (const rid of section.rids) attribute('rid', formatRid(rid));
  if (section.simulcast !== undefined) attribute('simulcast', formatSimulcast(section.simulcast));
  for (const group of section.ssrcGroups) attribute('ssrc-group', formatSsrcGroup(group));
  for (const ssrc of section.ssrcs) attribute('ssrc', formatSsrcAttribute(ssrc));
  if (section.sctpPort !== undefined) attribute('sctp-port', `${section.sctpPort}`);
  if (section.maxMessageSize !== undefined) attribute('max-message-size', `${section.maxMessageSize}`);
  unknown(section.attributes);
  for (const candidate of section.candidates) attribute('candidate', candidate);
  if (section.endOfCandidates) attribute('end-of-candidates');
}
