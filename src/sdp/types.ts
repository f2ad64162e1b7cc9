/**
 * The session description model (RFC 8866) with the attributes WebRTC uses
 * (RFC 8829 JSEP, RFC 8839 ICE, RFC 8842 DTLS, RFC 8843 BUNDLE, RFC 8285
 * header extensions, RFC 8851/8853 rid and simulcast, RFC 8841 SCTP).
 *
 * Known attributes become typed fields; every other attribute is kept in
 * `attributes` in the order it appeared, so parse → write keeps it. The
 * writer puts known attributes in a fixed order, so a round trip keeps every
 * line but not necessarily the line order.
 */

/** An attribute the model has no field for: `a=<name>` or `a=<name>:<value>` (RFC 8866 §5.13). */
export interface SdpAttribute {
  /** Attribute name, e.g. `extmap-allow-mixed`. */
  name: string;
  /** Everything after the first colon, unchanged; undefined for a property attribute (no colon). */
  value?: string;
}

/** o= (RFC 8866 §5.2). Session id and version are kept as text: browsers use 64-bit numbers. */
export interface SdpOrigin {
  /** User name, `-` when there is none. */
  username: string;
  /** Numeric session id. */
  sessionId: string;
  /** Numeric session version, incremented on every change. */
  sessionVersion: string;
  /** Network type, `IN`. */
  netType: string;
  /** Address type, `IP4` or `IP6`. */
  addrType: string;
  /** Address (or name) of the originating host. */
  unicastAddress: string;
}

/** c= (RFC 8866 §5.7). */
export interface SdpConnection {
  /** Network type, `IN`. */
  netType: string;
  /** Address type, `IP4` or `IP6`. */
  addrType: string;
  /** Connection address, with `/ttl` or `/count` suffixes kept as written. */
  address: string;
}

/** b= (RFC 8866 §5.8). */
export interface SdpBandwidth {
  /** Modifier: `AS`, `CT`, `TIAS` or an extension. */
  type: string;
  /** Bandwidth in the modifier's unit (kbit/s for AS and CT, bit/s for TIAS). */
  bandwidth: number;
}

/** t= and its r= lines (RFC 8866 §5.9, §5.10). */
export interface SdpTiming {
  /** Start time (NTP seconds), 0 for unbounded. */
  start: string;
  /** Stop time (NTP seconds), 0 for unbounded. */
  stop: string;
  /** r= values that follow this t=, unchanged. */
  repeats: string[];
}

/** a=group (RFC 5888 §5), e.g. `BUNDLE 0 1 2` (RFC 8843) or `LS a b`. */
export interface SdpGroup {
  /** Semantics token: `BUNDLE`, `LS`, `FID`… */
  semantics: string;
  /** Identification tags (mids), in order. */
  mids: string[];
}

/** a=fingerprint (RFC 8122 §5): a hash of the DTLS certificate. */
export interface SdpFingerprint {
  /** Hash function, lower case as written: `sha-256`. */
  algorithm: string;
  /** Upper-case hex bytes separated by colons, as written. */
  value: string;
}

/** a=setup (RFC 4145 §4, RFC 8842 §5): which side starts the DTLS handshake. */
export type SdpSetupRole = 'actpass' | 'active' | 'passive' | 'holdconn';

/** Media direction attribute (RFC 8866 §6.7). */
export type SdpDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** One a=rtcp-fb entry (RFC 4585 §4.2), e.g. `nack pli` → type `nack`, parameter `pli`. */
export interface SdpRtcpFeedback {
  /** Feedback type: `nack`, `ccm`, `goog-remb`, `transport-cc`… */
  type: string;
  /** Parameter after the type (`pli`, `fir`), undefined when there is none. */
  parameter?: string;
}

/**
 * One payload type with its a=rtpmap, a=fmtp and a=rtcp-fb lines
 * (RFC 8866 §6.6, §6.15; RFC 4585 §4.2).
 */
export interface SdpCodec {
  /** RTP payload type, 0–127. */
  payloadType: number;
  /** Encoding name as written (`opus`, `VP8`, `rtx`); undefined when the payload type has no a=rtpmap. */
  name?: string;
  /** Clock rate in Hz from a=rtpmap. */
  clockRate?: number;
  /** Encoding parameters from a=rtpmap (audio channels), when given. */
  channels?: number;
  /** a=fmtp value, unchanged (`minptime=10;useinbandfec=1`); see fmtpParameters. */
  fmtp?: string;
  /** a=rtcp-fb lines for this payload type, in order. */
  rtcpFeedback: SdpRtcpFeedback[];
}

/** a=extmap (RFC 8285 §8): one RTP header extension and its id. */
export interface SdpExtmap {
  /** Local identifier, 1–14 for one-byte headers, up to 255 for two-byte ones. */
  id: number;
  /** Direction after the id (`/sendonly`), when given. */
  direction?: SdpDirection;
  /** Extension URI. */
  uri: string;
  /** Extension attributes after the URI, unchanged. */
  attributes?: string;
}

/** One a=ssrc line (RFC 5576 §4.1): `a=ssrc:<ssrc> <attribute>[:<value>]`. */
export interface SdpSsrcAttribute {
  /** Synchronization source. */
  ssrc: number;
  /** Source attribute name: `cname`, `msid`… */
  attribute: string;
  /** Value after the colon, undefined when there is none. */
  value?: string;
}

/** a=ssrc-group (RFC 5576 §4.2), e.g. FID (media and its RTX) or SIM. */
export interface SdpSsrcGroup {
  /** Semantics token: `FID`, `SIM`, `FEC-FR`… */
  semantics: string;
  /** Sources in the group, in order. */
  ssrcs: number[];
}

/** a=msid (RFC 8830 §2): the stream (and track) a media section belongs to. */
export interface SdpMsid {
  /** MediaStream id, `-` for none. */
  streamId: string;
  /** Application data (the track id in WebRTC), when given. */
  trackId?: string;
}

/** a=rid (RFC 8851 §4): one RTP stream identifier and its restrictions. */
export interface SdpRid {
  /** The rid, also carried in the sdes:rtp-stream-id header extension. */
  id: string;
  /** Direction of the stream it names. */
  direction: 'send' | 'recv';
  /** Restrictions (`pt=96;max-width=640`) unchanged, when given. */
  params?: string;
}

/** One stream in a=simulcast: a rid, paused when written with `~` (RFC 8853 §5.1). */
export interface SdpSimulcastStream {
  /** The rid. */
  rid: string;
  /** True when initially paused. */
  paused: boolean;
}

/** a=simulcast (RFC 8853 §5.1): each entry is one stream given as its alternatives. */
export interface SdpSimulcast {
  /** Streams sent by the side that wrote the description. */
  send?: SdpSimulcastStream[][];
  /** Streams received by the side that wrote the description. */
  recv?: SdpSimulcastStream[][];
}

/** The kinds of media line this model tells apart; anything else is `other`. */
export type SdpMediaKind = 'audio' | 'video' | 'application' | 'other';

/** One media section: an m= line and the lines up to the next one (RFC 8866 §5.14). */
export interface SdpMediaSection {
  /** Kind derived from `media`. */
  kind: SdpMediaKind;
  /** The media token as written on the m= line (`audio`, `video`, `application`, `text`…). */
  media: string;
  /** Transport port; 0 rejects or disables the section. */
  port: number;
  /** Number of ports after a slash, when written. */
  numberOfPorts?: number;
  /** Transport protocol: `UDP/TLS/RTP/SAVPF`, `UDP/DTLS/SCTP`… */
  protocol: string;
  /** Formats: payload types for RTP, `webrtc-datachannel` for SCTP. */
  formats: string[];
  /** i= line. */
  information?: string;
  /** c= line. */
  connection?: SdpConnection;
  /** b= lines. */
  bandwidths: SdpBandwidth[];
  /** k= line (obsolete, kept for round trips). */
  encryptionKey?: string;
  /** a=mid (RFC 5888 §4). */
  mid?: string;
  /** Direction attribute, undefined when absent (which means sendrecv). */
  direction?: SdpDirection;
  /** a=rtcp-mux (RFC 5761 §5.1.3). */
  rtcpMux: boolean;
  /** a=rtcp-rsize (RFC 5506 §5). */
  rtcpRsize: boolean;
  /** a=ice-ufrag (RFC 8839 §5.4). */
  iceUfrag?: string;
  /** a=ice-pwd (RFC 8839 §5.4). */
  icePwd?: string;
  /** a=ice-options tokens (RFC 8839 §5.6). */
  iceOptions?: string[];
  /** a=candidate values (RFC 8839 §5.1), without the `candidate:` name. */
  candidates: string[];
  /** a=end-of-candidates (RFC 8840 §8.2). */
  endOfCandidates: boolean;
  /** a=fingerprint lines. */
  fingerprints: SdpFingerprint[];
  /** a=setup. */
  setup?: SdpSetupRole;
  /** Payload types with their rtpmap, fmtp and rtcp-fb, in order of first mention. */
  codecs: SdpCodec[];
  /** a=extmap lines. */
  extmaps: SdpExtmap[];
  /** a=ssrc lines. */
  ssrcs: SdpSsrcAttribute[];
  /** a=ssrc-group lines. */
  ssrcGroups: SdpSsrcGroup[];
  /** a=msid lines. */
  msids: SdpMsid[];
  /** a=rid lines. */
  rids: SdpRid[];
  /** a=simulcast. */
  simulcast?: SdpSimulcast;
  /** a=sctp-port (RFC 8841 §5). */
  sctpPort?: number;
  /** a=max-message-size (RFC 8841 §6), bytes; 0 means no limit. */
  maxMessageSize?: number;
  /** Every other attribute, in order. */
  attributes: SdpAttribute[];
}

/** A whole session description (RFC 8866 §5). */
export interface SessionDescription {
  /** v=, always 0. */
  version: 0;
  /** o=. */
  origin: SdpOrigin;
  /** s=, `-` in WebRTC. */
  sessionName: string;
  /** i= line. */
  information?: string;
  /** u= line. */
  uri?: string;
  /** e= lines. */
  emails: string[];
  /** p= lines. */
  phones: string[];
  /** Session-level c=. */
  connection?: SdpConnection;
  /** Session-level b= lines. */
  bandwidths: SdpBandwidth[];
  /** t= lines with their r= lines; at least one. */
  timing: SdpTiming[];
  /** z= line, unchanged. */
  timeZones?: string;
  /** k= line (obsolete, kept for round trips). */
  encryptionKey?: string;
  /** a=group lines. */
  groups: SdpGroup[];
  /** a=ice-lite (RFC 8839 §5.3). */
  iceLite: boolean;
  /** Session-level a=ice-ufrag. */
  iceUfrag?: string;
  /** Session-level a=ice-pwd. */
  icePwd?: string;
  /** Session-level a=ice-options tokens. */
  iceOptions?: string[];
  /** Session-level a=fingerprint lines. */
  fingerprints: SdpFingerprint[];
  /** Session-level a=setup. */
  setup?: SdpSetupRole;
  /** Every other session-level attribute, in order. */
  attributes: SdpAttribute[];
  /** Media sections, in order. */
  media: SdpMediaSection[];
}
