/**
 * The SFU with three libwebrtc participants (@roamhq/wrtc, each in its own
 * process): every one publishes audio and video into one router, and
 * receives the other two through the server. Each publishes a picture of
 * its own brightness, so a subscriber can tell whose video it decodes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IceUdpMux } from '../../src/ice/index.js';
import { Router } from '../../src/media/router.js';
import { generateSelfSignedCertificate } from '../../src/util/certificate.js';
import { type PeerMessage, StdioPeer } from './peers/stdio-peer.js';
import { SfuParticipant } from './sfu-participant.js';

interface TrackStats {
  kind: string;
  frames: number;
  width: number;
  height: number;
  luma: number;
  chunks: number;
  rms: number;
  ended: boolean;
}

let mux: IceUdpMux;
let router: Router;

beforeAll(async () => {
  mux = await IceUdpMux.listen({ address: '127.0.0.1', port: 0 });
  router = new Router({
    udp: [mux],
    certificate: generateSelfSignedCertificate({ commonName: 'switchboard-sfu' }),
  });
});

afterAll(async () => {
  router?.close();
  await mux?.close();
});

function tracksOf(message: PeerMessage): Record<string, TrackStats> {
  return message.tracks as Record<string, TrackStats>;
}

describe('SFU with three libwebrtc participants', () => {
  it('routes each participant’s audio and video to the two others, decodable', async () => {
    const people = [
      { name: 'ada', luma: 60 },
      { name: 'bob', luma: 130 },
      { name: 'cy', luma: 200 },
    ];
    const participants = people.map(
      ({ name, luma }) =>
        new SfuParticipant(
          name,
          new StdioPeer('wrtc-sfu-peer.cjs', { luma, width: 320, height: 240, seconds: 60 }),
          router,
        ),
    );
    try {
      for (const participant of participants) await participant.startPublishing();
      for (const participant of participants) {
        for (const other of participants) {
          if (other === participant) continue;
          for (const producer of other.producers) participant.consume(producer);
        }
        await participant.renegotiate();
      }
      const wanted = (m: PeerMessage) => {
        if (m.type !== 'stats') return false;
        const tracks = Object.values(tracksOf(m));
        return (
          tracks.filter((t) => t.kind === 'video' && t.frames >= 20).length === 2 &&
          tracks.filter((t) => t.kind === 'audio' && t.chunks >= 50 && t.rms > 1000).length === 2
        );
      };
      const results = await Promise.all(
        participants.map((participant) =>
          participant.peer.waitFor(wanted, 30_000, `${participant.name} to receive both others`),
        ),
      );
      for (const [index, result] of results.entries()) {
        const tracks = tracksOf(result);
        for (const [otherIndex, other] of people.entries()) {
          if (otherIndex === index) continue;
          const video = tracks[`${other.name} video`];
          expect(video, `${people[index]?.name} receives ${other.name}'s video`).toBeDefined();
          expect(video?.width).toBe(320);
          expect(video?.height).toBe(240);
          // Whose picture it is: the brightness that participant sends.
          expect(Math.abs((video?.luma ?? 0) - other.luma)).toBeLessThan(16);
          expect(tracks[`${other.name} audio`]?.rms).toBeGreaterThan(1000);
        }
        expect(tracks[`${people[index]?.name} video`]).toBeUndefined();
      }
      for (const participant of participants) {
        expect(participant.publish.stats.srtpErrors).toBe(0);
        expect(participant.subscribe.stats.srtpErrors).toBe(0);
        for (const consumer of participant.consumers.values())
          expect(consumer.stats.packetsSent).toBeGreaterThan(0);
      }
    } finally {
      await Promise.all(participants.map((participant) => participant.peer.stop()));
      for (const participant of participants) participant.leave();
    }
  }, 60_000);
});
