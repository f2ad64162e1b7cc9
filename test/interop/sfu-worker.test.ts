/**
 * The three-participant scenario of sfu-wrtc.test.ts, with the SFU on a
 * media worker thread driven only through its message API: three libwebrtc
 * participants (@roamhq/wrtc, each in its own process) publish audio and
 * video into one router and receive the other two through the worker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaWorker } from '../../src/media/worker.js';
import type { MediaEvent } from '../../src/media/worker-protocol.js';
import { type PeerMessage, StdioPeer } from './peers/stdio-peer.js';
import { WorkerSfuParticipant } from './sfu-worker-participant.js';

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

let worker: MediaWorker;
const events: MediaEvent[] = [];

beforeAll(async () => {
  worker = await MediaWorker.start({ threaded: true, listen: { address: '127.0.0.1', udpPort: 0 } });
  worker.on('event', (event) => events.push(event));
});

afterAll(async () => {
  await worker?.close();
});

function tracksOf(message: PeerMessage): Record<string, TrackStats> {
  return message.tracks as Record<string, TrackStats>;
}

describe('SFU on a worker thread with three libwebrtc participants', () => {
  it('routes each participant’s audio and video to the two others, decodable', async () => {
    expect(worker.threaded).toBe(true);
    const { routerId } = await worker.createRouter();
    const people = [
      { name: 'ada', luma: 60 },
      { name: 'bob', luma: 130 },
      { name: 'cy', luma: 200 },
    ];
    const participants: WorkerSfuParticipant[] = [];
    const peers = people.map(
      ({ luma }) => new StdioPeer('wrtc-sfu-peer.cjs', { luma, width: 320, height: 240, seconds: 60 }),
    );
    try {
      for (const [index, { name }] of people.entries()) {
        participants.push(await WorkerSfuParticipant.join(name, peers[index]!, worker, routerId));
      }
      for (const participant of participants) await participant.startPublishing();
      for (const participant of participants) {
        for (const other of participants) {
          if (other === participant) continue;
          for (const track of other.producers) await participant.consume(track);
        }
        await participant.renegotiate();
      }
      expect(worker.load).toEqual({
        routers: 1,
        transports: 6,
        producers: 6,
        consumers: 12,
        dataProducers: 0,
        dataConsumers: 0,
      });
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
        const publish = await worker.getTransportStats(participant.publish.transportId);
        const subscribe = await worker.getTransportStats(participant.subscribe.transportId);
        expect(publish).toMatchObject({ iceState: 'completed', dtlsState: 'connected', srtpErrors: 0 });
        expect(publish.iceSelectedTuple?.protocol).toBe('udp');
        expect(publish.rtpPacketsReceived).toBeGreaterThan(0);
        expect(subscribe).toMatchObject({ dtlsState: 'connected', srtpErrors: 0 });
        for (const consumerId of participant.consumers.values()) {
          expect((await worker.getConsumerStats(consumerId)).packetsSent).toBeGreaterThan(0);
        }
      }
      // The state changes crossed the thread as events.
      const connected = events.filter(
        (event) => event.type === 'transport.dtlsstatechange' && event.state === 'connected',
      );
      expect(connected).toHaveLength(6);
      const audioProducers = new Set(
        participants.flatMap((participant) =>
          participant.producers.filter((track) => track.kind === 'audio').map((track) => track.producerId),
        ),
      );
      const heard = events.flatMap((event) => (event.type === 'router.audiolevels' ? event.volumes : []));
      expect(heard.length).toBeGreaterThan(0);
      for (const volume of heard) expect(audioProducers.has(volume.producerId)).toBe(true);
    } finally {
      await Promise.all(peers.map((peer) => peer.stop()));
      for (const participant of participants) await participant.leave();
    }
    expect(worker.load).toEqual({
      routers: 1,
      transports: 0,
      producers: 0,
      consumers: 0,
      dataProducers: 0,
      dataConsumers: 0,
    });
    await worker.closeRouter(routerId);
  }, 60_000);
});
