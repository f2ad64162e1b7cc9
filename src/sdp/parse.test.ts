/** The parser's grammar, limits and error codes, and the writer's refusal of forged lines. */
import { describe, expect, it } from 'vitest';
import { fmtpParameters } from './codec.js';
import type { SdpErrorCode } from './errors.js';
import { parseSdp, SDP_MAX_LINE_BYTES, SDP_MAX_MEDIA_SECTIONS, SDP_MAX_TEXT_BYTES } from './parse.js';
import { writeSdp } from './write.js';

const HEAD = ['v=0', 'o=- 123 2 IN IP4 127.0.0.1', 's=-', 't=0 0'];
const sdp = (...lines: string[]) => `${[...HEAD, ...lines].join('\r\n')}\r\n`;
const AUDIO = 'm=audio 9 UDP/TLS/RTP/SAVPF 111';

function errorCode(text: string): SdpErrorCode | undefined {
  const result = parseSdp(text);
  return result.ok ? undefined : result.error.code;
}

describe('parseSdp', () => {
  it('reads a minimal description (RFC 8866 §5)', () => {
    const result = parseSdp(sdp());
    expect(result).toEqual({
      ok: true,
      value: {
        version: 0,
        origin: {
          username: '-',
          sessionId: '123',
          sessionVersion: '2',
          netType: 'IN',
          addrType: 'IP4',
          unicastAddress: '127.0.0.1',
        },
        sessionName: '-',
        emails: [],
        phones: [],
        bandwidths: [],
        timing: [{ start: '0', stop: '0', repeats: [] }],
        groups: [],
        iceLite: false,
        fingerprints: [],
        attributes: [],
        media: [],
      },
    });
  });

  it('accepts bare LF, a missing final line end and empty lines', () => {
    const text = `${[...HEAD, '', AUDIO, 'a=mid:0'].join('\n')}`;
    const result = parseSdp(text);
    expect(result.ok && result.value.media[0].mid).toBe('0');
  });

  it('keeps 64-bit session ids as text', () => {
    const result = parseSdp(sdp().replace('o=- 123 2', 'o=- 7247942464241488473 18446744073709551615'));
    expect(result.ok && result.value.origin).toMatchObject({
      sessionId: '7247942464241488473',
      sessionVersion: '18446744073709551615',
    });
  });

  it('reads the other session lines, with r= bound to its t=', () => {
    const text = [
      'v=0',
      'o=alice 1 1 IN IP6 ::1',
      's=A call',
      'i=about it',
      'u=https://example.org/',
      'e=a@example.org',
      'p=+1 555',
      'c=IN IP4 224.2.17.12/127',
      'b=AS:300',
      't=1 2',
      'r=7d 1h 0 25h',
      't=3 4',
      'z=2882844526 -1h',
      'k=prompt',
      'a=recvonly',
      'm=text 1000/2 RTP/AVP 98',
      'i=media title',
      'c=IN IP6 ::1',
      'b=TIAS:64000',
      'k=clear:x',
    ].join('\r\n');
    const result = parseSdp(text);
    if (!result.ok) throw result.error;
    const desc = result.value;
    expect(desc.timing).toEqual([
      { start: '1', stop: '2', repeats: ['7d 1h 0 25h'] },
      { start: '3', stop: '4', repeats: [] },
    ]);
    expect(desc.connection?.address).toBe('224.2.17.12/127');
    expect(desc.bandwidths).toEqual([{ type: 'AS', bandwidth: 300 }]);
    expect(desc.attributes).toEqual([{ name: 'recvonly' }]);
    expect(desc.media[0]).toMatchObject({ kind: 'other', media: 'text', port: 1000, numberOfPorts: 2 });
    expect(desc.media[0].bandwidths).toEqual([{ type: 'TIAS', bandwidth: 64000 }]);
    const again = parseSdp(writeSdp(desc));
    expect(again.ok && again.value).toEqual(desc);
  });

  it('reads the WebRTC attributes', () => {
    const result = parseSdp(
      sdp(
        'a=group:BUNDLE a b',
        'a=ice-lite',
        'a=ice-ufrag:sess',
        'a=setup:passive',
        'm=video 9 UDP/TLS/RTP/SAVPF 96 97',
        'a=mid:a',
        'a=sendonly',
        'a=extmap:3/recvonly urn:x:y attr1 attr2',
        'a=rtpmap:96 VP8/90000',
        'a=rtcp-fb:96 ccm fir',
        'a=rtcp-fb:* nack',
        'a=fmtp:97 apt=96',
        'a=rtpmap:97 rtx/90000',
        'a=ssrc:1 cname:x',
        'a=ssrc:1 label',
        'a=ssrc-group:SIM 1 2 3',
        'a=rid:hi send pt=96;max-width=1280',
        'a=rid:lo send',
        'a=simulcast:send hi,~lo recv x',
        'a=candidate:1 1 udp 1 10.0.0.1 5000 typ host',
        'a=end-of-candidates',
        'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
        'a=mid:b',
        'a=sctp-port:5000',
        'a=max-message-size:0',
      ),
    );
    if (!result.ok) throw result.error;
    const desc = result.value;
    expect(desc).toMatchObject({ iceLite: true, iceUfrag: 'sess', setup: 'passive' });
    const [video, data] = desc.media;
    expect(video.direction).toBe('sendonly');
    expect(video.extmaps).toEqual([
      { id: 3, direction: 'recvonly', uri: 'urn:x:y', attributes: 'attr1 attr2' },
    ]);
    // Codecs come in order of first mention; fmtp before rtpmap is fine.
    expect(video.codecs).toEqual([
      { payloadType: 96, name: 'VP8', clockRate: 90000, rtcpFeedback: [{ type: 'ccm', parameter: 'fir' }] },
      { payloadType: 97, name: 'rtx', clockRate: 90000, fmtp: 'apt=96', rtcpFeedback: [] },
    ]);
    expect(video.attributes).toEqual([{ name: 'rtcp-fb', value: '* nack' }]);
    expect(video.ssrcs).toEqual([
      { ssrc: 1, attribute: 'cname', value: 'x' },
      { ssrc: 1, attribute: 'label' },
    ]);
    expect(video.ssrcGroups).toEqual([{ semantics: 'SIM', ssrcs: [1, 2, 3] }]);
    expect(video.rids[0]).toEqual({ id: 'hi', direction: 'send', params: 'pt=96;max-width=1280' });
    expect(video.simulcast).toEqual({
      send: [
        [
          { rid: 'hi', paused: false },
          { rid: 'lo', paused: true },
        ],
      ],
      recv: [[{ rid: 'x', paused: false }]],
    });
    expect(video.candidates).toEqual(['1 1 udp 1 10.0.0.1 5000 typ host']);
    expect(video.endOfCandidates).toBe(true);
    expect(data).toMatchObject({ sctpPort: 5000, maxMessageSize: 0 });
  });

  it.each<[string, string, SdpErrorCode]>([
    ['not starting with v=', 'o=- 1 1 IN IP4 0.0.0.0\r\nv=0\r\n', 'ERR_SDP_MISSING_LINE'],
    ['no o=', 'v=0\r\ns=-\r\nt=0 0\r\n', 'ERR_SDP_MISSING_LINE'],
    ['no s=', 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\nt=0 0\r\n', 'ERR_SDP_MISSING_LINE'],
    ['no t=', 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\n', 'ERR_SDP_MISSING_LINE'],
    ['empty text', '', 'ERR_SDP_MISSING_LINE'],
    ['v=1', sdp().replace('v=0', 'v=1'), 'ERR_SDP_BAD_VERSION'],
    ['short o=', sdp().replace('o=- 123 2 IN IP4 127.0.0.1', 'o=- 123 2 IN IP4'), 'ERR_SDP_BAD_ORIGIN'],
    ['non-numeric session id', sdp().replace('o=- 123', 'o=- abc'), 'ERR_SDP_BAD_ORIGIN'],
    ['bad t=', sdp().replace('t=0 0', 't=0'), 'ERR_SDP_BAD_TIMING'],
    ['r= before t=', 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nr=1 2\r\nt=0 0\r\n', 'ERR_SDP_BAD_TIMING'],
    ['bad c=', sdp('c=IN IP4'), 'ERR_SDP_BAD_CONNECTION'],
    ['bad b=', sdp('b=AS:x'), 'ERR_SDP_BAD_BANDWIDTH'],
    ['m= without formats', sdp('m=audio 9 RTP/AVP'), 'ERR_SDP_BAD_MEDIA'],
    ['m= port out of range', sdp('m=audio 65536 RTP/AVP 0'), 'ERR_SDP_BAD_MEDIA'],
    ['no "="', sdp('hello'), 'ERR_SDP_BAD_LINE'],
    ['upper-case type', sdp('A=foo'), 'ERR_SDP_BAD_LINE'],
    ['a CR inside a line', sdp('a=foo\rbar'), 'ERR_SDP_BAD_LINE'],
    ['a NUL inside a line', sdp('a=foo\0'), 'ERR_SDP_BAD_LINE'],
    ['undefined type letter', sdp('x=1'), 'ERR_SDP_UNEXPECTED_LINE'],
    ['o= in a media section', sdp(AUDIO, 'o=- 1 1 IN IP4 0.0.0.0'), 'ERR_SDP_UNEXPECTED_LINE'],
    ['two s=', sdp('s=again'), 'ERR_SDP_DUPLICATE_LINE'],
    ['two c= in a section', sdp(AUDIO, 'c=IN IP4 0.0.0.0', 'c=IN IP4 0.0.0.0'), 'ERR_SDP_DUPLICATE_LINE'],
    ['bad rtpmap', sdp(AUDIO, 'a=rtpmap:111 opus'), 'ERR_SDP_BAD_ATTRIBUTE'],
    ['rtpmap payload type 128', sdp(AUDIO, 'a=rtpmap:128 opus/48000'), 'ERR_SDP_BAD_ATTRIBUTE'],
    ['bad fmtp', sdp(AUDIO, 'a=fmtp:x y'), 'ERR_SDP_BAD_ATTRIBUTE'],
    ['bad rtcp-fb', sdp(AUDIO, 'a=rtcp-fb:111'), 'ERR_SDP_BAD_ATTRIBUTE'],
    ['extmap id 0', sdp(AUDIO, 'a=extmap:0 urn:x'), 'ERR_SDP_BAD_ATTRIBUTE'],
    ['extmap bad direction', sdp(AUDIO, 'a=extmap:1/up urn:x'), 'ERR_SDP_BAD_ATTRIBUTE'],
    ['bad ssrc', sdp(AUDIO, 'a=ssrc:4294967296 cname:x'), 'ERR_SDP_BAD_ATTRIBUTE'],
    ['bad ssrc-group', sdp(AUDIO, 'a=ssrc-group:FID 1 x'), 'ERR_SDP_BAD_ATTRIBUTE'],
    ['bad fingerprint', sdp('a=fingerprint:sha-256 XYZ'), 'ERR_SDP_BAD_ATTRIBUTE'],
    ['bad setup', sdp(AUDIO, 'a=setup:both'), 'ERR_SDP_BAD_ATTRIBUTE'],
    ['bad rid direction', sdp(AUDIO, 'a=rid:a both'), 'ERR_SDP_BAD_ATTRIBUTE'],
    ['pre-RFC simulcast', sdp(AUDIO, 'a=simulcast: send rid=a;b'), 'ERR_SDP_BAD_ATTRIBUTE'],
    ['bad sctp-port', sdp(AUDIO, 'a=sctp-port:x'), 'ERR_SDP_BAD_ATTRIBUTE'],
    ['flag with a value', sdp(AUDIO, 'a=rtcp-mux:yes'), 'ERR_SDP_BAD_ATTRIBUTE'],
    ['mid with a space', sdp(AUDIO, 'a=mid:a b'), 'ERR_SDP_BAD_ATTRIBUTE'],
    ['two mids', sdp(AUDIO, 'a=mid:0', 'a=mid:1'), 'ERR_SDP_DUPLICATE_ATTRIBUTE'],
    ['two directions', sdp(AUDIO, 'a=sendrecv', 'a=inactive'), 'ERR_SDP_DUPLICATE_ATTRIBUTE'],
    [
      'two rtpmaps for one payload type',
      sdp(AUDIO, 'a=rtpmap:1 a/1', 'a=rtpmap:1 b/1'),
      'ERR_SDP_DUPLICATE_ATTRIBUTE',
    ],
    ['two fmtps for one payload type', sdp(AUDIO, 'a=fmtp:1 a', 'a=fmtp:1 b'), 'ERR_SDP_DUPLICATE_ATTRIBUTE'],
    ['two session ice-lite', sdp('a=ice-lite', 'a=ice-lite'), 'ERR_SDP_DUPLICATE_ATTRIBUTE'],
  ])('refuses %s', (_what, text, code) => {
    expect(errorCode(text)).toBe(code);
  });

  it('reports the line where it stopped', () => {
    const result = parseSdp(sdp(AUDIO, 'a=rtpmap:bad'));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.line).toBe(6);
      expect(result.error.message).toMatch(/^line 6: /);
      expect(result.error.name).toBe('SdpError');
    }
  });

  it('enforces its limits', () => {
    expect(errorCode(sdp(`a=x:${'y'.repeat(SDP_MAX_LINE_BYTES)}`))).toBe('ERR_SDP_LINE_TOO_LONG');
    // A line of multi-byte characters is measured in bytes.
    expect(errorCode(sdp(`a=x:${'é'.repeat(SDP_MAX_LINE_BYTES / 2)}`))).toBe('ERR_SDP_LINE_TOO_LONG');
    expect(errorCode(sdp(`a=x:${'y'.repeat(SDP_MAX_LINE_BYTES - 4)}`))).toBeUndefined();
    const many = Array.from({ length: SDP_MAX_MEDIA_SECTIONS + 1 }, (_, i) => `m=audio 9 RTP/AVP ${i % 128}`);
    expect(errorCode(sdp(...many))).toBe('ERR_SDP_TOO_MANY_MEDIA');
    expect(errorCode(sdp(...many.slice(1)))).toBeUndefined();
    const filler = Array.from({ length: SDP_MAX_TEXT_BYTES / 1000 + 1 }, () => `a=x:${'y'.repeat(995)}`);
    expect(errorCode(sdp(...filler))).toBe('ERR_SDP_TOO_LARGE');
    expect(errorCode(sdp(...filler.slice(0, 200)))).toBeUndefined();
  });

  it('refuses a value that is not a string without throwing', () => {
    expect(errorCode(undefined as unknown as string)).toBe('ERR_SDP_INVALID_ARGUMENT');
  });
});

describe('writeSdp', () => {
  it('writes CRLF line ends, the final one included', () => {
    const result = parseSdp(sdp(AUDIO));
    if (!result.ok) throw result.error;
    expect(writeSdp(result.value)).toBe(sdp(AUDIO));
  });

  it('throws on a value that would forge a line', () => {
    const result = parseSdp(sdp(AUDIO));
    if (!result.ok) throw result.error;
    const desc = result.value;
    desc.media[0].mid = '0\r\na=ice-lite';
    expect(() => writeSdp(desc)).toThrow(expect.objectContaining({ code: 'ERR_SDP_INVALID_ARGUMENT' }));
  });
});

describe('fmtpParameters', () => {
  it('splits on semicolons and tolerates spaces and bare flags', () => {
    expect(fmtpParameters('profile-level-id=42e01f; packetization-mode=1;x;;a=b=c')).toEqual({
      'profile-level-id': '42e01f',
      'packetization-mode': '1',
      x: '',
      a: 'b=c',
    });
    expect(fmtpParameters(undefined)).toEqual({});
  });
});
