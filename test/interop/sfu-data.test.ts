/**
 * Data in sfu rooms, end to end through the signaling protocol: libwebrtc
 * participants (each in its own process) join over WebSocket, answer the
 * server's subscribe offers, and take the two data channels the server opens
 * on that connection ("reliable" and "lossy"). What one sends in an envelope
 * reaches the others (or the ones it names) with its identity as `from`;
 * the server's own messages come `from: null` on the same channels;
 * a participant without the data grant is not heard; garbage is refused
 * without harm. docs/protocol.md, "Data channels in sfu rooms".
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createAccessToken, type TokenClaims } from '../../src/signaling/tokens.js';
import { describeWithNpmPackage, npmPackageAvailable } from '../helpers/npm-packages.js';
import { SignalingTestClient } from '../helpers/ws-client.js';
import { type PeerMessage, StdioPeer } from './peers/stdio-peer.js';
import {
  SFU_TEST_KEY as KEY,
  relaySubscribeNegotiation,
  type SfuSignalingServer,
  startSfuSignalingServer,
} from './sfu-signaling-harness.js';

const ROOM = 'sfu-data';
const WRTC = npmPackageAvailable('@roamhq/wrtc');

/** A participant: a signaling client wired to a libwebrtc peer that only receives. */
class Participant {
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

  static async join(name: string, claims: Partial<TokenClaims> = {}): Promise<Participant> {
    const client = await SignalingTestClient.connect(server.url);
    const peer = new StdioPeer('wrtc-sfu-data-peer.cjs', { seconds: 90 });
    const stopRelay = relaySubscribeNegotiation(client, peer);
    const token = await createAccessToken(KEY, { room: ROOM, identity: name, ttlSeconds: 600, ...claims });
    const joined = await client.join(token);
    return new Participant(name, client, peer, (joined.participant as { id: string }).id, stopRelay);
  }

  /** Both server channels are open; returns what the peer saw of them. */
  async channels(): Promise<PeerMessage[]> {
    return Promise.all(
      ['reliable', 'lossy'].map((label) =>
        this.peer.waitFor(
          (m) => m.type === 'channel' && m.label === label,
          20_000,
          `${this.name}'s "${label}" channel`,
        ),
      ),
    );
  }

  sendText(envelope: unknown, label = 'reliable'): void {
    this.peer.send({
      type: 'send',
      label,
      text: typeof envelope === 'string' ? envelope : JSON.stringify(envelope),
    });
  }

  sendBinary(header: unknown, payload: Buffer, label = 'reliable'): void {
    const text = Buffer.from(JSON.stringify(header));
    const message = Buffer.alloc(2 + text.length + payload.length);
    message.writeUInt16BE(text.length, 0);
    text.copy(message, 2);
    payload.copy(message, 2 + text.length);
    this.peer.send({ type: 'send', label, base64: message.toString('base64') });
  }

  /** Text envelopes received so far, decoded, with their channel. */
  texts(): Array<{ label: string; envelope: { from: string | null; topic?: string; payload: unknown } }> {
    return this.peer.messages
      .filter((m) => m.type === 'message' && typeof m.text === 'string')
      .map((m) => ({ label: m.label as string, envelope: JSON.parse(m.text as string) }));
  }

  /** Waits for a text envelope with this payload. */
  async receive(
    match: (envelope: { from: string | null; topic?: string; payload: unknown }) => boolean,
    what: string,
  ): Promise<{ from: string | null; topic?: string; payload: unknown }> {
    const message = await this.peer.waitFor(
      (m) => m.type === 'message' && typeof m.text === 'string' && match(JSON.parse(m.text as string)),
      15_000,
      `${this.name} to receive ${what}`,
    );
    return JSON.parse(message.text as string);
  }

  async stop(): Promise<void> {
    this.#stopRelay();
    this.peer.send({ type: 'stop' });
    this.client.close();
  }
}

let server: SfuSignalingServer;
const members: Participant[] = [];

beforeAll(async () => {
  if (WRTC.present) server = await startSfuSignalingServer({ workers: 1 });
}, 30_000);

afterAll(async () => {
  await Promise.all(members.map((member) => member.stop()));
  await server?.close();
});

describeWithNpmPackage('data channels in an sfu room, with libwebrtc participants', WRTC, () => {
  let ada: Participant;
  let bob: Participant;
  let cy: Participant;
  let mute: Participant;

  it('opens "reliable" and "lossy" on every participant\'s subscribe connection', async () => {
    ada = await Participant.join('ada');
    bob = await Participant.join('bob');
    cy = await Participant.join('cy');
    mute = await Participant.join('mute', { grants: { data: false } });
    members.push(ada, bob, cy, mute);
    for (const member of members) {
      const [reliable, lossy] = await member.channels();
      expect(reliable).toMatchObject({ label: 'reliable', protocol: 'switchboard-data', ordered: true });
      expect(lossy).toMatchObject({
        label: 'lossy',
        protocol: 'switchboard-data',
        ordered: false,
        maxRetransmits: 0,
      });
    }
    // Three senders (mute has no data grant); each of the four receives the others' senders.
    const worker = server.pool.workers[0];
    for (let wait = 0; wait < 100 && worker?.load.dataConsumers !== 9; wait++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(worker?.load).toMatchObject({ dataProducers: 3, dataConsumers: 9 });
  }, 60_000);

  it('delivers a text message to every other participant with the sender as `from`', async () => {
    ada.sendText({ topic: 'chat', payload: { text: 'hello room' } });
    for (const member of [bob, cy, mute]) {
      const envelope = await member.receive(
        (e) => (e.payload as { text?: string })?.text === 'hello room',
        'the chat',
      );
      expect(envelope).toEqual({ from: ada.id, topic: 'chat', payload: { text: 'hello room' } });
    }
    // A marker after it: once it arrived, the sender would have had its own copy too.
    bob.sendText({ payload: 'marker-1' });
    await ada.receive((e) => e.payload === 'marker-1', 'the marker');
    expect(
      ada.texts().some(({ envelope }) => (envelope.payload as { text?: string })?.text === 'hello room'),
    ).toBe(false);
  }, 30_000);

  it('keeps 300 reliable messages in order, and a claimed `from` is refused', async () => {
    for (let i = 0; i < 300; i++) bob.sendText({ topic: 'seq', payload: i });
    await cy.receive((e) => e.topic === 'seq' && e.payload === 299, 'the last message');
    const received = cy
      .texts()
      .filter(({ envelope }) => envelope.topic === 'seq')
      .map(({ envelope, label }) => [envelope.from, label, envelope.payload]);
    expect(received).toEqual(Array.from({ length: 300 }, (_, i) => [bob.id, 'reliable', i]));
    // An envelope that names its own sender is not an envelope.
    bob.sendText({ from: ada.id, payload: 'spoof' });
    bob.sendText({ payload: 'after-spoof' });
    await cy.receive((e) => e.payload === 'after-spoof', 'the message after the spoof');
    expect(cy.texts().some(({ envelope }) => envelope.payload === 'spoof')).toBe(false);
  }, 30_000);

  it('sends to the named participants only', async () => {
    ada.sendText({ to: [cy.id], payload: 'for cy' });
    ada.sendText({ payload: 'marker-2' });
    await cy.receive((e) => e.payload === 'for cy', 'the private message');
    await bob.receive((e) => e.payload === 'marker-2', 'the marker');
    expect(bob.texts().some(({ envelope }) => envelope.payload === 'for cy')).toBe(false);
  }, 30_000);

  it('carries binary messages of 1 byte to 200 KiB intact, with the sender in the header', async () => {
    const sizes = [1, 1000, 65_536, 200 * 1024];
    const payloads = sizes.map((size) => randomBytes(size));
    for (const payload of payloads) cy.sendBinary({ topic: 'file' }, payload);
    const digests = payloads.map((payload) => createHash('sha256').update(payload).digest('hex'));
    const deadline = Date.now() + 20_000;
    let got: Array<{ header: unknown; digest: string }> = [];
    while (Date.now() < deadline) {
      got = ada.peer.messages
        .filter((m) => m.type === 'message' && typeof m.base64 === 'string')
        .map((m) => {
          const bytes = Buffer.from(m.base64 as string, 'base64');
          const length = bytes.readUInt16BE(0);
          return {
            header: JSON.parse(bytes.toString('utf8', 2, 2 + length)),
            digest: createHash('sha256')
              .update(bytes.subarray(2 + length))
              .digest('hex'),
          };
        });
      if (got.length >= sizes.length) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(got).toEqual(digests.map((digest) => ({ header: { from: cy.id, topic: 'file' }, digest })));
  }, 30_000);

  it('keeps lossy messages on the lossy channel', async () => {
    for (let i = 0; i < 20; i++) ada.sendText({ topic: 'pos', payload: i }, 'lossy');
    await bob.receive((e) => e.topic === 'pos', 'a lossy message');
    // Loopback loses nothing, but order is not promised: only the channel and content are checked.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const lossy = bob.texts().filter(({ envelope }) => envelope.topic === 'pos');
    expect(lossy.every(({ label, envelope }) => label === 'lossy' && envelope.from === ada.id)).toBe(true);
    expect(new Set(lossy.map(({ envelope }) => envelope.payload)).size).toBe(lossy.length);
  }, 30_000);

  it('does not deliver what a participant without the data grant sends, but it still receives', async () => {
    mute.sendText({ payload: 'not allowed' });
    ada.sendText({ payload: 'marker-3' });
    await mute.receive((e) => e.payload === 'marker-3', 'the marker');
    await bob.receive((e) => e.payload === 'marker-3', 'the marker');
    expect(bob.texts().some(({ envelope }) => envelope.payload === 'not allowed')).toBe(false);
  }, 30_000);

  it('drops garbage envelopes and keeps the channel working', async () => {
    bob.sendText('not json');
    bob.sendText('[1,2,3]');
    bob.sendText({ topic: 'x'.repeat(500), payload: 'long topic' });
    bob.sendText({ to: 'not-a-list', payload: 'bad to' });
    bob.peer.send({
      type: 'send',
      label: 'reliable',
      base64: Buffer.from([0xff, 0xff, 1]).toString('base64'),
    });
    bob.peer.send({ type: 'send', label: 'reliable', base64: Buffer.from([0]).toString('base64') });
    bob.sendText({ payload: 'after-garbage' });
    await ada.receive((e) => e.payload === 'after-garbage', 'the message after the garbage');
    const fromBob = ada.texts().filter(({ envelope }) => envelope.from === bob.id);
    expect(fromBob.map(({ envelope }) => envelope.payload)).not.toContain('long topic');
    expect(fromBob.map(({ envelope }) => envelope.payload)).not.toContain('bad to');
    expect(
      ada.peer.messages.filter((m) => m.type === 'message' && typeof m.base64 === 'string'),
    ).toHaveLength(4);
  }, 30_000);

  it("delivers the server's messages from null, to everyone or the named ones", async () => {
    const room = server.sfu.room(ROOM, { trackPublished() {}, trackUnpublished() {}, activeSpeaker() {} });
    const delivered = await room.sendData({ topic: 'notice', payload: { text: 'from the server' } });
    expect(new Set(delivered)).toEqual(new Set(members.map((member) => member.id)));
    for (const member of members) {
      const envelope = await member.receive((e) => e.topic === 'notice', 'the notice');
      expect(envelope).toEqual({ from: null, topic: 'notice', payload: { text: 'from the server' } });
    }
    expect(await room.sendData({ to: [bob.id], payload: 'only bob' })).toEqual([bob.id]);
    await bob.receive((e) => e.payload === 'only bob', 'the private notice');
  }, 30_000);

  it('stops delivering to a participant that left, without disturbing the others', async () => {
    await cy.stop();
    members.splice(members.indexOf(cy), 1);
    ada.sendText({ payload: 'after cy left' });
    await bob.receive((e) => e.payload === 'after cy left', 'the message');
    await mute.receive((e) => e.payload === 'after cy left', 'the message');
  }, 30_000);
});
