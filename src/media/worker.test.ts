import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { generateSelfSignedCertificate } from '../util/certificate.js';
import { MediaWorker } from './worker.js';
import { MediaWorkerError } from './worker-errors.js';
import { MediaWorkerPool, workerListenOptions } from './worker-pool.js';
import type { MediaEvent } from './worker-protocol.js';

const LOOPBACK = { address: '127.0.0.1', udpPort: 0 };

let workers: MediaWorker[] = [];
let pools: MediaWorkerPool[] = [];

afterEach(async () => {
  await Promise.all([...workers.map((worker) => worker.close()), ...pools.map((pool) => pool.close())]);
  workers = [];
  pools = [];
});

async function startWorker(threaded: boolean, options: { tcp?: boolean } = {}): Promise<MediaWorker> {
  const worker = await MediaWorker.start({
    threaded,
    listen: { ...LOOPBACK, ...(options.tcp ? { tcpPort: 0 } : {}) },
  });
  workers.push(worker);
  return worker;
}

/** The rejection of a promise that must reject. */
async function rejection(promise: Promise<unknown>): Promise<MediaWorkerError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(MediaWorkerError);
    return error as MediaWorkerError;
  }
  throw new Error('the promise resolved');
}

describe.each([
  { mode: 'on a worker thread', threaded: true },
  { mode: 'in-process', threaded: false },
])('MediaWorker $mode', ({ threaded }) => {
  it('starts, creates a router and a transport with ICE parameters, and closes', async () => {
    const worker = await startWorker(threaded, { tcp: true });
    expect(worker.threaded).toBe(threaded);
    expect(worker.info.udp.port).toBeGreaterThan(0);
    expect(worker.info.tcp?.port).toBeGreaterThan(0);
    const { routerId } = await worker.createRouter();
    const transport = await worker.createWebRtcTransport(routerId);
    expect(transport.iceParameters.usernameFragment).toMatch(/^[A-Za-z0-9+/]{4,}$/);
    expect(transport.iceCandidates.some((line) => line.includes(`${worker.info.udp.port} typ host`))).toBe(
      true,
    );
    expect(transport.iceCandidates.some((line) => line.includes('tcptype passive'))).toBe(true);
    expect(transport.dtlsFingerprint).toEqual(worker.info.dtlsFingerprint);
    expect(worker.load).toEqual({
      routers: 1,
      transports: 1,
      producers: 0,
      consumers: 0,
      dataProducers: 0,
      dataConsumers: 0,
    });
    expect(await worker.getLoad()).toMatchObject({ routers: 1, transports: 1 });
    const stats = await worker.getTransportStats(transport.transportId);
    expect(stats).toMatchObject({ transportId: transport.transportId, iceState: 'new', dtlsState: 'new' });

    const events: MediaEvent[] = [];
    worker.on('event', (event) => events.push(event));
    const closed = new Promise<MediaEvent>((resolve) => worker.once('transport.close', resolve));
    await worker.closeTransport(transport.transportId);
    // Events raised by a command arrive before its answer.
    expect(events).toContainEqual({
      type: 'transport.close',
      transportId: transport.transportId,
      routerId,
      reason: { cause: 'local', message: 'closed' },
    });
    expect(await closed).toMatchObject({ transportId: transport.transportId });
    expect(worker.load.transports).toBe(0);
    await worker.closeTransport(transport.transportId);

    const port = worker.info.udp.port;
    const closeEvent = new Promise<void>((resolve) => worker.once('close', () => resolve()));
    await worker.close();
    await closeEvent;
    expect(worker.closed).toBe(true);
    expect(worker.load.routers).toBe(0);
    expect((await rejection(worker.createRouter())).code).toBe('ERR_MEDIA_WORKER_CLOSED');
    await worker.request('worker.close', {});
    // The port is free again.
    const again = await MediaWorker.start({ threaded, listen: { address: '127.0.0.1', udpPort: port } });
    workers.push(again);
  });

  it('rejects refused commands with the engine’s code', async () => {
    const worker = await startWorker(threaded);
    expect((await rejection(worker.createWebRtcTransport('nope'))).code).toBe('ERR_MEDIA_NOT_FOUND');
    expect((await rejection(worker.request('router.explode' as never, {} as never))).code).toBe(
      'ERR_MEDIA_UNKNOWN_METHOD',
    );
    expect((await rejection(worker.createRouter({ rtcpIntervalMs: -1 }))).code).toBe(
      'ERR_MEDIA_INVALID_ARGUMENT',
    );
    const { routerId } = await worker.createRouter();
    const { transportId } = await worker.createWebRtcTransport(routerId);
    // A function cannot cross a thread boundary; in-process it is refused the same way.
    const error = await rejection(
      worker.produce(transportId, {
        kind: 'audio',
        rtpParameters: {
          codecs: [
            { mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, parameters: {}, rtcpFeedback: [] },
          ],
          headerExtensions: [],
          encodings: [],
          rtcp: { reducedSize: true },
        },
        appData: { callback: () => {} },
      }),
    );
    expect(error.code).toBe('ERR_MEDIA_INVALID_ARGUMENT');
    expect(worker.load.producers).toBe(0);
    // Still answering.
    expect(await worker.getLoad()).toMatchObject({ routers: 1, transports: 1, producers: 0 });
  });

  it('reports a port in use as ERR_MEDIA_LISTEN_FAILED', async () => {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    try {
      const error = await rejection(
        MediaWorker.start({ threaded, listen: { address: '127.0.0.1', udpPort: socket.address().port } }),
      );
      expect(error.code).toBe('ERR_MEDIA_LISTEN_FAILED');
    } finally {
      socket.close();
    }
    expect(
      (await rejection(MediaWorker.start({ threaded, listen: { address: 'nowhere', udpPort: 0 } }))).code,
    ).toBe('ERR_MEDIA_INVALID_ARGUMENT');
  });

  it('uses a certificate given as PEM', async () => {
    const certificate = generateSelfSignedCertificate({ commonName: 'pool' });
    const worker = await MediaWorker.start({
      threaded,
      listen: LOOPBACK,
      certificate: { certPem: certificate.certPem, keyPem: certificate.keyPem },
    });
    workers.push(worker);
    expect(worker.info.dtlsFingerprint.value).toBe(certificate.fingerprintSha256);
  });

  it('emits died when terminated, and rejects pending and later commands', async () => {
    const worker = await startWorker(threaded);
    const { routerId } = await worker.createRouter();
    const died = new Promise<MediaWorkerError>((resolve) => worker.once('died', resolve));
    const pending = worker.createWebRtcTransport(routerId);
    const pendingRejection = rejection(pending);
    await worker.terminate();
    const error = await died;
    expect(error.code).toBe('ERR_MEDIA_WORKER_DIED');
    // In-process the command had not run yet; on a thread it may or may not have: either way it is rejected.
    expect((await pendingRejection).code).toBe('ERR_MEDIA_WORKER_DIED');
    expect(worker.died).toBe(true);
    expect(worker.closed).toBe(true);
    expect((await rejection(worker.getLoad())).code).toBe('ERR_MEDIA_WORKER_DIED');
    await worker.close();
    await worker.terminate();
    // Its port was released.
    const again = await MediaWorker.start({
      threaded,
      listen: { address: '127.0.0.1', udpPort: worker.info.udp.port },
    });
    workers.push(again);
  });

  it('answers pipelined commands in order', async () => {
    const worker = await startWorker(threaded);
    const routers = await Promise.all(Array.from({ length: 20 }, () => worker.createRouter()));
    expect(new Set(routers.map((router) => router.routerId)).size).toBe(20);
    const transports = await Promise.all(
      routers.map((router) => worker.createWebRtcTransport(router.routerId)),
    );
    expect(transports).toHaveLength(20);
    expect(worker.load).toMatchObject({ routers: 20, transports: 20 });
    await Promise.all(routers.map((router) => worker.closeRouter(router.routerId)));
    expect(worker.load).toMatchObject({ routers: 0, transports: 0 });
  });
});

describe('workerListenOptions', () => {
  it('gives worker i the base ports plus i, keeps 0, and refuses ports past 65535', () => {
    const listen = { address: '0.0.0.0', udpPort: 7882, tcpPort: 7881, announcedAddress: '198.51.100.7' };
    expect(workerListenOptions(listen, 0)).toEqual(listen);
    expect(workerListenOptions(listen, 3)).toEqual({ ...listen, udpPort: 7885, tcpPort: 7884 });
    expect(workerListenOptions({ address: '::1', udpPort: 0 }, 5)).toEqual({ address: '::1', udpPort: 0 });
    expect(() => workerListenOptions({ address: '::1', udpPort: 65535 }, 1)).toThrow(MediaWorkerError);
  });
});

describe.each([
  { mode: 'on worker threads', threaded: true },
  { mode: 'in-process', threaded: false },
])('MediaWorkerPool $mode', ({ threaded }) => {
  it('places each router on the least loaded worker', async () => {
    const pool = await MediaWorkerPool.start({ workers: 2, threaded, listen: LOOPBACK });
    pools.push(pool);
    expect(pool.workers).toHaveLength(2);
    expect(pool.workers[0]?.info.udp.port).not.toBe(pool.workers[1]?.info.udp.port);
    const first = await pool.createRouter();
    expect(pool.workerOf(first.routerId)).toBe(first.worker);
    await first.worker.createWebRtcTransport(first.routerId);
    await first.worker.createWebRtcTransport(first.routerId);
    // The other worker is idle.
    const second = await pool.createRouter();
    expect(second.worker).not.toBe(first.worker);
    await second.worker.createWebRtcTransport(second.routerId);
    // Two transports against one: the second worker again.
    const third = await pool.createRouter();
    expect(third.worker).toBe(second.worker);
    await first.worker.closeRouter(first.routerId);
    expect(pool.workerOf(first.routerId)).toBeUndefined();
    // Now the first worker holds nothing.
    expect(pool.leastLoadedWorker()).toBe(first.worker);
    await pool.close();
    expect(pool.workers.every((worker) => worker.closed)).toBe(true);
    expect(() => pool.leastLoadedWorker()).toThrow(MediaWorkerError);
  });

  it('leaves a dead worker out, and says which routers went with it', async () => {
    const pool = await MediaWorkerPool.start({ workers: 2, threaded, listen: LOOPBACK });
    pools.push(pool);
    const first = await pool.createRouter();
    const died = new Promise<string[]>((resolve) =>
      pool.once('workerdied', (_worker, _error, ids) => resolve(ids)),
    );
    await first.worker.terminate();
    expect(await died).toEqual([first.routerId]);
    const other = pool.workers.find((worker) => worker !== first.worker);
    for (let index = 0; index < 3; index++) expect((await pool.createRouter()).worker).toBe(other);
  });
});

describe('MediaWorkerPool start', () => {
  it('closes the workers it started when one cannot start', async () => {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const taken = socket.address().port;
    try {
      // Worker 1 would take the port in use.
      const error = await rejection(
        MediaWorkerPool.start({
          workers: 2,
          threaded: false,
          listen: { address: '127.0.0.1', udpPort: taken - 1 },
        }),
      );
      expect(error.code).toBe('ERR_MEDIA_LISTEN_FAILED');
    } finally {
      socket.close();
    }
  });
});
