/**
 * Data channels against libdatachannel (node-datachannel, in its own
 * process): it offers a channel, we answer (m=application, SCTP over DTLS on
 * an ICE-lite transport), echo every message it sends, and open a channel of
 * our own towards it. Both DTLS roles; loopback only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IceUdpMux } from '../../src/ice/index.js';
import { type DtlsRole, WebRtcTransport } from '../../src/media/webrtc-transport.js';
import type { DataChannel } from '../../src/sctp/index.js';
import {
  createAnswer,
  fingerprintFromDescription,
  iceParametersFromDescription,
  parseSdp,
  writeSdp,
} from '../../src/sdp/index.js';
import { generateSelfSignedCertificate, type SelfSignedCertificate } from '../../src/util/certificate.js';
import { StdioPeer } from './peers/stdio-peer.js';

const ROLES: DtlsRole[] = ['client', 'server'];

let mux: IceUdpMux;
let certificate: SelfSignedCertificate;

beforeAll(async () => {
  mux = await IceUdpMux.listen({ address: '127.0.0.1', port: 0 });
  certificate = generateSelfSignedCertificate({ commonName: 'switchboard-datachannel' });
});

afterAll(async () => {
  await mux?.close();
});

/** Answers a data-channel offer with a transport that has SCTP enabled. */
function answerOffer(offerSdp: string, role: DtlsRole): { transport: WebRtcTransport; answerSdp: string } {
  const parsed = parseSdp(offerSdp);
  if (!parsed.ok) throw parsed.error;
  const offer = parsed.value;
  const remoteIce = iceParametersFromDescription(offer);
  const remoteFingerprint = fingerprintFromDescription(offer);
  if (!remoteIce || !remoteFingerprint) throw new Error('offer without ICE credentials or fingerprint');
  const application = offer.media.find((section) => section.kind === 'application');
  if (!application) throw new Error('offer without m=application');
  const transport = new WebRtcTransport({
    udp: [mux],
    certificate,
    dataChannels: {
      remotePort: application.sctpPort ?? 5000,
      remoteMaxMessageSize: application.maxMessageSize,
    },
  });
  const answer = createAnswer(offer, {
    iceParameters: transport.iceParameters,
    candidates: transport.iceCandidateLines,
    fingerprint: { algorithm: 'sha-256', value: certificate.fingerprintSha256 },
    setup: role === 'client' ? 'active' : 'passive',
    sendSsrcs: {},
  });
  if (!answer.ok) throw answer.error;
  transport.connect({
    ice: { usernameFragment: remoteIce.usernameFragment, password: remoteIce.password },
    dtls: { role, fingerprints: [remoteFingerprint] },
  });
  return { transport, answerSdp: writeSdp(answer.value.description) };
}

describe('data channels against libdatachannel (node-datachannel)', () => {
  for (const role of ROLES) {
    it(`echoes text and binary messages of 1 B to 64 KiB in order, and opens a channel to the peer (our DTLS ${role})`, async () => {
      const sizes = [1, 2, 100, 1000, 1200, 4096, 16384, 65536];
      const peer = new StdioPeer('ndc-datachannel-peer.cjs', { sizes, empty: true, seconds: 30 });
      let transport: WebRtcTransport | undefined;
      try {
        const offer = await peer.waitFor((m) => m.type === 'offer', 10_000, 'the offer');
        const session = answerOffer(String(offer.sdp), role);
        transport = session.transport;
        const echoed: DataChannel[] = [];
        const received: (string | Buffer)[] = [];
        transport.on('datachannel', (channel) => {
          echoed.push(channel);
          channel.on('message', (data) => {
            received.push(data);
            channel.send(data);
          });
        });
        peer.send({ type: 'answer', sdp: session.answerSdp });

        const expectedCount = sizes.length * 2 + 1;
        const echo = await peer.waitFor(
          (m) => m.type === 'echo' && m.received === expectedCount,
          20_000,
          'every message echoed',
        );
        expect(echo.mismatches).toBe(0);
        expect(echo.firstMismatch).toBeNull();
        expect(echoed).toHaveLength(1);
        const [channel] = echoed;
        expect(channel?.label).toBe('echo');
        expect(channel?.protocol).toBe('echo-v1');
        // The offerer is the DTLS client when we are the server, and takes even ids (RFC 8832 §6).
        expect((channel?.id ?? -1) % 2).toBe(role === 'server' ? 0 : 1);
        expect(received).toHaveLength(expectedCount);
        expect(received.at(-1)).toBe('');
        expect(Buffer.isBuffer(received[15]) && received[15].length).toBe(65536);

        // Our own channel towards the peer.
        const manager = transport.dataChannels;
        if (!manager) throw new Error('no data channel manager');
        const ours = manager.createDataChannel('from-switchboard', { protocol: 'hello' });
        expect(ours.id % 2).toBe(role === 'client' ? 0 : 1);
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('our channel did not open')), 10_000);
          ours.once('open', () => {
            clearTimeout(timer);
            resolve();
          });
        });
        ours.send('hello from switchboard');
        ours.send(Buffer.from([0xde, 0xad, 0xbe, 0xef]));
        const remote = await peer.waitFor((m) => m.type === 'remote-channel', 10_000, 'the remote channel');
        expect(remote.label).toBe('from-switchboard');
        expect(remote.protocol).toBe('hello');
        const text = await peer.waitFor(
          (m) => m.type === 'remote-message' && m.kind === 'text',
          10_000,
          'our text message',
        );
        expect(text.text).toBe('hello from switchboard');
        const binary = await peer.waitFor(
          (m) => m.type === 'remote-message' && m.kind === 'binary',
          10_000,
          'our binary message',
        );
        expect(binary.text).toBe('deadbeef');

        // Closing ours resets the stream; libdatachannel resets its side and both report closed.
        const closed = new Promise<void>((resolve) => ours.once('close', () => resolve()));
        ours.close();
        await closed;
        await peer.waitFor((m) => m.type === 'remote-closed', 10_000, 'the peer to see our channel close');
        expect(transport.sctpAssociation?.stats.internalErrors).toBe(0);
      } finally {
        await peer.stop();
        transport?.close();
      }
    }, 40_000);
  }
});
