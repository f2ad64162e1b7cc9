import { createSocket } from 'node:dgram';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { RtpParameters } from '../sdp/rtp-parameters.js';
import { generateSelfSignedCertificate } from '../util/certificate.js';
import { MediaEngine } from './engine.js';
import { MEDIA_METHODS, type MediaEvent, type MediaMethod } from './worker-protocol.js';

const OPUS: RtpParameters = {
  mid: '0',
  codecs: [
    {
      mimeType: 'audio/opus',
      payloadType: 111,
      clockRate: 48000,
      channels: 2,
      parameters: { minptime: 10, useinbandfec: 1 },
      rtcpFeedback: [],
    },
  ],
  headerExtensions: [
    { uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', id: 4 },
    { uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level', id: 1 },
  ],
  encodings: [{ ssrc: 1111 }],
  rtcp: { cname: 'ada', reducedSize: true },
};

const VP8: RtpParameters = {
  mid: '1',
  codecs: [
    {
      mimeType: 'video/VP8',
      payloadType: 96,
      clockRate: 90000,
      parameters: {},
      rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'goog-remb' }],
    },
    { mimeType: 'video/rtx', payloadType: 97, clockRate: 90000, parameters: { apt: 96 }, rtcpFeedback: [] },
  ],
  headerExtensions: [{ uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', id: 4 }],
  encodings: [{ ssrc: 2222, rtx: { ssrc: 2223 } }],
  rtcp: { cname: 'ada', reducedSize: true },
};

let engines: MediaEngine[] = [];

afterEach(async () => {
  await Promise.all(engines.map((engine) => engine.close()));
  engines = [];
});

/** An engine on loopback with its events collected, and a command helper. */
async function startEngine(options: { tcp?: boolean } = {}) {
  const events: MediaEvent[] = [];
  const engine = await MediaEngine.start(
    { listen: { address: '127.0.0.1', udpPort: 0, ...(options.tcp ? { tcpPort: 0 } : {}) } },
    (event) => events.push(event),
  );
  engines.push(engine);
  let nextId = 1;
  const send = (method: string, params?: unknown) =>
    engine.handle({ type: 'request', id: nextId++, method, params });
  /** Runs a command that must succeed and returns its result. */
  const ok = async <T = Record<string, unknown>>(method: MediaMethod, params: unknown = {}): Promise<T> => {
    const response = await send(method, params);
    if (!response.ok) throw new Error(`${method}: ${response.error.code} ${response.error.message}`);
    return response.result as T;
  };
  /** Runs a command that must fail and returns its error code. */
  const code = async (method: string, params: unknown = {}): Promise<string> => {
    const response = await send(method, params);
    if (response.ok) throw new Error(`${method} succeeded`);
    return response.error.code;
  };
  return { engine, events, send, ok, code };
}

/** A router with a publishing and a subscribing transport, audio and video producers and consumers. */
async function populate(context: Awaited<ReturnType<typeof startEngine>>) {
  const { routerId } = await context.ok<{ routerId: string }>('router.create');
  const publish = await context.ok<{ transportId: string }>('transport.create', { routerId });
  const subscribe = await context.ok<{ transportId: string }>('transport.create', { routerId });
  const audio = await context.ok<{ producerId: string }>('produce', {
    transportId: publish.transportId,
    kind: 'audio',
    rtpParameters: OPUS,
  });
  const video = await context.ok<{ producerId: string }>('produce', {
    transportId: publish.transportId,
    kind: 'video',
    rtpParameters: VP8,
  });
  const audioConsumer = await context.ok<{ consumerId: string }>('consume', {
    transportId: subscribe.transportId,
    producerId: audio.producerId,
  });
  const videoConsumer = await context.ok<{ consumerId: string }>('consume', {
    transportId: subscribe.transportId,
    producerId: video.producerId,
    mid: 'v0',
  });
  return { routerId, publish, subscribe, audio, video, audioConsumer, videoConsumer };
}

describe('MediaEngine start', () => {
  it('listens on UDP and TCP and reports where, with its certificate fingerprint', async () => {
    const { engine } = await startEngine({ tcp: true });
    expect(engine.info.udp.address).toBe('127.0.0.1');
    expect(engine.info.udp.port).toBeGreaterThan(0);
    expect(engine.info.udp.announcedAddress).toBe('127.0.0.1');
    expect(engine.info.tcp?.port).toBeGreaterThan(0);
    expect(engine.info.dtlsFingerprint.algorithm).toBe('sha-256');
    expect(engine.info.dtlsFingerprint.value).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  it('uses a certificate given as PEM', async () => {
    const certificate = generateSelfSignedCertificate({ commonName: 'given' });
    const engine = await MediaEngine.start(
      {
        listen: { address: '127.0.0.1', udpPort: 0, announcedAddress: '192.0.2.10' },
        certificate: { certPem: certificate.certPem, keyPem: certificate.keyPem },
      },
      () => {},
    );
    engines.push(engine);
    expect(engine.info.dtlsFingerprint.value).toBe(certificate.fingerprintSha256);
    expect(engine.info.udp.announcedAddress).toBe('192.0.2.10');
    const response = await engine.handle({ type: 'request', id: 2, method: 'router.create', params: {} });
    expect(response.ok).toBe(true);
    const transport = await engine.handle({
      type: 'request',
      id: 3,
      method: 'transport.create',
      params: { routerId: (response as { result: { routerId: string } }).result.routerId },
    });
    const result = (transport as { result: { iceCandidates: string[]; dtlsFingerprint: { value: string } } })
      .result;
    expect(result.dtlsFingerprint.value).toBe(certificate.fingerprintSha256);
    expect(result.iceCandidates[0]).toContain('192.0.2.10');
  });

  it('refuses a key that does not match the certificate, and PEM that is not PEM', async () => {
    const one = generateSelfSignedCertificate();
    const other = generateSelfSignedCertificate();
    const listen = { address: '127.0.0.1', udpPort: 0 };
    await expect(
      MediaEngine.start({ listen, certificate: { certPem: one.certPem, keyPem: other.keyPem } }, () => {}),
    ).rejects.toMatchObject({ code: 'ERR_MEDIA_INVALID_ARGUMENT' });
    await expect(
      MediaEngine.start({ listen, certificate: { certPem: 'nonsense', keyPem: one.keyPem } }, () => {}),
    ).rejects.toMatchObject({ code: 'ERR_MEDIA_INVALID_ARGUMENT' });
    await expect(
      MediaEngine.start({ listen, certificate: { certPem: one.certPem, keyPem: 'nonsense' } }, () => {}),
    ).rejects.toMatchObject({ code: 'ERR_MEDIA_INVALID_ARGUMENT' });
  });

  it('refuses bad listen options and reports a port in use', async () => {
    await expect(
      MediaEngine.start({ listen: { address: 'localhost', udpPort: 0 } }, () => {}),
    ).rejects.toMatchObject({ code: 'ERR_MEDIA_INVALID_ARGUMENT' });
    await expect(
      MediaEngine.start({ listen: { address: '0.0.0.0', udpPort: 0 } }, () => {}),
    ).rejects.toMatchObject({ code: 'ERR_MEDIA_INVALID_ARGUMENT' });
    await expect(
      MediaEngine.start({ listen: { address: '127.0.0.1', udpPort: 70000 } }, () => {}),
    ).rejects.toMatchObject({ code: 'ERR_MEDIA_INVALID_ARGUMENT' });
    await expect(MediaEngine.start(null as never, () => {})).rejects.toMatchObject({
      code: 'ERR_MEDIA_INVALID_ARGUMENT',
    });
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    try {
      await expect(
        MediaEngine.start({ listen: { address: '127.0.0.1', udpPort: socket.address().port } }, () => {}),
      ).rejects.toMatchObject({ code: 'ERR_MEDIA_LISTEN_FAILED' });
    } finally {
      socket.close();
    }
  });

  it('frees the UDP port when the TCP port cannot be bound', async () => {
    const { engine } = await startEngine({ tcp: true });
    const tcpPort = engine.info.tcp?.port ?? 0;
    await expect(
      MediaEngine.start({ listen: { address: '127.0.0.1', udpPort: 0, tcpPort } }, () => {}),
    ).rejects.toMatchObject({ code: 'ERR_MEDIA_LISTEN_FAILED' });
  });
});

describe('MediaEngine commands', () => {
  it('creates routers, transports, producers and consumers, and counts them', async () => {
    const context = await startEngine();
    const { routerId } = await context.ok<{ routerId: string }>('router.create', {
      maxIncomingBitrate: 1_000_000,
    });
    const transport = await context.ok<{
      transportId: string;
      iceParameters: { usernameFragment: string; password: string };
      iceCandidates: string[];
      dtlsFingerprint: { algorithm: string; value: string };
    }>('transport.create', { routerId, srtpProfiles: ['SRTP_AEAD_AES_128_GCM'] });
    expect(transport.iceParameters.usernameFragment.length).toBeGreaterThanOrEqual(4);
    expect(transport.iceParameters.password.length).toBeGreaterThanOrEqual(22);
    expect(transport.iceCandidates).toHaveLength(1);
    expect(transport.iceCandidates[0]).toContain(`127.0.0.1 ${context.engine.info.udp.port} typ host`);
    expect(transport.dtlsFingerprint).toEqual(context.engine.info.dtlsFingerprint);

    const all = await populate(context);
    const consumed = await context.ok<{
      kind: string;
      producerId: string;
      rtpParameters: RtpParameters;
      paused: boolean;
      producerPaused: boolean;
    }>('consume', { transportId: all.subscribe.transportId, producerId: all.video.producerId });
    expect(consumed.kind).toBe('video');
    expect(consumed.producerId).toBe(all.video.producerId);
    expect(consumed.rtpParameters.codecs[0]?.mimeType).toBe('video/VP8');
    expect(consumed.rtpParameters.encodings[0]?.ssrc).toBeTypeOf('number');
    expect(consumed.rtpParameters.encodings[0]?.ssrc).not.toBe(2222);
    expect(consumed.paused).toBe(false);

    expect(await context.ok('worker.getLoad')).toMatchObject({
      routers: 2,
      transports: 3,
      producers: 2,
      consumers: 3,
    });
    const stats = await context.ok<Record<string, unknown>>('transport.getStats', {
      transportId: all.publish.transportId,
    });
    expect(stats).toMatchObject({ iceState: 'new', dtlsState: 'new', rtpPacketsReceived: 0, srtpErrors: 0 });
    expect(await context.ok('producer.getStats', { producerId: all.video.producerId })).toMatchObject({
      kind: 'video',
      paused: false,
      mediaSsrc: 2222,
      packetsReceived: 0,
    });
    expect(await context.ok('consumer.getStats', { consumerId: all.videoConsumer.consumerId })).toMatchObject(
      { kind: 'video', producerId: all.video.producerId, packetsSent: 0, rttMs: -1 },
    );
    await context.ok('consumer.assignMid', { consumerId: all.audioConsumer.consumerId, mid: 'a7' });
    await context.ok('consumer.requestKeyframe', { consumerId: all.videoConsumer.consumerId });
    const restarted = await context.ok<{ iceParameters: { usernameFragment: string } }>(
      'transport.restartIce',
      {
        transportId: transport.transportId,
      },
    );
    expect(restarted.iceParameters.usernameFragment).not.toBe(transport.iceParameters.usernameFragment);
  });

  it('connects a transport once: a second connect is refused', async () => {
    const context = await startEngine();
    const { routerId } = await context.ok<{ routerId: string }>('router.create');
    const { transportId } = await context.ok<{ transportId: string }>('transport.create', { routerId });
    const connect = {
      transportId,
      ice: { usernameFragment: 'abcd', password: 'abcdefghijklmnopqrstuvwx' },
      dtls: { role: 'server', fingerprints: [{ algorithm: 'sha-256', value: 'AB:CD' }] },
    };
    await context.ok('transport.connect', connect);
    expect(context.events).toContainEqual({
      type: 'transport.dtlsstatechange',
      transportId,
      state: 'connecting',
    });
    expect(await context.code('transport.connect', connect)).toBe('ERR_MEDIA_INVALID_STATE');
  });

  it('reports pauses to the consumers of a paused producer', async () => {
    const context = await startEngine();
    const all = await populate(context);
    await context.ok('producer.pause', { producerId: all.audio.producerId });
    expect(context.events).toContainEqual({
      type: 'consumer.pause',
      consumerId: all.audioConsumer.consumerId,
      paused: false,
      producerPaused: true,
    });
    await context.ok('producer.resume', { producerId: all.audio.producerId });
    expect(context.events).toContainEqual({
      type: 'consumer.resume',
      consumerId: all.audioConsumer.consumerId,
      paused: false,
      producerPaused: false,
    });
    await context.ok('consumer.pause', { consumerId: all.videoConsumer.consumerId });
    expect(await context.ok('consumer.getStats', { consumerId: all.videoConsumer.consumerId })).toMatchObject(
      {
        paused: true,
      },
    );
    await context.ok('consumer.resume', { consumerId: all.videoConsumer.consumerId });
  });

  it('cascades a router close to everything in it, announcing each close once', async () => {
    const context = await startEngine();
    const all = await populate(context);
    context.events.length = 0;
    await context.ok('router.close', { routerId: all.routerId });
    const closes = context.events.filter((event) => event.type.endsWith('.close'));
    const byType = (type: string) => closes.filter((event) => event.type === type);
    expect(byType('consumer.close')).toHaveLength(2);
    expect(byType('producer.close')).toHaveLength(2);
    expect(byType('transport.close')).toHaveLength(2);
    expect(byType('router.close')).toEqual([{ type: 'router.close', routerId: all.routerId }]);
    expect(closes.at(-1)?.type).toBe('router.close');
    expect(byType('transport.close')[0]).toMatchObject({
      reason: { cause: 'local' },
      routerId: all.routerId,
    });
    expect(await context.ok('worker.getLoad')).toMatchObject({
      routers: 0,
      transports: 0,
      producers: 0,
      consumers: 0,
    });
    // Closing again, or closing a child that went with it, succeeds and announces nothing.
    context.events.length = 0;
    await context.ok('router.close', { routerId: all.routerId });
    await context.ok('transport.close', { transportId: all.publish.transportId });
    await context.ok('producer.close', { producerId: all.audio.producerId });
    await context.ok('consumer.close', { consumerId: all.audioConsumer.consumerId });
    expect(context.events).toEqual([]);
    // Anything else on a closed object is refused.
    expect(await context.code('transport.getStats', { transportId: all.publish.transportId })).toBe(
      'ERR_MEDIA_NOT_FOUND',
    );
    const response = await context.send('producer.pause', { producerId: all.audio.producerId });
    expect(response).toMatchObject({ ok: false, error: { message: expect.stringContaining('is closed') } });
  });

  it('closes the consumers of a closed producer, and the producers and consumers of a closed transport', async () => {
    const context = await startEngine();
    const all = await populate(context);
    context.events.length = 0;
    await context.ok('producer.close', { producerId: all.video.producerId });
    expect(context.events.map((event) => event.type)).toEqual(['consumer.close', 'producer.close']);
    expect(context.events[0]).toMatchObject({
      consumerId: all.videoConsumer.consumerId,
      producerId: all.video.producerId,
      transportId: all.subscribe.transportId,
    });
    context.events.length = 0;
    await context.ok('transport.close', { transportId: all.publish.transportId });
    expect(
      context.events.filter((event) => event.type.endsWith('.close')).map((event) => event.type),
    ).toEqual(['consumer.close', 'producer.close', 'transport.close']);
    expect(await context.ok('worker.getLoad')).toMatchObject({ routers: 1, transports: 1, consumers: 0 });
  });

  it('answers unknown ids with ERR_MEDIA_NOT_FOUND', async () => {
    const context = await startEngine();
    const ghost = '00000000-0000-4000-8000-000000000000';
    for (const [method, params] of [
      ['router.close', { routerId: ghost }],
      ['transport.create', { routerId: ghost }],
      ['transport.connect', { transportId: ghost, dtls: { role: 'client', fingerprints: [] } }],
      ['transport.restartIce', { transportId: ghost }],
      ['transport.close', { transportId: ghost }],
      ['transport.getStats', { transportId: ghost }],
      ['produce', { transportId: ghost, kind: 'audio', rtpParameters: OPUS }],
      ['producer.pause', { producerId: ghost }],
      ['producer.resume', { producerId: ghost }],
      ['producer.close', { producerId: ghost }],
      ['producer.getStats', { producerId: ghost }],
      ['consume', { transportId: ghost, producerId: ghost }],
      ['consumer.assignMid', { consumerId: ghost, mid: '1' }],
      ['consumer.pause', { consumerId: ghost }],
      ['consumer.resume', { consumerId: ghost }],
      ['consumer.close', { consumerId: ghost }],
      ['consumer.requestKeyframe', { consumerId: ghost }],
      ['consumer.getStats', { consumerId: ghost }],
    ] as const) {
      expect(await context.code(method, params), method).toBe('ERR_MEDIA_NOT_FOUND');
    }
    const all = await populate(context);
    expect(await context.code('consume', { transportId: all.subscribe.transportId, producerId: ghost })).toBe(
      'ERR_MEDIA_NOT_FOUND',
    );
  });

  it('refuses bad parameters with ERR_MEDIA_INVALID_ARGUMENT', async () => {
    const context = await startEngine();
    const all = await populate(context);
    const transportId = all.publish.transportId;
    const bad: [MediaMethod, unknown][] = [
      ['router.create', { maxIncomingBitrate: -5 }],
      ['router.create', { rtcpIntervalMs: 'soon' }],
      ['transport.create', { routerId: 42 }],
      ['transport.create', { routerId: all.routerId, srtpProfiles: ['SRTP_NULL'] }],
      ['transport.create', { routerId: all.routerId, consentTimeoutMs: 1.5 }],
      ['transport.connect', { transportId, dtls: { role: 'both', fingerprints: [] } }],
      ['transport.connect', { transportId, dtls: { role: 'client', fingerprints: [] } }],
      [
        'transport.connect',
        { transportId, dtls: { role: 'client', fingerprints: [{ algorithm: 'sha-256' }] } },
      ],
      ['transport.connect', { transportId, ice: { usernameFragment: '' }, dtls: {} }],
      ['transport.getStats', {}],
      ['produce', { transportId, kind: 'text', rtpParameters: OPUS }],
      ['produce', { transportId, kind: 'audio' }],
      ['produce', { transportId, kind: 'audio', rtpParameters: { ...OPUS, codecs: [] } }],
      ['produce', { transportId, kind: 'video', rtpParameters: OPUS }],
      [
        'produce',
        {
          transportId,
          kind: 'audio',
          rtpParameters: { ...OPUS, codecs: [{ ...OPUS.codecs[0], payloadType: 200 }] },
        },
      ],
      ['produce', { transportId, kind: 'audio', rtpParameters: { ...OPUS, encodings: [{ ssrc: -1 }] } }],
      [
        'produce',
        { transportId, kind: 'audio', rtpParameters: { ...OPUS, headerExtensions: [{ uri: 'x', id: 0 }] } },
      ],
      ['produce', { transportId, kind: 'audio', rtpParameters: OPUS, appData: 'me' }],
      [
        'produce',
        // Only a repair codec, no media codec.
        {
          transportId,
          kind: 'video',
          rtpParameters: { ...VP8, codecs: [VP8.codecs[1]] },
        },
      ],
      // The mid or an SSRC of a live producer of the transport.
      ['produce', { transportId, kind: 'audio', rtpParameters: { ...OPUS, encodings: [{ ssrc: 4444 }] } }],
      [
        'produce',
        { transportId, kind: 'audio', rtpParameters: { ...OPUS, mid: '9', encodings: [{ ssrc: 2223 }] } },
      ],
      ['consume', { transportId, producerId: all.audio.producerId, mid: 7 }],
      ['consumer.assignMid', { consumerId: all.audioConsumer.consumerId }],
      ['consumer.assignMid', { consumerId: all.audioConsumer.consumerId, mid: 'x'.repeat(1000) }],
    ];
    for (const [method, params] of bad) {
      expect(await context.code(method, params), `${method} ${JSON.stringify(params)}`).toBe(
        'ERR_MEDIA_INVALID_ARGUMENT',
      );
    }
    // Nothing was created by the refused commands.
    expect(await context.ok('worker.getLoad')).toMatchObject({ routers: 1, producers: 2, consumers: 2 });
  });

  it('refuses to consume across routers, and a producer whose codec the router lacks', async () => {
    const context = await startEngine();
    const all = await populate(context);
    const { routerId } = await context.ok<{ routerId: string }>('router.create');
    const elsewhere = await context.ok<{ transportId: string }>('transport.create', { routerId });
    expect(
      await context.code('consume', { transportId: elsewhere.transportId, producerId: all.audio.producerId }),
    ).toBe('ERR_MEDIA_INVALID_ARGUMENT');
    const g722 = await context.ok<{ producerId: string }>('produce', {
      transportId: all.publish.transportId,
      kind: 'audio',
      rtpParameters: {
        ...OPUS,
        mid: '2',
        codecs: [
          { mimeType: 'audio/G722', payloadType: 9, clockRate: 8000, parameters: {}, rtcpFeedback: [] },
        ],
        encodings: [{ ssrc: 3333 }],
      },
    });
    expect(
      await context.code('consume', { transportId: all.subscribe.transportId, producerId: g722.producerId }),
    ).toBe('ERR_MEDIA_UNSUPPORTED');
  });

  it('answers garbage with an error and keeps working', async () => {
    const context = await startEngine();
    const { engine } = context;
    const garbage: unknown[] = [
      null,
      undefined,
      'router.create',
      42,
      [],
      { type: 'response', id: 1 },
      { type: 'request' },
      { type: 'request', id: -1, method: 'router.create' },
      { type: 'request', id: 'one', method: 'router.create' },
      { type: 'request', id: 1.5, method: 'router.create' },
      { type: 'request', id: 1, method: 'router.create', params: 5 },
      { type: 'request', id: 1, method: 'router.create', params: [] },
      { type: 'request', id: 1, method: { toString: 'x' } },
    ];
    for (const message of garbage) {
      const response = await engine.handle(message);
      expect(response.type).toBe('response');
      expect(response.ok, JSON.stringify(message)).toBe(false);
    }
    expect(await context.code('router.explode')).toBe('ERR_MEDIA_UNKNOWN_METHOD');
    expect(await context.code('toString')).toBe('ERR_MEDIA_UNKNOWN_METHOD');
    expect(await context.code('__proto__')).toBe('ERR_MEDIA_UNKNOWN_METHOD');
    const response = await engine.handle({ type: 'request', id: 9, method: 'nope' });
    expect(response).toEqual({
      type: 'response',
      id: 9,
      ok: false,
      error: { code: 'ERR_MEDIA_UNKNOWN_METHOD', message: 'unknown method nope' },
    });
    expect(await context.ok('router.create')).toHaveProperty('routerId');
  });

  it('never throws on arbitrary params for any method', async () => {
    const context = await startEngine();
    const all = await populate(context);
    const ids = fc.constantFrom(
      all.routerId,
      all.publish.transportId,
      all.subscribe.transportId,
      all.audio.producerId,
      all.videoConsumer.consumerId,
      'nope',
    );
    const params = fc.oneof(
      fc.anything(),
      fc.record(
        {
          routerId: ids,
          transportId: ids,
          producerId: ids,
          consumerId: ids,
          kind: fc.constantFrom('audio', 'video', 'data'),
          rtpParameters: fc.oneof(fc.constant(OPUS), fc.constant(VP8), fc.anything()),
          mid: fc.oneof(fc.string(), fc.anything()),
          dtls: fc.anything(),
        },
        { requiredKeys: [] },
      ),
    );
    // worker.close and the closing commands would end the run early; they are covered above.
    const methods = MEDIA_METHODS.filter((method) => method !== 'worker.close' && !method.endsWith('.close'));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...methods), params, async (method, value) => {
        const response = await context.engine.handle({ type: 'request', id: 1, method, params: value });
        expect(response.type).toBe('response');
        if (!response.ok) expect(response.error.code).not.toBe('ERR_MEDIA_INTERNAL');
        structuredClone(response);
      }),
      { numRuns: 300 },
    );
  });

  it('closes everything on worker.close, then refuses commands', async () => {
    const context = await startEngine();
    const all = await populate(context);
    context.events.length = 0;
    await context.ok('worker.close');
    expect(context.engine.closed).toBe(true);
    expect(context.events.filter((event) => event.type.endsWith('.close'))).toHaveLength(7);
    expect(context.events).toContainEqual({ type: 'router.close', routerId: all.routerId });
    expect(await context.code('router.create')).toBe('ERR_MEDIA_WORKER_CLOSED');
    await context.ok('worker.close');
    // The port is free again.
    const again = await MediaEngine.start(
      { listen: { address: '127.0.0.1', udpPort: context.engine.info.udp.port } },
      () => {},
    );
    engines.push(again);
  });

  it('survives a throwing event listener', async () => {
    const engine = await MediaEngine.start({ listen: { address: '127.0.0.1', udpPort: 0 } }, () => {
      throw new Error('listener bug');
    });
    engines.push(engine);
    const created = await engine.handle({ type: 'request', id: 1, method: 'router.create', params: {} });
    expect(created.ok).toBe(true);
    const routerId = (created as { result: { routerId: string } }).result.routerId;
    const closed = await engine.handle({
      type: 'request',
      id: 2,
      method: 'router.close',
      params: { routerId },
    });
    expect(closed).toEqual({ type: 'response', id: 2, ok: true, result: {} });
  });
});

describe('MediaEngine data commands', () => {
  it('creates data transports, producers and consumers, and closes them with their transport', async () => {
    const context = await startEngine();
    const { ok, code, events } = context;
    const { routerId } = await ok<{ routerId: string }>('router.create');
    const plain = await ok<{ transportId: string; sctp?: unknown }>('transport.create', { routerId });
    expect(plain.sctp).toBeUndefined();
    const ada = await ok<{ transportId: string; sctp: { port: number; maxMessageSize: number } }>(
      'transport.create',
      { routerId, data: { participantId: 'PA_ada' } },
    );
    expect(ada.sctp).toEqual({ port: 5000, maxMessageSize: 256 * 1024 });
    const bob = await ok<{ transportId: string }>('transport.create', {
      routerId,
      data: { participantId: 'PA_bob', maxMessageSize: 65_536 },
    });
    expect(await code('produceData', { transportId: plain.transportId })).toBe('ERR_MEDIA_INVALID_ARGUMENT');
    const { dataProducerId } = await ok<{ dataProducerId: string }>('produceData', {
      transportId: ada.transportId,
    });
    expect(await code('produceData', { transportId: ada.transportId })).toBe('ERR_MEDIA_INVALID_ARGUMENT');
    expect(await code('consumeData', { transportId: ada.transportId, dataProducerId })).toBe(
      'ERR_MEDIA_INVALID_ARGUMENT',
    );
    const { dataConsumerId } = await ok<{ dataConsumerId: string }>('consumeData', {
      transportId: bob.transportId,
      dataProducerId,
    });
    expect(await ok('dataConsumer.getStats', { dataConsumerId })).toEqual({
      dataConsumerId,
      dataProducerId,
      messagesSent: 0,
      messagesDropped: 0,
    });
    // Nobody's channels are open yet: the server's message reaches no one, and says so.
    expect(await ok('router.sendData', { routerId, payload: { kind: 'json', text: '{"a":1}' } })).toEqual({
      delivered: [],
    });
    const stats = await ok<{ data: { open: boolean; messagesDropped: number } }>('transport.getStats', {
      transportId: bob.transportId,
    });
    expect(stats.data).toMatchObject({ open: false, messagesDropped: 1 });
    await ok('transport.close', { transportId: ada.transportId });
    const closes = events.filter((event) => event.type.startsWith('data')).map((event) => event.type);
    expect(closes).toEqual(['dataconsumer.close', 'dataproducer.close']);
    expect(await code('dataProducer.getStats', { dataProducerId })).toBe('ERR_MEDIA_NOT_FOUND');
    await ok('dataProducer.close', { dataProducerId });
  });

  it('refuses bad data parameters with ERR_MEDIA_INVALID_ARGUMENT', async () => {
    const { ok, code } = await startEngine();
    const { routerId } = await ok<{ routerId: string }>('router.create');
    const { transportId } = await ok<{ transportId: string }>('transport.create', { routerId });
    for (const data of [{}, { participantId: '' }, { participantId: 'x', maxMessageSize: 10 }, 'x'])
      expect(await code('transport.create', { routerId, data })).toBe('ERR_MEDIA_INVALID_ARGUMENT');
    for (const sctp of [{ port: 0 }, { maxMessageSize: -1 }, 'x'])
      expect(
        await code('transport.connect', {
          transportId,
          dtls: { role: 'server', fingerprints: [{ algorithm: 'sha-256', value: '00' }] },
          sctp,
        }),
      ).toBe('ERR_MEDIA_INVALID_ARGUMENT');
    for (const params of [
      { routerId },
      { routerId, payload: { kind: 'json', text: 'not json' } },
      { routerId, payload: { kind: 'binary', bytes: 'x' } },
      { routerId, payload: { kind: 'xml' } },
      { routerId, payload: { kind: 'json', text: '1' }, topic: 'x'.repeat(200) },
      { routerId, payload: { kind: 'json', text: '1' }, to: 'PA_a' },
      { routerId, payload: { kind: 'json', text: '1' }, to: [''] },
    ])
      expect(await code('router.sendData', params)).toBe('ERR_MEDIA_INVALID_ARGUMENT');
    expect(
      await ok('router.sendData', {
        routerId,
        payload: { kind: 'binary', bytes: new Uint8Array(3) },
        lossy: true,
      }),
    ).toEqual({ delivered: [] });
  });
});
