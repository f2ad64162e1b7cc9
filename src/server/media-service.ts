/**
 * The media server of `switchboard start`: the media workers (each with its
 * ICE sockets: one UDP port and one ICE-TCP port, on every address) and the
 * SFU behind sfu rooms, which places each room's router on the least loaded
 * worker.
 */
import { availableParallelism, networkInterfaces } from 'node:os';
import { MediaWorkerPool } from '../media/worker-pool.js';
import type { Log } from '../util/log.js';
import type { Config } from './config.js';
import { WorkerSfuService } from './sfu-service.js';

/** The addresses to listen on when none are configured: loopback and every interface address. */
export function defaultMediaAddresses(): string[] {
  const addresses = ['127.0.0.1'];
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (entry.internal) continue;
      // Link-local IPv6 needs a scope id that candidates cannot carry.
      if (entry.family === 'IPv6' && entry.address.toLowerCase().startsWith('fe80')) continue;
      if (!addresses.includes(entry.address)) addresses.push(entry.address);
    }
  }
  return addresses;
}

/** The media workers and the SFU. */
export class MediaService {
  readonly sfu: WorkerSfuService;
  readonly pool: MediaWorkerPool;

  private constructor(pool: MediaWorkerPool, sfu: WorkerSfuService) {
    this.pool = pool;
    this.sfu = sfu;
  }

  /** Starts the workers; rejects (with none left running) when one cannot listen. */
  static async start(config: Config, log: Log): Promise<MediaService> {
    const media = config.media;
    const [address = '127.0.0.1', ...additionalAddresses] =
      media.addresses.length > 0 ? media.addresses : defaultMediaAddresses();
    const threaded = media.workers !== 0;
    const pool = await MediaWorkerPool.start({
      workers: media.workers === 0 ? 1 : media.workers === -1 ? availableParallelism() : media.workers,
      threaded,
      listen: {
        address,
        additionalAddresses,
        udpPort: media.udpPort,
        tcpPort: media.tcpPort,
        ...(media.announcedAddress ? { announcedAddress: media.announcedAddress } : {}),
      },
      log,
    });
    const sfu = new WorkerSfuService({ pool, log, maxIncomingBitrate: media.maxIncomingBitrate });
    log.info(
      {
        service: 'media',
        workers: pool.workers.map((worker) => ({
          udp: `${worker.info.udp.address}:${worker.info.udp.port}`,
          ...(worker.info.tcp ? { tcp: `${worker.info.tcp.address}:${worker.info.tcp.port}` } : {}),
        })),
        addresses: [address, ...additionalAddresses],
        threaded,
      },
      'media service started (ICE-lite on one UDP port per worker, ICE-TCP)',
    );
    return new MediaService(pool, sfu);
  }

  /** Closes every room and worker. */
  async close(): Promise<void> {
    this.sfu.close();
    await this.pool.close();
  }
}
