/**
 * Property tests: parse(write(d)) = d for generated descriptions; garbage,
 * near-SDP garbage and damaged captures never make the parser throw; and
 * whatever it accepts writes back to the same model.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mediaKindOf } from './lines.js';
import { parseSdp } from './parse.js';
import type {
  SdpAttribute,
  SdpCodec,
  SdpMediaSection,
  SdpSimulcastStream,
  SessionDescription,
} from './types.js';
import { writeSdp } from './write.js';

/** Printable ASCII without space: what the grammar calls a token or non-ws-string. */
const token = fc.stringMatching(/^[\x21-\x7e]{1,10}$/);
/** Like token, without a colon (names that come before one). */
const name = fc.stringMatching(/^[A-Za-z0-9._+-]{1,10}$/);
const ridId = fc.stringMatching(/^[A-Za-z0-9_-]{1,6}$/);
const digits = fc.stringMatching(/^[0-9]{1,20}$/);
/** Free text for a line: anything but CR, LF and NUL. */
const text = fc.string({ maxLength: 20 }).map((s) => s.replace(/[\r\n\0]/g, '_'));
const nonBlank = text.filter((s) => s.trim() !== '');
const words = fc.array(token, { minLength: 1, maxLength: 3 }).map((w) => w.join(' '));
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const direction = fc.constantFrom('sendrecv', 'sendonly', 'recvonly', 'inactive' as const);
const hex = fc
  .array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 32 })
  .map((bytes) => bytes.map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':'));
const opt = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });

const connection = fc.record({ netType: token, addrType: token, address: token });
const bandwidth = fc.record({ type: name, bandwidth: fc.nat() });
const fingerprint = fc.record({ algorithm: token, value: hex });

const SESSION_KNOWN = new Set([
  'group',
  'ice-lite',
  'ice-ufrag',
  'ice-pwd',
  'ice-options',
  'fingerprint',
  'setup',
]);
const MEDIA_KNOWN = new Set([
  ...['mid', 'ice-ufrag', 'ice-pwd', 'ice-options', 'candidate', 'fingerprint', 'setup', 'rtpmap', 'fmtp'],
  ...['rtcp-fb', 'extmap', 'ssrc', 'ssrc-group', 'msid', 'rid', 'simulcast', 'sctp-port', 'max-message-size'],
  ...['rtcp-mux', 'rtcp-rsize', 'end-of-candidates', 'sendrecv', 'sendonly', 'recvonly', 'inactive'],
]);
const unknownAttributes = (known: Set<string>) =>
  fc.array(
    fc.record({ name: name.filter((n) => !known.has(n)), value: opt(text) }).map((a): SdpAttribute => a),
    { maxLength: 3 },
  );

const codec = fc
  .record({
    rtpmap: opt(
      fc.record({ name: name.filter((n) => !n.includes('/')), clockRate: u32, channels: opt(fc.nat(65535)) }),
    ),
    fmtp: opt(text),
    rtcpFeedback: fc.array(fc.record({ type: token, parameter: opt(words) }), { maxLength: 3 }),
  })
  .filter((c) => c.rtpmap !== undefined || c.fmtp !== undefined || c.rtcpFeedback.length > 0);

const codecs = fc.uniqueArray(fc.integer({ min: 0, max: 127 }), { maxLength: 5 }).chain((payloadTypes) =>
  fc.tuple(...payloadTypes.map(() => codec)).map((list) =>
    list.map(
      (c, index): SdpCodec => ({
        payloadType: payloadTypes[index],
        ...(c.rtpmap ?? {}),
        fmtp: c.fmtp,
        rtcpFeedback: c.rtcpFeedback,
      }),
    ),
  ),
);

const simulcastList = fc.array(
  fc.array(
    fc.record({ rid: ridId, paused: fc.boolean() }).map((s): SdpSimulcastStream => s),
    {
      minLength: 1,
      maxLength: 2,
    },
  ),
  { minLength: 1, maxLength: 3 },
);
const simulcast = fc
  .record({ send: opt(simulcastList), recv: opt(simulcastList) })
  .filter((s) => s.send !== undefined || s.recv !== undefined);

const mediaSection: fc.Arbitrary<SdpMediaSection> = fc
  .record({
    media: fc.oneof(fc.constantFrom('audio', 'video', 'application'), name),
    port: fc.nat(65535),
    numberOfPorts: opt(fc.integer({ min: 1, max: 65535 })),
    protocol: token,
    formats: fc.array(token, { minLength: 1, maxLength: 4 }),
    information: opt(text),
    connection: opt(connection),
    bandwidths: fc.array(bandwidth, { maxLength: 2 }),
    encryptionKey: opt(text),
    mid: opt(token),
    direction: opt(direction),
    rtcpMux: fc.boolean(),
    rtcpRsize: fc.boolean(),
    iceUfrag: opt(token),
    icePwd: opt(token),
    iceOptions: opt(fc.array(token, { minLength: 1, maxLength: 3 })),
    candidates: fc.array(nonBlank, { maxLength: 3 }),
    endOfCandidates: fc.boolean(),
    fingerprints: fc.array(fingerprint, { maxLength: 2 }),
    setup: opt(fc.constantFrom('actpass', 'active', 'passive', 'holdconn' as const)),
    codecs,
    extmaps: fc.array(
      fc.record({
        id: fc.oneof(fc.integer({ min: 1, max: 255 }), fc.integer({ min: 4096, max: 4351 })),
        direction: opt(direction),
        uri: token,
        attributes: opt(words),
      }),
      { maxLength: 3 },
    ),
    ssrcs: fc.array(fc.record({ ssrc: u32, attribute: name, value: opt(text) }), { maxLength: 3 }),
    ssrcGroups: fc.array(fc.record({ semantics: token, ssrcs: fc.array(u32, { maxLength: 3 }) }), {
      maxLength: 2,
    }),
    msids: fc.array(fc.record({ streamId: token, trackId: opt(token) }), { maxLength: 2 }),
    rids: fc.array(
      fc.record({ id: ridId, direction: fc.constantFrom('send', 'recv' as const), params: opt(words) }),
      { maxLength: 3 },
    ),
    simulcast: opt(simulcast),
    sctpPort: opt(fc.nat(65535)),
    maxMessageSize: opt(fc.nat()),
    attributes: unknownAttributes(MEDIA_KNOWN),
  })
  .map((section) => ({ ...section, kind: mediaKindOf(section.media) }));

const sessionDescription: fc.Arbitrary<SessionDescription> = fc.record({
  version: fc.constant(0 as const),
  origin: fc.record({
    username: token,
    sessionId: digits,
    sessionVersion: digits,
    netType: token,
    addrType: token,
    unicastAddress: token,
  }),
  sessionName: text,
  information: opt(text),
  uri: opt(text),
  emails: fc.array(text, { maxLength: 2 }),
  phones: fc.array(text, { maxLength: 2 }),
  connection: opt(connection),
  bandwidths: fc.array(bandwidth, { maxLength: 2 }),
  timing: fc.array(
    fc.record({ start: digits, stop: digits, repeats: fc.array(nonBlank, { maxLength: 2 }) }),
    {
      minLength: 1,
      maxLength: 2,
    },
  ),
  timeZones: opt(text),
  encryptionKey: opt(text),
  groups: fc.array(fc.record({ semantics: token, mids: fc.array(token, { maxLength: 3 }) }), {
    maxLength: 2,
  }),
  iceLite: fc.boolean(),
  iceUfrag: opt(token),
  icePwd: opt(token),
  iceOptions: opt(fc.array(token, { minLength: 1, maxLength: 3 })),
  fingerprints: fc.array(fingerprint, { maxLength: 2 }),
  setup: opt(fc.constantFrom('actpass', 'active', 'passive', 'holdconn' as const)),
  attributes: unknownAttributes(SESSION_KNOWN),
  media: fc.array(mediaSection, { maxLength: 4 }),
});

/** Parses without throwing; when the text is accepted, write → parse gives the same model. */
function parsesSafely(input: string): void {
  const result = parseSdp(input);
  if (!result.ok) {
    expect(result.error.code).toMatch(/^ERR_SDP_/);
    return;
  }
  const again = parseSdp(writeSdp(result.value));
  expect(again.ok && again.value).toEqual(result.value);
}

const HEAD = 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n';
const PREFIXES = [
  ...[
    'v=',
    'o=',
    's=',
    'i=',
    'c=',
    'b=',
    't=',
    'r=',
    'z=',
    'k=',
    'm=',
    'm=audio ',
    'm=video 9 UDP/TLS/RTP/SAVPF ',
  ],
  ...[
    'a=',
    'a=rtpmap:',
    'a=fmtp:',
    'a=rtcp-fb:',
    'a=extmap:',
    'a=ssrc:',
    'a=ssrc-group:',
    'a=msid:',
    'a=rid:',
  ],
  ...['a=simulcast:', 'a=candidate:', 'a=fingerprint:', 'a=setup:', 'a=group:', 'a=mid:', 'a=sctp-port:'],
  ...['a=max-message-size:', 'a=ice-ufrag:', 'a=ice-options:', 'a=sendrecv', 'a=rtcp-mux', 'a=ice-lite'],
];
const CAPTURES = [
  'wrtc-offer-audio-video-data.sdp',
  'node-datachannel-offer.sdp',
  'chromium-offer-simulcast.sdp',
].map((file) => readFileSync(new URL(`../../testdata/sdp/${file}`, import.meta.url), 'utf8'));

describe('SDP properties', () => {
  it('parse(write(d)) = d for generated descriptions', () => {
    fc.assert(
      fc.property(sessionDescription, (desc) => {
        const result = parseSdp(writeSdp(desc));
        if (!result.ok) throw result.error;
        expect(result.value).toEqual(desc);
      }),
      { numRuns: 500 },
    );
  });

  it('arbitrary text never throws', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300, unit: 'binary' }), parsesSafely), { numRuns: 1000 });
  });

  it('near-SDP lines never throw', () => {
    const line = fc.tuple(fc.constantFrom(...PREFIXES), fc.string({ maxLength: 30 })).map(([p, v]) => p + v);
    fc.assert(
      fc.property(fc.array(line, { maxLength: 20 }), fc.constantFrom('\r\n', '\n'), (lines, end) =>
        parsesSafely(HEAD + lines.join(end)),
      ),
      { numRuns: 2000 },
    );
  });

  it('damaged captures never throw', () => {
    const damage = fc.record({
      capture: fc.constantFrom(...CAPTURES),
      at: fc.nat(),
      cut: fc.nat(40),
      insert: fc.string({ maxLength: 10, unit: 'grapheme-ascii' }),
    });
    fc.assert(
      fc.property(damage, ({ capture, at, cut, insert }) => {
        const where = at % capture.length;
        parsesSafely(capture.slice(0, where) + insert + capture.slice(where + cut));
      }),
      { numRuns: 2000 },
    );
  });
});
