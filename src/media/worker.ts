/**
 * The main thread's handle on one media worker (ARCHITECTURE.md, "Processes
 * and threads"): it sends the commands of worker-protocol.ts and resolves
 * each with its response, and re-emits the worker's events.
 *
 * `threaded: true` runs the MediaEngine on a worker thread
 * (media-worker-thread.ts); `threaded: false` runs it in this thread behind
 * the same interface: commands and answers are structured-cloned and
 * delivered on a later turn of the event loop, as a thread's would be, so
 * code that works against one works against the other.
 *
 * The thread's entry is the compiled media-worker-thread.js beside this file
 * when running from the build (dist/). Running from TypeScript sources (the
 * tests), no compiled file exists and Node 20 cannot load .ts, so the entry
 * is bundled with esbuild (a development dependency, loaded only then) into
 * one ES module handed to the Worker as a data: URL.
 */
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { IceParameters } from '../ice/index.js';
import { type Log, silentLog } from '../util/log.js';
import { MediaEngine } from './engine.js';
import { MediaWorkerError } from './worker-errors.js';
import type {
  ConsumeParams,
  ConsumeResult,
  ConsumerStatsResult,
  DataConsumerStatsResult,
  DataProducerStatsResult,
  FromMediaThread,
  MediaEngineStartOptions,
  MediaEvent,
  MediaMethod,
  MediaParams,
  MediaRequestMessage,
  MediaResult,
  MediaWorkerInfo,
  MediaWorkerLoad,
  MediaWorkerThreadData,
  ProduceParams,
  ProducerStatsResult,
  RecorderStartParams,
  RecorderStatsResult,
  RecorderSummaryResult,
  RouterCreateParams,
  SendDataParams,
  TransportConnectParams,
  TransportCreateParams,
  TransportCreateResult,
  TransportStatsResult,
} from './worker-protocol.js';

/** How to start a media worker. */
export interface MediaWorkerOptions extends MediaEngineStartOptions {
  /** True: a worker thread. False: the engine runs in this thread, behind the same interface. */
  threaded: boolean;
  /** Logger for the worker's own lines (a thread's are forwarded here). */
  log?: Log;
  /** Longest wait for a thread to report it listens, ms. Default 30 s. */
  startTimeoutMs?: number;
}

/** Events of a {@link MediaWorker}: each engine event under its type, every one under `event`. */
export type MediaWorkerEvents = { [E in MediaEvent as E['type']]: [event: E] } & {
  /** Every engine event. */
  event: [event: MediaEvent];
  /** The thread ended without close(): every pending command was rejected with ERR_MEDIA_WORKER_DIED. */
  died: [error: MediaWorkerError];
  /** close() finished. */
  close: [];
};

/** Default wait for a thread to start. */
const START_TIMEOUT_MS = 30_000;
/** How long close() waits for the thread to end on its own before terminating it. */
const CLOSE_TIMEOUT_MS = 5_000;

interface Pending {
  method: MediaMethod;
  resolve: (result: unknown) => void;
  reject: (error: MediaWorkerError) => void;
}

let bundledEntry: Promise<URL> | undefined;

/**
 * The module a media worker thread runs: media-worker-thread.js beside this
 * file in the build; from TypeScript sources, a bundle of
 * media-worker-thread.ts as a data: URL (made once per process).
 */
export function mediaWorkerThreadEntry(): Promise<URL> {
  if (import.meta.url.endsWith('.js'))
    return Promise.resolve(new URL('./media-worker-thread.js', import.meta.url));
  bundledEntry ??= bundleThreadEntry().catch((error: unknown) => {
    bundledEntry = undefined;
    throw error;
  });
  return bundledEntry;
}

async function bundleThreadEntry(): Promise<URL> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./media-worker-thread.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // A data: URL module can import node: builtins only; the engine needs no package.
    packages: 'external',
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]?.text;
  if (code === undefined) throw new Error('bundling the media worker thread produced no output');
  return new URL(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
}

/** One media worker: a thread, or an engine in this thread. */
export class MediaWorker extends EventEmitter<MediaWorkerEvents> {
  /** True when the engine runs on its own thread. */
  readonly threaded: boolean;
  /** Where the worker listens and its DTLS fingerprint. */
  readonly info: MediaWorkerInfo;
  readonly #log: Log;
  readonly #thread: Worker | undefined;
  readonly #engine: MediaEngine | undefined;
  readonly #pending = new Map<number, Pending>();
  readonly #load: MediaWorkerLoad = {
    routers: 0,
    transports: 0,
    producers: 0,
    consumers: 0,
    dataProducers: 0,
    dataConsumers: 0,
  };
  #nextId = 1;
  #state: 'open' | 'closing' | 'closed' | 'died' = 'open';
  #closing: Promise<void> | undefined;
  /** The last uncaught error of the thread, reported with its exit. */
  #threadError: Error | undefined;
  /** In-process: set when terminated, after which nothing more is delivered. */
  #engineStopped = false;

  private constructor(
    info: MediaWorkerInfo,
    log: Log,
    backend: { thread: Worker } | { engine: MediaEngine },
  ) {
    super();
    this.info = info;
    this.#log = log;
    if ('thread' in backend) {
      this.threaded = true;
      this.#thread = backend.thread;
      backend.thread.on('message', (message: FromMediaThread) => this.#onMessage(message));
      backend.thread.on('error', (error) => {
        this.#threadError = error;
      });
      backend.thread.on('messageerror', (error) =>
        this.#log.error({ err: error }, 'a message from the media worker thread could not be read'),
      );
      backend.thread.on('exit', (code) => this.#onExit(code));
    } else {
      this.threaded = false;
      this.#engine = backend.engine;
    }
  }

  /**
   * Starts a worker: binds its ports and loads or generates its certificate.
   * Rejects with a MediaWorkerError: ERR_MEDIA_INVALID_ARGUMENT for bad
   * options, ERR_MEDIA_LISTEN_FAILED when a port cannot be bound,
   * ERR_MEDIA_WORKER_DIED when the thread fails to start.
   */
  static async start(options: MediaWorkerOptions): Promise<MediaWorker> {
    const log = options.log ?? silentLog;
    const startOptions: MediaEngineStartOptions = {
      listen: options.listen,
      ...(options.certificate ? { certificate: options.certificate } : {}),
    };
    return options.threaded
      ? MediaWorker.#startThread(startOptions, log, options.startTimeoutMs ?? START_TIMEOUT_MS)
      : MediaWorker.#startInProcess(startOptions, log);
  }

  static async #startInProcess(options: MediaEngineStartOptions, log: Log): Promise<MediaWorker> {
    let worker: MediaWorker | undefined;
    // The engine has no object, hence no event, before the worker exists.
    const engine = await MediaEngine.start({ ...structuredClone(options), log }, (event) => {
      if (worker) worker.#deliverLocally({ type: 'event', event });
    });
    worker = new MediaWorker(structuredClone(engine.info), log, { engine });
    return worker;
  }

  static async #startThread(
    options: MediaEngineStartOptions,
    log: Log,
    timeoutMs: number,
  ): Promise<MediaWorker> {
    const entry = await mediaWorkerThreadEntry();
    const thread = new Worker(entry, { workerData: { options } satisfies MediaWorkerThreadData });
    const info = await new Promise<MediaWorkerInfo>((resolve, reject) => {
      const fail = (error: MediaWorkerError) => {
        cleanup();
        void thread.terminate();
        reject(error);
      };
      const onMessage = (message: FromMediaThread) => {
        if (message.type === 'ready') {
          cleanup();
          resolve(message.info);
        } else if (message.type === 'failed') {
          fail(new MediaWorkerError(message.error.code, message.error.message));
        } else if (message.type === 'log') {
          log[message.level](message.object, message.message);
        }
      };
      const onError = (error: Error) =>
        fail(
          new MediaWorkerError('ERR_MEDIA_WORKER_DIED', `media worker thread failed: ${error.message}`, {
            cause: error,
          }),
        );
      const onExit = (code: number) =>
        fail(new MediaWorkerError('ERR_MEDIA_WORKER_DIED', `media worker thread exited with code ${code}`));
      const timer = setTimeout(
        () =>
          fail(new MediaWorkerError('ERR_MEDIA_WORKER_DIED', 'media worker thread did not start in time')),
        timeoutMs,
      );
      const cleanup = () => {
        clearTimeout(timer);
        thread.off('message', onMessage);
        thread.off('error', onError);
        thread.off('exit', onExit);
      };
      thread.on('message', onMessage);
      thread.on('error', onError);
      thread.on('exit', onExit);
    });
    return new MediaWorker(info, log, { thread });
  }

  /** True once close() finished or the worker died. */
  get closed(): boolean {
    return this.#state === 'closed' || this.#state === 'died';
  }

  /** True when the worker's thread ended without close(). */
  get died(): boolean {
    return this.#state === 'died';
  }

  /**
   * What the worker holds, counted here from create answers and close
   * events: current without a round trip (placement uses it).
   */
  get load(): Readonly<MediaWorkerLoad> {
    return { ...this.#load };
  }

  /**
   * Sends one command. Resolves with its result; rejects with a
   * MediaWorkerError carrying the engine's code, or ERR_MEDIA_WORKER_CLOSED /
   * ERR_MEDIA_WORKER_DIED when the worker is gone.
   */
  request<M extends MediaMethod>(method: M, params: MediaParams<M>): Promise<MediaResult<M>> {
    // Closing is the handle's business too (the thread's end must not look like a death); idempotent.
    if (method === 'worker.close') return this.close().then(() => ({}) as MediaResult<M>);
    if (this.#state !== 'open') return Promise.reject(this.#goneError());
    return this.#send(method, params);
  }

  #send<M extends MediaMethod>(method: M, params: MediaParams<M>): Promise<MediaResult<M>> {
    const id = this.#nextId++;
    const message: MediaRequestMessage<M> = { type: 'request', id, method, params };
    return new Promise<MediaResult<M>>((resolve, reject) => {
      try {
        if (this.#thread) this.#thread.postMessage(message);
        else this.#postLocally(message);
      } catch (error) {
        // DataCloneError: something in the params (a function, a socket) cannot cross threads.
        reject(
          new MediaWorkerError(
            'ERR_MEDIA_INVALID_ARGUMENT',
            `params cannot be sent: ${(error as Error).message}`,
            {
              cause: error,
            },
          ),
        );
        return;
      }
      this.#pending.set(id, { method, resolve: resolve as (result: unknown) => void, reject });
    });
  }

  /** Creates a router. */
  createRouter(options: RouterCreateParams = {}): Promise<{ routerId: string }> {
    return this.request('router.create', options);
  }

  /** Closes a router and everything in it; succeeds when it is already closed. */
  async closeRouter(routerId: string): Promise<void> {
    await this.request('router.close', { routerId });
  }

  /** Creates a WebRTC transport on the worker's ports: its ICE parameters, candidates and fingerprint. */
  createWebRtcTransport(
    routerId: string,
    options: Omit<TransportCreateParams, 'routerId'> = {},
  ): Promise<TransportCreateResult> {
    return this.request('transport.create', { ...options, routerId });
  }

  /** Gives a transport the remote end's ICE and DTLS parameters (once). */
  async connectWebRtcTransport(
    transportId: string,
    remote: Omit<TransportConnectParams, 'transportId'>,
  ): Promise<void> {
    await this.request('transport.connect', { ...remote, transportId });
  }

  /** ICE restart: new local credentials, and the remote's new ones when known. */
  async restartIce(
    transportId: string,
    remoteIce?: { usernameFragment: string; password: string },
  ): Promise<IceParameters> {
    const result = await this.request('transport.restartIce', {
      transportId,
      ...(remoteIce ? { remoteIce } : {}),
    });
    return result.iceParameters;
  }

  /** Closes a transport, its producers and consumers; succeeds when it is already closed. */
  async closeTransport(transportId: string): Promise<void> {
    await this.request('transport.close', { transportId });
  }

  /** A transport's state and counters. */
  getTransportStats(transportId: string): Promise<TransportStatsResult> {
    return this.request('transport.getStats', { transportId });
  }

  /** Starts receiving a track the transport's peer publishes. */
  produce(transportId: string, options: Omit<ProduceParams, 'transportId'>): Promise<{ producerId: string }> {
    return this.request('produce', { ...options, transportId });
  }

  /** Stops forwarding a producer's media (mute). */
  async pauseProducer(producerId: string): Promise<void> {
    await this.request('producer.pause', { producerId });
  }

  /** Forwards a producer's media again. */
  async resumeProducer(producerId: string): Promise<void> {
    await this.request('producer.resume', { producerId });
  }

  /** Closes a producer and its consumers; succeeds when it is already closed. */
  async closeProducer(producerId: string): Promise<void> {
    await this.request('producer.close', { producerId });
  }

  /** A producer's state and counters. */
  getProducerStats(producerId: string): Promise<ProducerStatsResult> {
    return this.request('producer.getStats', { producerId });
  }

  /** Starts sending a producer's track to the transport's peer. */
  consume(transportId: string, options: Omit<ConsumeParams, 'transportId'>): Promise<ConsumeResult> {
    return this.request('consume', { ...options, transportId });
  }

  /** Sets the mid of the subscriber's media section for a consumer. */
  async assignConsumerMid(consumerId: string, mid: string): Promise<void> {
    await this.request('consumer.assignMid', { consumerId, mid });
  }

  /** Stops sending a consumer's media. */
  async pauseConsumer(consumerId: string): Promise<void> {
    await this.request('consumer.pause', { consumerId });
  }

  /** Sends a consumer's media again (video from the next keyframe). */
  async resumeConsumer(consumerId: string): Promise<void> {
    await this.request('consumer.resume', { consumerId });
  }

  /** Closes a consumer; succeeds when it is already closed. */
  async closeConsumer(consumerId: string): Promise<void> {
    await this.request('consumer.close', { consumerId });
  }

  /** Asks the consumer's producer for a keyframe (throttled). */
  async requestConsumerKeyframe(consumerId: string): Promise<void> {
    await this.request('consumer.requestKeyframe', { consumerId });
  }

  /** A consumer's state and counters. */
  getConsumerStats(consumerId: string): Promise<ConsumerStatsResult> {
    return this.request('consumer.getStats', { consumerId });
  }

  /** Starts taking what the transport's participant sends on its data channels (a transport created with `data`). */
  async produceData(transportId: string, appData?: Record<string, unknown>): Promise<string> {
    const result = await this.request('produceData', { transportId, ...(appData ? { appData } : {}) });
    return result.dataProducerId;
  }

  /** Closes a data producer and its data consumers; succeeds when it is already closed. */
  async closeDataProducer(dataProducerId: string): Promise<void> {
    await this.request('dataProducer.close', { dataProducerId });
  }

  /** Delivers a data producer's messages to the transport's participant. */
  async consumeData(transportId: string, dataProducerId: string): Promise<string> {
    const result = await this.request('consumeData', { transportId, dataProducerId });
    return result.dataConsumerId;
  }

  /** Closes a data consumer; succeeds when it is already closed. */
  async closeDataConsumer(dataConsumerId: string): Promise<void> {
    await this.request('dataConsumer.close', { dataConsumerId });
  }

  /** A data producer's counters. */
  getDataProducerStats(dataProducerId: string): Promise<DataProducerStatsResult> {
    return this.request('dataProducer.getStats', { dataProducerId });
  }

  /** A data consumer's counters. */
  getDataConsumerStats(dataConsumerId: string): Promise<DataConsumerStatsResult> {
    return this.request('dataConsumer.getStats', { dataConsumerId });
  }

  /** Sends a message from the server on the data channels of a router's participants; returns who took it. */
  async sendData(routerId: string, message: Omit<SendDataParams, 'routerId'>): Promise<string[]> {
    const result = await this.request('router.sendData', { ...message, routerId });
    return result.delivered;
  }

  /** Starts recording a participant's producers into one file; returns the recorder's id. */
  async startRecorder(routerId: string, options: Omit<RecorderStartParams, 'routerId'>): Promise<string> {
    const result = await this.request('recorder.start', { ...options, routerId });
    return result.recorderId;
  }

  /** Stops a recorder and finishes its file; resolves with its summary. */
  stopRecorder(recorderId: string): Promise<RecorderSummaryResult> {
    return this.request('recorder.stop', { recorderId });
  }

  /** A recorder's progress. */
  getRecorderStats(recorderId: string): Promise<RecorderStatsResult> {
    return this.request('recorder.getStats', { recorderId });
  }

  /** What the worker holds, counted by the worker, and how busy its event loop is. */
  getLoad(): Promise<MediaWorkerLoad> {
    return this.request('worker.getLoad', {});
  }

  /**
   * Closes every router (their close events are emitted), the sockets, then
   * the thread; pending commands are answered first or rejected with
   * ERR_MEDIA_WORKER_CLOSED. Idempotent; resolves at once after a death.
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    if (this.#state !== 'open') return Promise.resolve();
    this.#state = 'closing';
    this.#closing = this.#thread ? this.#closeThread(this.#thread) : this.#closeInProcess();
    return this.#closing;
  }

  /**
   * Ends the worker at once, as a crash would: the thread is terminated
   * (in-process, the engine is closed with its events dropped), pending
   * commands are rejected with ERR_MEDIA_WORKER_DIED and `died` is emitted.
   * For a worker that stopped answering, and for tests.
   */
  async terminate(): Promise<void> {
    if (this.#state === 'closed' || this.#state === 'died') return;
    if (this.#thread) {
      const exited = new Promise<void>((resolve) => this.#thread?.once('exit', () => resolve()));
      await this.#thread.terminate();
      await exited;
      return;
    }
    this.#engineStopped = true;
    await this.#engine?.close();
    this.#die(new MediaWorkerError('ERR_MEDIA_WORKER_DIED', 'media worker terminated'));
  }

  async #closeThread(thread: Worker): Promise<void> {
    const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
    this.#send('worker.close', {}).catch(() => {});
    const timer = setTimeout(() => void thread.terminate(), CLOSE_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  async #closeInProcess(): Promise<void> {
    await this.#send('worker.close', {}).catch(() => {});
    this.#finishClose();
  }

  #finishClose(): void {
    this.#state = 'closed';
    this.#rejectPending(new MediaWorkerError('ERR_MEDIA_WORKER_CLOSED', 'the media worker is closed'));
    this.#safeEmit('close');
  }

  #die(error: MediaWorkerError): void {
    this.#state = 'died';
    this.#rejectPending(error);
    this.#log.error({ err: error }, 'media worker died');
    this.#safeEmit('died', error);
  }

  #onExit(code: number): void {
    if (this.#state === 'closing') {
      this.#finishClose();
      return;
    }
    if (this.#state !== 'open') return;
    const cause = this.#threadError;
    const detail = cause ? `: ${cause.message}` : '';
    this.#die(
      new MediaWorkerError('ERR_MEDIA_WORKER_DIED', `media worker thread exited with code ${code}${detail}`, {
        cause,
      }),
    );
  }

  #goneError(): MediaWorkerError {
    return this.#state === 'died'
      ? new MediaWorkerError('ERR_MEDIA_WORKER_DIED', 'the media worker died')
      : new MediaWorkerError('ERR_MEDIA_WORKER_CLOSED', 'the media worker is closed');
  }

  #rejectPending(error: MediaWorkerError): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const entry of pending) entry.reject(error);
  }

  /** In-process: runs a copy of the request on a later turn, as a thread would. */
  #postLocally(message: MediaRequestMessage): void {
    const copy = structuredClone(message);
    const engine = this.#engine;
    if (!engine) return;
    setImmediate(() => {
      if (this.#engineStopped) return;
      void engine.handle(copy).then((response) => this.#deliverLocally(response));
    });
  }

  /** In-process: delivers a copy of an answer or event on a later turn, in order. */
  #deliverLocally(message: FromMediaThread): void {
    if (this.#engineStopped) return;
    const copy = structuredClone(message);
    setImmediate(() => {
      if (!this.#engineStopped) this.#onMessage(copy);
    });
  }

  #onMessage(message: FromMediaThread): void {
    switch (message.type) {
      case 'response': {
        const pending = this.#pending.get(message.id);
        if (!pending) return;
        this.#pending.delete(message.id);
        if (message.ok) {
          this.#countCreated(pending.method);
          pending.resolve(message.result);
        } else {
          pending.reject(new MediaWorkerError(message.error.code, message.error.message));
        }
        return;
      }
      case 'event':
        this.#countClosed(message.event);
        this.#safeEmit(message.event.type, message.event as never);
        this.#safeEmit('event', message.event);
        return;
      case 'log':
        this.#log[message.level](message.object, message.message);
        return;
      default:
        return;
    }
  }

  #countCreated(method: MediaMethod): void {
    if (method === 'router.create') this.#load.routers++;
    else if (method === 'transport.create') this.#load.transports++;
    else if (method === 'produce') this.#load.producers++;
    else if (method === 'consume') this.#load.consumers++;
    else if (method === 'produceData') this.#load.dataProducers = (this.#load.dataProducers ?? 0) + 1;
    else if (method === 'consumeData') this.#load.dataConsumers = (this.#load.dataConsumers ?? 0) + 1;
  }

  #countClosed(event: MediaEvent): void {
    if (event.type === 'router.close') this.#load.routers--;
    else if (event.type === 'transport.close') this.#load.transports--;
    else if (event.type === 'producer.close') this.#load.producers--;
    else if (event.type === 'consumer.close') this.#load.consumers--;
    else if (event.type === 'dataproducer.close')
      this.#load.dataProducers = (this.#load.dataProducers ?? 1) - 1;
    else if (event.type === 'dataconsumer.close')
      this.#load.dataConsumers = (this.#load.dataConsumers ?? 1) - 1;
  }

  /** Emits without letting a listener's exception reach the message loop. */
  #safeEmit<K extends keyof MediaWorkerEvents>(name: K, ...args: MediaWorkerEvents[K]): void {
    try {
      (this.emit as (name: K, ...args: MediaWorkerEvents[K]) => boolean)(name, ...args);
    } catch (error) {
      this.#log.error({ err: error, event: name }, 'media worker event listener failed');
    }
  }
}
