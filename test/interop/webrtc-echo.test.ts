/**
 * The transport stack against two WebRTC implementations no one here wrote:
 * libwebrtc (@roamhq/wrtc) and libdatachannel (node-datachannel). Each peer
 * runs in its own process (peers/*.cjs), offers, takes our answer, connects
 * to an echo transport on one shared UDP port (ICE-lite, DTLS in either
 * role, SRTP), and checks that what comes back is its own media: decoded
 * video of the size and brightness it sent and audible audio for libwebrtc,
 * byte-identical RTP payloads for libdatachannel.
 */

import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IceTcpMux, IceUdpMux } from '../../src/ice/index.js';
import type { DtlsRole, TransportCloseReason } from '../../src/media/webrtc-transport.js';
import { generateSelfSignedCertificate, type SelfSignedCertificate } from '../../src/util/certificate.js';
import { type PeerMessage, StdioPeer } from './peers/stdio-peer.js';
import { createEchoSession, type EchoOptions, type EchoSession } from './webrtc-echo.js';

const ROLES: DtlsRole[] = ['client', 'server'];

let mux: IceUdpMux;
let tcpMux: IceTcpMux;
let certificate: SelfSignedCertificate;

beforeAll(async () => {
  mux = await IceUdpMux.listen({ address: '127.0.0.1', port: 0 });
  tcpMux = await IceTcpMux.listen({ address: '127.0.0.1', port: 0 });
  certificate = generateSelfSignedCertificate({ commonName: 'switchboard-echo' });
});

afterAll(async () => {
  await mux?.close();
  await tcpMux?.close();
});

/** Runs one peer against a fresh echo session until `done` holds for its stats. */
async function runEcho(
  script: string,
  peerOptions: Record<string, unknown>,
  role: DtlsRole,
  done: (stats: PeerMessage) => boolean,
  echo: Partial<EchoOptions> = { udp: mux },
): Promise<{ stats: PeerMessage; session: EchoSession; selectedProtocol: string | undefined }> {
  const peer = new StdioPeer(script, peerOptions);
  let session: EchoSession | undefined;
  try {
    const offer = await peer.waitFor((m) => m.type === 'offer', 10_000, 'the offer');
    session = createEchoSession(String(offer.sdp), { certificate, role, ...echo });
    peer.send({ type: 'answer', sdp: session.answerSdp });
    const stats = await peer.waitFor((m) => m.type === 'stats' && done(m), 20_000, 'the echoed media');
    // Read before the transport closes below.
    return { stats, session, selectedProtocol: session.transport.iceSelectedTuple?.protocol };
  } finally {
    await peer.stop();
    session?.transport.close();
  }
}

describe('echo transport against libwebrtc (@roamhq/wrtc)', () => {
  for (const role of ROLES) {
    it(`gets its audio and video back, decrypted and decodable, with our DTLS ${role}`, async () => {
      const sent = { width: 320, height: 240, luma: 200 };
      const { stats, session, selectedProtocol } = await runEcho(
        'wrtc-peer.cjs',
        { ...sent, seconds: 40 },
        role,
        (m) => {
          const video = m.video as { frames: number };
          const audio = m.audio as { chunks: number; rms: number };
          return video.frames >= 30 && audio.chunks >= 100 && audio.rms > 1000;
        },
      );
      const video = stats.video as { frames: number; width: number; height: number; luma: number };
      expect(video.width).toBe(sent.width);
      expect(video.height).toBe(sent.height);
      // VP8 at a low bitrate keeps a flat grey picture within a few levels.
      expect(Math.abs(video.luma - sent.luma)).toBeLessThan(16);
      const { transport, counters } = session;
      // This build of libwebrtc offers AES-CM only (GCM is an opt-in crypto option there).
      expect(transport.srtpProfile).toBe('SRTP_AES128_CM_HMAC_SHA1_80');
      expect(transport.stats.srtpErrors).toBe(0);
      expect(Object.keys(counters.echoed).length).toBe(2);
      expect(selectedProtocol).toBe('udp');
      expect(transport.closed).toBe(true);
    }, 40_000);
  }
});

/** libwebrtc's audio and video made it back: the picture sent, and the tone. */
function mediaCameBack(m: PeerMessage): boolean {
  const video = m.video as { frames: number };
  const audio = m.audio as { chunks: number; rms: number };
  return video.frames >= 30 && audio.chunks >= 100 && audio.rms > 1000;
}

describe('echo transport over passive ICE-TCP (RFC 6544) against libwebrtc', () => {
  it('carries audio and video when the answer offers only a TCP candidate', async () => {
    const { stats, session, selectedProtocol } = await runEcho(
      'wrtc-peer.cjs',
      { seconds: 40 },
      'server',
      mediaCameBack,
      { tcp: tcpMux },
    );
    expect(selectedProtocol).toBe('tcp');
    expect((stats.video as { width: number }).width).toBe(320);
    expect(session.transport.stats.srtpErrors).toBe(0);
  }, 40_000);
});

describe('echo transport against libdatachannel (node-datachannel)', () => {
  for (const role of ROLES) {
    it(`gets every RTP packet back byte for byte on two tracks, with our DTLS ${role}`, async () => {
      const packets = 150;
      const { stats, session } = await runEcho('ndc-peer.cjs', { packets, seconds: 40 }, role, (m) => {
        const intact = m.intact as Record<string, number>;
        return (intact['0'] ?? 0) >= packets && (intact['1'] ?? 0) >= packets;
      });
      const corrupt = stats.corrupt as Record<string, number>;
      expect(corrupt).toEqual({ '0': 0, '1': 0 });
      const ssrcs = stats.ssrcs as Record<string, number[]>;
      // Each track's echo arrives under the one SSRC our answer announced for it.
      expect(ssrcs['0']).toHaveLength(1);
      expect(ssrcs['1']).toHaveLength(1);
      expect(ssrcs['0']?.[0]).not.toBe(0x1111_1111);
      // libdatachannel's libsrtp offers AEAD-AES-128-GCM, which we prefer: the GCM path against a real peer.
      expect(session.transport.srtpProfile).toBe('SRTP_AEAD_AES_128_GCM');
      expect(session.transport.stats.srtpErrors).toBe(0);
      expect(session.counters.echoed).toEqual({ '0': packets, '1': packets });
    }, 40_000);
  }
});

describe('echo transport refusals', () => {
  for (const role of ROLES) {
    it(`closes with a reason when the peer's certificate does not match the SDP fingerprint (our DTLS ${role})`, async () => {
      const peer = new StdioPeer('ndc-peer.cjs', { packets: 10, seconds: 20 });
      try {
        const offer = await peer.waitFor((m) => m.type === 'offer', 10_000, 'the offer');
        const wrong = randomBytes(32).toString('hex').toUpperCase().match(/../g)?.join(':') ?? '';
        const { transport, answerSdp } = createEchoSession(String(offer.sdp), {
          udp: mux,
          certificate,
          role,
          expectFingerprint: { algorithm: 'sha-256', value: wrong },
        });
        const closed = once(transport, 'close') as Promise<[TransportCloseReason]>;
        peer.send({ type: 'answer', sdp: answerSdp });
        const [reason] = await closed;
        expect(reason.cause).toBe('dtls');
        expect(reason.message).toMatch(/certificate|fingerprint/i);
        expect(transport.dtlsState).toBe('failed');
        expect(transport.stats.rtpPacketsReceived).toBe(0);
        await peer.waitFor(
          (m) => m.type === 'state' && (m.state === 'failed' || m.state === 'closed'),
          10_000,
          'the peer to fail',
        );
      } finally {
        await peer.stop();
      }
    }, 30_000);
  }

  it('drops garbage sent at the shared port and keeps echoing', async () => {
    const garbage = createSocket('udp4');
    const address = mux.localAddress;
    const droppedBefore =
      mux.stats.droppedUnknownAddress + mux.stats.droppedMalformed + mux.stats.droppedUnknownUfrag;
    let sentGarbage = 0;
    const timer = setInterval(() => {
      for (const firstByte of [0x00, 0x16, 0x80, 0x90, 0xff]) {
        const datagram = randomBytes(1 + Math.floor(Math.random() * 300));
        datagram[0] = firstByte;
        garbage.send(datagram, address.port, address.address);
        sentGarbage++;
      }
    }, 5);
    try {
      const packets = 100;
      const { stats, session } = await runEcho('ndc-peer.cjs', { packets, seconds: 40 }, 'server', (m) => {
        const intact = m.intact as Record<string, number>;
        return (intact['0'] ?? 0) >= packets && (intact['1'] ?? 0) >= packets;
      });
      expect(stats.corrupt).toEqual({ '0': 0, '1': 0 });
      expect(session.transport.stats.srtpErrors).toBe(0);
    } finally {
      clearInterval(timer);
      garbage.close();
    }
    const droppedAfter =
      mux.stats.droppedUnknownAddress + mux.stats.droppedMalformed + mux.stats.droppedUnknownUfrag;
    expect(sentGarbage).toBeGreaterThan(50);
    expect(droppedAfter - droppedBefore).toBeGreaterThan(0);
  }, 40_000);
});
