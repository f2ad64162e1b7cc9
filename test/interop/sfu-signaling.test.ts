/**
 * sfu rooms end to end through the signaling protocol: three libwebrtc
 * participants (each in its own process) join over WebSocket, publish with
 * `publish`, take the server's `subscribe_offer`s, and see and hear each
 * other through the SFU. Then one leaves: the others hear `track_unpublished`
 * and a renegotiated offer takes its tracks away. Grants are enforced.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccessToken, type TokenClaims } from '../../src/signaling/tokens.js';
import { type Received, SignalingTestClient } from '../helpers/ws-client.js';
import { type PeerMessage, StdioPeer } from './peers/stdio-peer.js';
import {
  SFU_TEST_KEY as KEY,
  relaySubscribeNegotiation,
  type SfuSignalingServer,
  startSfuSignalingServer,
} from './sfu-signaling-harness.js';

let server: SfuSignalingServer;
let base: string;

beforeAll(async () => {
  // Two workers on their own threads, as `switchboard start` runs them: rooms are spread over both.
  // Consent runs out in 10 s (disconnected after 5 s without a check; libwebrtc checks every 2.5 s),
  // so the ICE restart test can silence a peer for a few seconds.
  server = await startSfuSignalingServer({
    workers: 2,
    tcp: true,
    consentTimeoutMs: 10_000,
    messagesPerSecond: 200,
    messageBurst: 400,
  });
  base = server.url;
});

afterAll(async () => {
  await server?.close();
});

/** A participant: a signaling client wired to a libwebrtc peer process. */
class Member {
  readonly name: string;
  readonly client: SignalingTestClient;
  readonly peer: StdioPeer;
  readonly id: string;
  readonly #stopRelay: () => void;

  private constructor(
    name: string,
    client: SignalingTestClient,
    peer: StdioPeer,
    id: string,
    stopRelay: () => void,
  ) {
    this.name = name;
    this.client = client;
    this.peer = peer;
    this.id = id;
    this.#stopRelay = stopRelay;
  }

  static async join(name: string, luma: number, claims: Partial<TokenClaims> = {}): Promise<Member> {
    const client = await SignalingTestClient.connect(base);
    const peer = new StdioPeer('wrtc-sfu-peer.cjs', { luma, width: 320, height: 240, seconds: 60 });
    const stopRelay = relaySubscribeNegotiation(client, peer);
    const token = await createAccessToken(KEY, {
      room: 'sfu-main',
      identity: name,
      ttlSeconds: 600,
      ...claims,
    });
    const joined = await client.join(token);
    const participant = joined.participant as { id: string };
    return new Member(name, client, peer, participant.id, stopRelay);
  }

  /** Relays the peer's publish offer and the server's answer. */
  async publish(): Promise<Received> {
    const offer = await this.peer.waitFor((m) => m.type === 'publish-offer', 10_000, `${this.name}'s offer`);
    this.client.send({
      type: 'publish',
      sdp: offer.sdp,
      tracks: [
        { mid: '0', source: 'camera' },
        { mid: '1', source: 'microphone' },
      ],
      rid: 'p1',
    });
    const answer = await this.client.next(['publish_answer', 'error'], 10_000);
    if (answer.type === 'publish_answer') this.peer.send({ type: 'publish-answer', sdp: answer.sdp });
    return answer;
  }

  async stop(): Promise<void> {
    this.#stopRelay();
    await this.peer.stop();
    this.client.close();
  }
}

interface TrackStats {
  kind: string;
  frames: number;
  width: number;
  luma: number;
  chunks: number;
  rms: number;
}

describe('sfu rooms through the signaling protocol (libwebrtc participants)', () => {
  it('three participants see and hear each other; one leaves and the others renegotiate', async () => {
    const people = [
      { name: 'ana', luma: 50 },
      { name: 'ben', luma: 120 },
      { name: 'cleo', luma: 190 },
    ];
    const members: Member[] = [];
    try {
      for (const { name, luma } of people) members.push(await Member.join(name, luma));
      for (const member of members) {
        const answer = await member.publish();
        expect(answer.type).toBe('publish_answer');
        expect(answer.rid).toBe('p1');
        const tracks = answer.tracks as Array<{ kind: string; source: string }>;
        expect(tracks.map((track) => `${track.kind}:${track.source}`).sort()).toEqual([
          'audio:microphone',
          'video:camera',
        ]);
      }
      // Everyone hears of the others' tracks.
      const first = members[0];
      if (!first) throw new Error('no members');
      const published = first.client.all('track_published');
      expect(published.length).toBe(4);

      const streamOf = new Map(members.map((member, index) => [member.id, people[index]]));
      const receivesBoth = (m: PeerMessage) => {
        if (m.type !== 'stats') return false;
        const tracks = Object.values(m.tracks as Record<string, TrackStats>);
        return (
          tracks.filter((t) => t.kind === 'video' && t.frames >= 15).length === 2 &&
          tracks.filter((t) => t.kind === 'audio' && t.rms > 1000).length === 2
        );
      };
      const results = await Promise.all(
        members.map((member) => member.peer.waitFor(receivesBoth, 30_000, `${member.name} to receive both`)),
      );
      for (const [index, result] of results.entries()) {
        const tracks = result.tracks as Record<string, TrackStats>;
        for (const [key, stats] of Object.entries(tracks)) {
          const [streamId, kind] = key.split(' ');
          const owner = streamOf.get(String(streamId));
          expect(owner, `stream ${streamId} is a participant`).toBeDefined();
          expect(owner?.name).not.toBe(people[index]?.name);
          if (kind === 'video' && stats.frames > 0)
            expect(Math.abs(stats.luma - (owner?.luma ?? 0))).toBeLessThan(16);
        }
      }

      // cleo leaves: the others hear of it and get an offer without her tracks.
      const leaving = members.pop();
      if (!leaving) throw new Error('no members');
      const offersBefore = first.client.all('subscribe_offer').length;
      leaving.client.send({ type: 'leave' });
      await leaving.stop();
      const unpublished = await first.client.next('track_unpublished', 5000);
      expect(unpublished.participantId).toBe(leaving.id);
      const deadline = Date.now() + 5000;
      while (first.client.all('subscribe_offer').length === offersBefore && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const offers = first.client.all('subscribe_offer');
      expect(offers.length).toBeGreaterThan(offersBefore);
      const last = offers[offers.length - 1] as unknown as { tracks: Array<{ participantId: string }> };
      expect(last.tracks.some((track) => track.participantId === leaving.id)).toBe(false);
      expect(last.tracks.length).toBe(2);
    } finally {
      await Promise.all(members.map((member) => member.stop()));
    }
  }, 90_000);

  it('restarts ICE on the subscribe connection of a participant that fell silent, and media comes back', async () => {
    const members: Member[] = [];
    try {
      members.push(await Member.join('dora', 70, { room: 'sfu-restart' }));
      members.push(await Member.join('eli', 150, { room: 'sfu-restart' }));
      for (const member of members) expect((await member.publish()).type).toBe('publish_answer');
      const [dora, eli] = members as [Member, Member];
      const videoFrames = (m: PeerMessage) =>
        Object.values(m.tracks as Record<string, TrackStats>).find((t) => t.kind === 'video')?.frames ?? 0;
      await eli.peer.waitFor((m) => m.type === 'stats' && videoFrames(m) > 10, 30_000, 'eli to see dora');
      const ufragOf = (offer: Received) => /a=ice-ufrag:(\S+)/.exec(String(offer.sdp))?.[1];
      const firstUfrag = ufragOf(eli.client.all('subscribe_offer')[0] as Received);
      const offersBefore = eli.client.all('subscribe_offer').length;

      // eli's process stops: no consent checks for 7 s, so the server sees its subscribe connection disconnected.
      eli.peer.freeze();
      await new Promise((resolve) => setTimeout(resolve, 7000));
      eli.peer.thaw();
      const deadline = Date.now() + 10_000;
      while (eli.client.all('subscribe_offer').length === offersBefore && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const restartOffer = eli.client.all('subscribe_offer').at(-1) as Received;
      expect(eli.client.all('subscribe_offer').length).toBeGreaterThan(offersBefore);
      const newUfrag = ufragOf(restartOffer);
      expect(newUfrag).toBeDefined();
      expect(newUfrag).not.toBe(firstUfrag);
      // Media flows again after the restart: frames keep coming.
      const framesAfterRestart = videoFrames(eli.peer.last.get('stats') ?? { type: 'stats', tracks: {} });
      await eli.peer.waitFor(
        (m) => m.type === 'stats' && videoFrames(m) > framesAfterRestart + 20,
        20_000,
        'eli to see dora again',
      );
      expect(dora.client.all('error')).toEqual([]);
      expect(eli.client.all('error')).toEqual([]);
    } finally {
      await Promise.all(members.map((member) => member.stop()));
    }
  }, 90_000);

  it('refuses publish without the publish grant, and p2p messages in an sfu room', async () => {
    const client = await SignalingTestClient.connect(base);
    try {
      const token = await createAccessToken(KEY, {
        room: 'sfu-grants',
        identity: 'viewer',
        ttlSeconds: 600,
        grants: { join: true, publish: false, subscribe: true, data: true },
      });
      await client.join(token);
      client.send({ type: 'publish', sdp: 'v=0\r\n', rid: 'x' });
      const refused = await client.next('error', 3000);
      expect(refused.code).toBe('permission_denied');
      client.send({ type: 'offer', to: 'PA_000000000000', sdp: 'v=0', rid: 'y' });
      const wrongMode = await client.next('error', 3000);
      expect(wrongMode.code).toBe('wrong_mode');
      client.send({ type: 'subscribe_answer', sdp: 'v=0\r\n', rid: 'z' });
      const noOffer = await client.next('error', 3000);
      expect(noOffer.code).toBe('negotiation_failed');
    } finally {
      client.close();
    }
  });
});
