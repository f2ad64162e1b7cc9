/**
 * Several media workers, one per core by default, and the placement of
 * routers on them (ARCHITECTURE.md, "Processes and threads").
 *
 * Ports: worker i listens on UDP `udpPort + i` and, when ICE-TCP is on, on
 * TCP `tcpPort + i`. Every worker needs its own TCP port as well as its own
 * UDP port: an ICE-TCP connection must reach the thread that holds the
 * transport its checks name, and a port can only be accepted on by one
 * thread without forwarding connections between threads. With the defaults
 * (TCP 7881, UDP 7882) worker 1's TCP 7882 and worker 0's UDP 7882 do not
 * clash: TCP and UDP ports are separate spaces. A base port of 0 gives every
 * worker a port of the system's choice.
 *
 * A new router goes to the live worker with the fewest transports plus
 * consumers (the work a router's packets cause), ties broken by fewer
 * routers, then by order. A worker that dies is left out of placement; its
 * routers are gone with it, and `workerdied` says so. Nothing restarts it.
 */
import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import type { Log } from '../util/log.js';
import { MediaWorker } from './worker.js';
import { MediaWorkerError } from './worker-errors.js';
import type { MediaCertificatePem, MediaListenOptions, RouterCreateParams } from './worker-protocol.js';

/** How to start a pool. */
export interface MediaWorkerPoolOptions {
  /** Number of workers. Default os.availableParallelism(). */
  workers?: number;
  /** Worker threads (default), or engines in this thread (tests, tiny deployments). */
  threaded?: boolean;
  /** Address and base ports: worker i binds `udpPort + i` and `tcpPort + i` (0 stays 0). */
  listen: MediaListenOptions;
  /** The DTLS certificate every worker uses; each generates its own when absent. */
  certificate?: MediaCertificatePem;
  log?: Log;
  /** Longest wait for a worker thread to start, ms. */
  startTimeoutMs?: number;
}

/** Events of a {@link MediaWorkerPool}. */
export interface MediaWorkerPoolEvents {
  /** A worker's thread ended without close(); its routers are gone. */
  workerdied: [worker: MediaWorker, error: MediaWorkerError, routerIds: string[]];
}

/** The listen options of worker `index`: consecutive ports from the base. */
export function workerListenOptions(listen: MediaListenOptions, index: number): MediaListenOptions {
  const offset = (port: number) => (port === 0 ? 0 : port + index);
  const udpPort = offset(listen.udpPort);
  const tcpPort = listen.tcpPort === undefined ? undefined : offset(listen.tcpPort);
  if (udpPort > 65535 || (tcpPort ?? 0) > 65535) {
    throw new MediaWorkerError('ERR_MEDIA_INVALID_ARGUMENT', `worker ${index} would listen above port 65535`);
  }
  return { ...listen, udpPort, ...(tcpPort === undefined ? {} : { tcpPort }) };
}

/** The load measure placement minimizes. */
function placementCost(worker: MediaWorker): number {
  const load = worker.load;
  return load.transports + load.consumers;
}

/** Media workers and the routers placed on them. */
export class MediaWorkerPool extends EventEmitter<MediaWorkerPoolEvents> {
  /** Every worker started, in port order (dead ones included). */
  readonly workers: readonly MediaWorker[];
  readonly #routerWorker = new Map<string, MediaWorker>();
  #closing: Promise<void> | undefined;

  private constructor(workers: MediaWorker[]) {
    super();
    this.workers = workers;
    for (const worker of workers) {
      worker.on('router.close', ({ routerId }) => this.#routerWorker.delete(routerId));
      worker.on('died', (error) => {
        const routerIds: string[] = [];
        for (const [routerId, owner] of this.#routerWorker) {
          if (owner !== worker) continue;
          routerIds.push(routerId);
          this.#routerWorker.delete(routerId);
        }
        this.emit('workerdied', worker, error, routerIds);
      });
    }
  }

  /**
   * Starts the workers, in parallel. Rejects, with every started worker
   * closed, when one cannot start.
   */
  static async start(options: MediaWorkerPoolOptions): Promise<MediaWorkerPool> {
    const count = options.workers ?? availableParallelism();
    if (!Number.isInteger(count) || count < 1) {
      throw new MediaWorkerError('ERR_MEDIA_INVALID_ARGUMENT', 'workers must be a positive integer');
    }
    const listens = Array.from({ length: count }, (_, index) => workerListenOptions(options.listen, index));
    const started = await Promise.allSettled(
      listens.map((listen) =>
        MediaWorker.start({
          threaded: options.threaded ?? true,
          listen,
          ...(options.certificate ? { certificate: options.certificate } : {}),
          ...(options.log ? { log: options.log } : {}),
          ...(options.startTimeoutMs ? { startTimeoutMs: options.startTimeoutMs } : {}),
        }),
      ),
    );
    const workers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failure = started.find((result) => result.status === 'rejected');
    if (failure) {
      await Promise.all(workers.map((worker) => worker.close()));
      throw failure.reason;
    }
    return new MediaWorkerPool(workers);
  }

  /** The live worker a new router should go to; ERR_MEDIA_WORKER_CLOSED when none is left. */
  leastLoadedWorker(): MediaWorker {
    let best: MediaWorker | undefined;
    for (const worker of this.workers) {
      if (worker.closed || this.#closing) continue;
      if (
        !best ||
        placementCost(worker) < placementCost(best) ||
        (placementCost(worker) === placementCost(best) && worker.load.routers < best.load.routers)
      ) {
        best = worker;
      }
    }
    if (!best) throw new MediaWorkerError('ERR_MEDIA_WORKER_CLOSED', 'no media worker is running');
    return best;
  }

  /** Creates a router on the least loaded worker; later commands for it go to that worker. */
  async createRouter(options: RouterCreateParams = {}): Promise<{ worker: MediaWorker; routerId: string }> {
    const worker = this.leastLoadedWorker();
    const { routerId } = await worker.createRouter(options);
    this.#routerWorker.set(routerId, worker);
    return { worker, routerId };
  }

  /** The worker a live router is on. */
  workerOf(routerId: string): MediaWorker | undefined {
    return this.#routerWorker.get(routerId);
  }

  /** Closes every worker. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= Promise.all(this.workers.map((worker) => worker.close())).then(() => {
      this.#routerWorker.clear();
    });
    return this.#closing;
  }
}
