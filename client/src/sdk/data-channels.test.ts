/**
 * The data channels of an sfu room's subscribe connection, driven with fake
 * channels: which channel a message takes, the queue until a channel opens
 * and under backpressure, the size limit, the fallback to signaling, and
 * channels replaced by newer ones.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { clientMessageSchema } from '../../../src/signaling/protocol.js';
import {
  BUFFERED_AMOUNT_HIGH,
  BUFFERED_AMOUNT_LOW,
  DATA_CHANNEL_PROTOCOL,
  DATA_QUEUE_LIMITS,
  DataChannels,
  type DataChannelsOptions,
  type DataMessage,
  DEFAULT_MAX_MESSAGE_SIZE,
} from './data-channels.js';
import {
  DataChannelUnavailableError,
  DataQueueFullError,
  DataTooLargeError,
  InvalidDataError,
} from './errors.js';
import type { ClientMessage } from './protocol.js';
import { readClientBinaryEnvelope, serverBinaryEnvelope, serverTextEnvelope } from './testing/envelopes.js';
import { FakeDataChannel } from './testing/fake-data-channel.js';

const ADA = 'PA_4k2Jx9QmZt1B';
const GRACE = 'PA_7Hq0sLwE3nVa';

/** Every DataChannels made by a test, closed after it (their open timers with them). */
const made: DataChannels[] = [];

/** A DataChannels with the server's two channels (not attached yet) and what it reports. */
function setup(overrides: Partial<DataChannelsOptions> = {}) {
  const signaled: ClientMessage[] = [];
  const received: DataMessage[] = [];
  const errors: { code: string; message: string }[] = [];
  const limits = { maxMessageSize: 262_144 as number | undefined };
  const data = new DataChannels({
    signal: (message) => signaled.push(message),
    onMessage: (message) => received.push(message),
    onError: (error) => errors.push(error),
    maxMessageSize: () => limits.maxMessageSize,
    ...overrides,
  });
  made.push(data);
  const reliable = new FakeDataChannel('reliable', { ordered: true, protocol: DATA_CHANNEL_PROTOCOL });
  const lossy = new FakeDataChannel('lossy', {
    ordered: false,
    maxRetransmits: 0,
    protocol: DATA_CHANNEL_PROTOCOL,
  });
  const attach = (channel: FakeDataChannel) => data.attach(channel as unknown as RTCDataChannel);
  return { data, reliable, lossy, attach, signaled, received, errors, limits };
}

/** Both channels attached and open, after a negotiation with SCTP. */
function openSetup(overrides: Partial<DataChannelsOptions> = {}) {
  const context = setup(overrides);
  context.data.setNegotiated(true);
  context.data.setConnectionState('connected');
  context.attach(context.reliable);
  context.attach(context.lossy);
  context.reliable.open();
  context.lossy.open();
  return context;
}

/** Every signaling message passes the server's validation. */
function expectValid(messages: ClientMessage[]): void {
  for (const message of messages) {
    const result = clientMessageSchema.safeParse(message);
    expect(result.success, `${JSON.stringify(message)}: ${result.error?.message}`).toBe(true);
  }
}

afterEach(() => {
  for (const data of made.splice(0)) data.close();
  vi.useRealTimers();
});

describe('DataChannels: sending', () => {
  it('queues until the channel opens, then sends in order', () => {
    const { data, reliable, attach, signaled } = setup();
    expect(data.send({ n: 1 }, { topic: 'chat' })).toBe('datachannel');
    attach(reliable);
    // Set up as the SDK needs it: bytes as ArrayBuffers, and the drain threshold.
    expect(reliable.binaryType).toBe('arraybuffer');
    expect(reliable.bufferedAmountLowThreshold).toBe(BUFFERED_AMOUNT_LOW);
    expect(data.send({ n: 2 })).toBe('datachannel');
    expect(reliable.sent).toEqual([]);
    expect(data.stats.queued).toBe(2);
    expect(data.channels).toEqual([
      { label: 'reliable', readyState: 'connecting', bufferedAmount: 0, queued: 2 },
    ]);
    reliable.open();
    expect(reliable.sent).toEqual(['{"payload":{"n":1},"topic":"chat"}', '{"payload":{"n":2}}']);
    expect(data.stats).toMatchObject({ queued: 0, sentOnChannels: 2, sentOnSignaling: 0 });
    data.send({ n: 3 });
    expect(reliable.sent.at(-1)).toBe('{"payload":{"n":3}}');
    expect(signaled).toEqual([]);
  });

  it('sends on the reliable channel by default and on the lossy one with reliable: false, with topic and to', () => {
    const { data, reliable, lossy } = openSetup();
    data.send({ x: 1 }, { topic: 'cursor', to: [ADA, GRACE], reliable: false });
    data.send('saved', { topic: 'doc', reliable: true });
    data.send(null);
    expect(lossy.sentJson()).toEqual([{ payload: { x: 1 }, topic: 'cursor', to: [ADA, GRACE] }]);
    expect(reliable.sentJson()).toEqual([{ payload: 'saved', topic: 'doc' }, { payload: null }]);
  });

  it('sends binary payloads as binary envelopes, from any view of any buffer', () => {
    const { data, reliable, lossy } = openSetup();
    const backing = Uint8Array.of(0, 1, 2, 3, 4, 5, 6, 7);
    data.send(backing.subarray(2, 5), { topic: 'file', to: [ADA] });
    data.send(backing.buffer);
    data.send(new DataView(backing.buffer, 6, 2), { reliable: false });
    const [first, second] = reliable.sent as Uint8Array[];
    expect(readClientBinaryEnvelope(first)).toEqual({
      header: { topic: 'file', to: [ADA] },
      payload: [2, 3, 4],
    });
    expect(readClientBinaryEnvelope(second)).toEqual({ header: {}, payload: [0, 1, 2, 3, 4, 5, 6, 7] });
    expect(readClientBinaryEnvelope(lossy.sent[0] as Uint8Array)).toEqual({ header: {}, payload: [6, 7] });
  });

  it('refuses a message over the SCTP transport’s max-message-size, or 64 KiB while it is unknown', () => {
    const { data, reliable, limits } = openSetup();
    limits.maxMessageSize = 1_000;
    // {"payload":"…"} is 14 bytes around the string.
    expect(() => data.send('x'.repeat(986))).not.toThrow();
    const error = (() => {
      try {
        data.send('x'.repeat(987));
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toBeInstanceOf(DataTooLargeError);
    expect(error).toMatchObject({
      code: 'ERR_DATA_TOO_LARGE',
      size: 1_001,
      maxMessageSize: 1_000,
      path: 'datachannel',
    });
    // Counted in UTF-8 bytes, as the channel sends them.
    expect(() => data.send('é'.repeat(500))).toThrow(DataTooLargeError);
    expect(() => data.send(new Uint8Array(999))).toThrow(DataTooLargeError);
    limits.maxMessageSize = undefined;
    expect(() => data.send(new Uint8Array(DEFAULT_MAX_MESSAGE_SIZE - 4))).not.toThrow();
    expect(() => data.send(new Uint8Array(DEFAULT_MAX_MESSAGE_SIZE - 3))).toThrow(DataTooLargeError);
    expect(reliable.sent).toHaveLength(2);
  });

  it('refuses options no server takes', () => {
    const { data, reliable } = openSetup();
    expect(() => data.send(1, { topic: 't'.repeat(129) })).toThrow(InvalidDataError);
    expect(() => data.send(1, { to: Array.from({ length: 257 }, () => ADA) })).toThrow(InvalidDataError);
    expect(() => data.send(1, { to: [''] })).toThrow(InvalidDataError);
    expect(() => data.send(1, { to: ADA as unknown as string[] })).toThrow(InvalidDataError);
    expect(() =>
      data.send(1, { topic: 't'.repeat(128), to: Array.from({ length: 256 }, () => ADA) }),
    ).not.toThrow();
    expect(reliable.sent).toHaveLength(1);
  });
});

describe('DataChannels: backpressure', () => {
  it('holds messages while the browser buffers over 1 MiB, and sends them on bufferedamountlow', () => {
    const { data, reliable } = openSetup();
    reliable.holdSentBytes = true;
    const chunk = new Uint8Array(200_000);
    let sent = 0;
    while (reliable.bufferedAmount + 200_000 <= BUFFERED_AMOUNT_HIGH) {
      data.send(chunk);
      sent += 1;
    }
    expect(reliable.sent).toHaveLength(sent);
    // Over the mark: the next ones wait, and so do small ones behind them (order is kept).
    data.send(chunk, { topic: 'a' });
    data.send({ after: true });
    expect(reliable.sent).toHaveLength(sent);
    expect(data.channels[0].queued).toBe(2);
    reliable.drain(reliable.bufferedAmount - BUFFERED_AMOUNT_LOW - 1);
    expect(reliable.sent).toHaveLength(sent);
    reliable.drain(1);
    expect(reliable.sent).toHaveLength(sent + 2);
    expect(readClientBinaryEnvelope(reliable.sent[sent] as Uint8Array).header).toEqual({ topic: 'a' });
    expect(reliable.sent.at(-1)).toBe('{"payload":{"after":true}}');
    expect(data.stats.queued).toBe(0);
  });

  it('throws DataQueueFullError when the reliable queue is full, and loses nothing', () => {
    const { data, reliable, attach } = setup();
    attach(reliable);
    for (let index = 0; index < DATA_QUEUE_LIMITS.maxMessages; index++) data.send(index);
    expect(() => data.send('one too many')).toThrow(DataQueueFullError);
    reliable.open();
    expect(reliable.sentJson()).toEqual(
      Array.from({ length: DATA_QUEUE_LIMITS.maxMessages }, (_, index) => ({ payload: index })),
    );
    expect(data.stats.dropped).toBe(0);
  });

  it('bounds the reliable queue in bytes too', () => {
    const { data } = setup();
    for (let index = 0; index < 4; index++) data.send(new Uint8Array(250_000));
    expect(() => data.send(new Uint8Array(100_000))).toThrow(DataQueueFullError);
    expect(() => data.send(new Uint8Array(48_000))).not.toThrow();
  });

  it('drops the oldest lossy messages when the lossy queue is full', () => {
    const { data, lossy, attach } = setup();
    attach(lossy);
    const total = DATA_QUEUE_LIMITS.maxMessages + 10;
    for (let index = 0; index < total; index++) data.send(index, { reliable: false });
    expect(data.stats).toMatchObject({ dropped: 10, queued: DATA_QUEUE_LIMITS.maxMessages });
    lossy.open();
    const payloads = lossy.sentJson().map((envelope) => (envelope as { payload: number }).payload);
    expect(payloads[0]).toBe(10);
    expect(payloads.at(-1)).toBe(total - 1);
    expect(payloads).toHaveLength(DATA_QUEUE_LIMITS.maxMessages);
  });
});

describe('DataChannels: fallback to signaling', () => {
  it('when the subscribe connection fails: JSON goes through signaling, binary is refused, and it comes back', () => {
    const { data, reliable, lossy, attach, signaled, errors } = setup();
    data.setNegotiated(true);
    attach(reliable);
    attach(lossy);
    data.send({ queued: 1 }, { topic: 'chat', to: [ADA], reliable: true });
    data.send(Uint8Array.of(1), { reliable: false });
    data.send({ queued: 2 }, { reliable: false });
    data.setConnectionState('failed');
    // The queue went the other way: JSON as `data` messages (no `reliable` on the wire), binary lost.
    expect(signaled).toEqual([
      { type: 'data', payload: { queued: 1 }, topic: 'chat', to: [ADA] },
      { type: 'data', payload: { queued: 2 } },
    ]);
    expect(errors).toEqual([{ code: 'data_dropped', message: expect.stringContaining('1 data message') }]);
    expect(data.stats).toMatchObject({ sentOnSignaling: 2, dropped: 1, queued: 0 });
    expect(data.send({ now: true }, { topic: 'chat' })).toBe('signaling');
    expect(signaled.at(-1)).toEqual({ type: 'data', payload: { now: true }, topic: 'chat' });
    expect(() => data.send(new Uint8Array(4))).toThrow(DataChannelUnavailableError);
    expectValid(signaled);
    // An ICE restart brought it back: the channels carry data again.
    data.setConnectionState('connected');
    reliable.open();
    expect(data.send({ back: true })).toBe('datachannel');
    expect(reliable.sentJson()).toEqual([{ payload: { back: true } }]);
  });

  it('when the server negotiated no SCTP (no m=application): signaling at once', () => {
    const { data, signaled } = setup();
    data.send({ early: true });
    data.setNegotiated(false);
    expect(signaled).toEqual([{ type: 'data', payload: { early: true } }]);
    expect(data.send([1, 2], { topic: 't' })).toBe('signaling');
    expect(signaled).toHaveLength(2);
  });

  it('when a channel closes: its messages go through signaling until a new one opens', () => {
    const { data, reliable, lossy, signaled } = openSetup();
    reliable.close();
    expect(data.send('a')).toBe('signaling');
    expect(data.send('b', { reliable: false })).toBe('datachannel');
    expect(lossy.sentJson()).toEqual([{ payload: 'b' }]);
    expect(signaled).toEqual([{ type: 'data', payload: 'a' }]);
  });

  it('when no channel opened in time: signaling, until one opens', () => {
    vi.useFakeTimers();
    const { data, reliable, attach, signaled } = setup({ openTimeoutMs: 10_000 });
    data.setNegotiated(true);
    data.send('waiting');
    vi.advanceTimersByTime(9_999);
    expect(signaled).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(signaled).toEqual([{ type: 'data', payload: 'waiting' }]);
    expect(data.send('late')).toBe('signaling');
    attach(reliable);
    reliable.open();
    expect(data.send('open at last')).toBe('datachannel');
    expect(reliable.sentJson()).toEqual([{ payload: 'open at last' }]);
    data.close();
  });

  it('refuses a fallback that would pass the signaling frame limit, and drops such a queued one', () => {
    const { data, reliable, attach, errors } = setup();
    attach(reliable);
    // Fine for the channel (256 KiB), over 64 KiB as a signaling frame.
    data.send('x'.repeat(65_520));
    reliable.close();
    expect(errors).toEqual([{ code: 'data_dropped', message: expect.stringContaining('1 data message') }]);
    expect(() => data.send('x'.repeat(65_600))).toThrow(
      expect.objectContaining({ code: 'ERR_DATA_TOO_LARGE', path: 'signaling', maxMessageSize: 65_536 }),
    );
  });
});

describe('DataChannels: receiving and replacement', () => {
  it('reports text and binary envelopes from either channel, and counts malformed ones', () => {
    const { data, reliable, lossy, received } = openSetup();
    reliable.receive(serverTextEnvelope({ from: ADA, topic: 'chat', payload: { text: 'hi' } }));
    lossy.receive(serverBinaryEnvelope({ from: null }, Uint8Array.of(5, 6)));
    reliable.receive('{"payload":1}');
    reliable.receive(Uint8Array.of(0, 9, 1));
    reliable.receive('garbage');
    expect(received).toHaveLength(2);
    expect(received[0]).toEqual({ from: ADA, topic: 'chat', payload: { text: 'hi' }, via: 'datachannel' });
    expect(received[1]).toMatchObject({ from: null, topic: undefined, via: 'datachannel' });
    expect([...(received[1].payload as Uint8Array)]).toEqual([5, 6]);
    expect(data.stats).toMatchObject({ receivedOnChannels: 2, malformed: 3 });
  });

  it('takes a newer channel of a label in place of the older, which still delivers until it closes', () => {
    const { data, reliable, attach, received } = openSetup();
    const replacement = new FakeDataChannel('reliable', { protocol: DATA_CHANNEL_PROTOCOL });
    attach(replacement);
    data.send('while connecting');
    expect(reliable.sent).toEqual([]);
    reliable.receive(serverTextEnvelope({ from: ADA, payload: 'late on the old one' }));
    expect(received.map((message) => message.payload)).toEqual(['late on the old one']);
    // The old channel closing does not take the new one's messages to signaling.
    reliable.close();
    replacement.open();
    data.send('on the new one');
    expect(replacement.sentJson()).toEqual([{ payload: 'while connecting' }, { payload: 'on the new one' }]);
    expect(data.channels.find((channel) => channel.label === 'reliable')?.readyState).toBe('open');
  });

  it('leaves channels of other labels alone', () => {
    const { data, attach } = setup();
    const other = new FakeDataChannel('application-defined');
    attach(other);
    expect(other.onmessage).toBeNull();
    expect(data.channels).toEqual([]);
  });

  it('close drops the queue and lets go of the channels; idempotent', () => {
    const { data, reliable, attach, received, signaled } = setup();
    attach(reliable);
    data.send(1);
    data.send(2);
    data.close();
    data.close();
    expect(data.stats).toMatchObject({ dropped: 2, queued: 0 });
    expect(reliable.onmessage).toBeNull();
    reliable.open();
    reliable.receive(serverTextEnvelope({ from: ADA, payload: 'after close' }));
    expect(reliable.sent).toEqual([]);
    expect(received).toEqual([]);
    expect(signaled).toEqual([]);
  });
});
