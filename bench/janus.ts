/**
 * Janus (its VideoRoom plugin) as the SFU benchmark's reference: a config
 * folder of our own with only the VideoRoom plugin and the HTTP transport,
 * and a small client of its HTTP API (janus.js's protocol: sessions,
 * handles, plugin messages, long-polled events).
 *
 *   create → attach videoroom → create room → joinandconfigure (our offer,
 *   Janus's answer); per subscriber: attach → join ptype subscriber (Janus's
 *   offer) → start (our answer).
 *
 * libnice, Janus's ICE agent, never gathers a candidate on a loopback
 * interface, so Janus cannot be reached on 127.0.0.1. It runs instead inside
 * a network namespace that the benchmark makes (`unshare -n`), on the
 * address of an interface that exists only there: nothing it or the clients
 * send can leave that namespace, and no address of the host is used.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { findExecutable } from './executables.js';
import { type RunningServer, startServerProcess } from './server-process.js';

/** Where Debian puts Janus's plugins and transports. */
const DEBIAN_LIB = '/usr/lib/x86_64-linux-gnu/janus';
/** The room the benchmark creates. */
const ROOM = 4242;

/** The interface of the benchmark's namespace that Janus and the clients use. */
export const NAMESPACE_INTERFACE = 'sb0';
/** Its peer: a veth pair, both ends in the namespace, so that sb0 is up and running. */
const NAMESPACE_PEER = 'sb1';
/** sb0's address: a private one that exists only inside the namespace. */
export const NAMESPACE_ADDRESS = '10.99.0.1';

/**
 * What the namespace's first process runs before the benchmark: loopback up
 * (our server stays on 127.0.0.1) and sb0 with its address. A veth pair
 * rather than a dummy interface because some kernels (this project's
 * machines') are built without the dummy driver; with both ends inside the
 * namespace it is as closed as one.
 */
const NAMESPACE_SETUP = [
  'ip link set lo up',
  `ip link add ${NAMESPACE_INTERFACE} type veth peer name ${NAMESPACE_PEER}`,
  `ip addr add ${NAMESPACE_ADDRESS}/24 dev ${NAMESPACE_INTERFACE}`,
  `ip link set ${NAMESPACE_PEER} up`,
  `ip link set ${NAMESPACE_INTERFACE} up`,
].join(' && ');

/**
 * Why the benchmark cannot make its namespace here (needs root, `unshare`
 * and `ip`, and the kernel's veth), or undefined when it can: a throwaway
 * namespace is made and set up to find out.
 */
export function namespaceProblem(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  for (const tool of ['unshare', 'ip']) {
    if (!findExecutable(tool)) return `${tool} not found (Debian: util-linux, iproute2)`;
  }
  const probe = spawnSync('unshare', ['-n', 'sh', '-c', NAMESPACE_SETUP], { encoding: 'utf8' });
  if (probe.status !== 0) {
    return `setting up a network namespace failed: ${(probe.stderr || probe.error?.message || '').trim()}`;
  }
  return undefined;
}

/** The command prefix that runs a program in a fresh namespace set up as above. */
export function namespacePrefix(): string[] {
  return ['unshare', '-n', 'sh', '-c', `${NAMESPACE_SETUP} && exec "$0" "$@"`];
}

/**
 * Undefined when this process is inside the benchmark's namespace — every
 * interface with an address is lo or the veth pair, and sb0 holds
 * NAMESPACE_ADDRESS — otherwise what is wrong.
 */
export function namespaceMismatch(): string | undefined {
  const interfaces = networkInterfaces();
  const foreign = Object.keys(interfaces).filter(
    (name) => name !== 'lo' && name !== NAMESPACE_INTERFACE && name !== NAMESPACE_PEER,
  );
  if (foreign.length > 0) return `interfaces other than the namespace's own: ${foreign.join(', ')}`;
  const own = interfaces[NAMESPACE_INTERFACE] ?? [];
  if (!own.some((address) => address.family === 'IPv4' && address.address === NAMESPACE_ADDRESS)) {
    return `${NAMESPACE_INTERFACE} does not hold ${NAMESPACE_ADDRESS}`;
  }
  return undefined;
}

/** Settings of the Janus instance. */
export interface JanusOptions {
  /** Path of the janus binary. */
  binary: string;
  /** Folder holding plugins/ and transports/ (default Debian's). */
  libraryFolder?: string;
  httpPort: number;
  rtpPorts: { min: number; max: number };
  /**
   * The one IPv4 address Janus gathers candidates on (`ice_enforce_list`):
   * NAMESPACE_ADDRESS, since libnice never offers a loopback candidate.
   */
  iceAddress: string;
}

/** The configuration files of a Janus whose API listens on 127.0.0.1 and whose ICE uses `iceAddress` only. */
function writeConfig(folder: string, options: JanusOptions): void {
  const library = options.libraryFolder ?? DEBIAN_LIB;
  for (const [sub, file] of [
    ['plugins', 'libjanus_videoroom.so'],
    ['transports', 'libjanus_http.so'],
  ] as const) {
    mkdirSync(join(folder, sub));
    symlinkSync(join(library, sub, file), join(folder, sub, file));
  }
  mkdirSync(join(folder, 'events'));
  mkdirSync(join(folder, 'loggers'));
  writeFileSync(
    join(folder, 'janus.jcfg'),
    `general: {
  configs_folder = "${folder}"
  plugins_folder = "${folder}/plugins"
  transports_folder = "${folder}/transports"
  events_folder = "${folder}/events"
  loggers_folder = "${folder}/loggers"
  debug_level = 3
  session_timeout = 300
  server_name = "switchboard-bench"
}
certificates: {
}
media: {
  ipv6 = false
  rtp_port_range = "${options.rtpPorts.min}-${options.rtpPorts.max}"
  no_media_timer = 5
}
nat: {
  nice_debug = false
  full_trickle = false
  ice_lite = false
  ice_tcp = false
  ignore_mdns = true
  ice_enforce_list = "${options.iceAddress}"
}
plugins: {
}
transports: {
}
loggers: {
}
events: {
  broadcast = false
}
`,
  );
  writeFileSync(
    join(folder, 'janus.transport.http.jcfg'),
    `general: {
  events = false
  json = "compact"
  base_path = "/janus"
  http = true
  port = ${options.httpPort}
  ip = "127.0.0.1"
  https = false
}
admin: {
  admin_http = false
  admin_https = false
}
`,
  );
  writeFileSync(join(folder, 'janus.plugin.videoroom.jcfg'), 'general: {\n}\n');
}

/** A Janus API message as it comes back. */
interface JanusMessage {
  janus: string;
  transaction?: string;
  session_id?: number;
  sender?: number;
  data?: { id: number };
  error?: { code: number; reason: string };
  plugindata?: { plugin: string; data: Record<string, unknown> };
  jsep?: { type: string; sdp: string };
}

/** A running Janus and one API session on it. */
export class JanusServer {
  readonly #server: RunningServer;
  readonly #folder: string;
  readonly #base: string;
  #session = 0;
  #transaction = 0;
  /** Replies awaited by transaction (events of asynchronous plugin requests). */
  readonly #waiting = new Map<string, (message: JanusMessage) => void>();
  #polling = false;
  #publisherId = 0;

  private constructor(server: RunningServer, folder: string, httpPort: number) {
    this.#server = server;
    this.#folder = folder;
    this.#base = `http://127.0.0.1:${httpPort}/janus`;
  }

  /** Starts Janus with a generated config and opens a session. */
  static async start(options: JanusOptions): Promise<JanusServer> {
    const folder = mkdtempSync(join(tmpdir(), 'switchboard-bench-janus-'));
    try {
      writeConfig(folder, options);
      const base = `http://127.0.0.1:${options.httpPort}/janus/info`;
      const server = await startServerProcess({
        command: options.binary,
        args: ['-F', folder, '-C', join(folder, 'janus.jcfg'), '-o'],
        host: '127.0.0.1',
        port: options.httpPort,
        ready: async () => (await fetch(base, { signal: AbortSignal.timeout(1000) })).ok,
        readyTimeoutMs: 20_000,
      });
      const janus = new JanusServer(server, folder, options.httpPort);
      const created = await janus.#post('', { janus: 'create' });
      janus.#session = created.data!.id;
      janus.#poll();
      return janus;
    } catch (error) {
      rmSync(folder, { recursive: true, force: true });
      throw error;
    }
  }

  /** Its process id, for CPU readings. */
  get pid(): number {
    return this.#server.pid;
  }

  /** What it printed (bounded). */
  output(): string {
    return this.#server.output();
  }

  /** True once it exited. */
  get exited(): boolean {
    return this.#server.exited;
  }

  /** Creates the room and joins it as publisher with our offer; resolves with Janus's answer. */
  async publish(offer: string): Promise<string> {
    const handle = await this.#attach();
    const created = await this.#message(handle, {
      request: 'create',
      room: ROOM,
      publishers: 1,
      bitrate: 0,
      fir_freq: 0,
      audiocodec: 'opus',
      videocodec: 'vp8',
      notify_joining: false,
      record: false,
    });
    const createdData = created.plugindata?.data;
    if (createdData?.['videoroom'] !== 'created') {
      throw new Error(`Janus did not create the room: ${JSON.stringify(created)}`);
    }
    const joined = await this.#message(
      handle,
      {
        request: 'joinandconfigure',
        ptype: 'publisher',
        room: ROOM,
        display: 'bench',
        audio: true,
        video: true,
      },
      { type: 'offer', sdp: offer, trickle: false },
    );
    const data = joined.plugindata?.data;
    if (data?.['videoroom'] !== 'joined' || !joined.jsep) {
      throw new Error(`Janus did not take the publisher: ${JSON.stringify(joined)}`);
    }
    this.#publisherId = Number(data['id']);
    return joined.jsep.sdp;
  }

  /** A subscriber handle on the publisher's feed; resolves with its id and Janus's offer. */
  async subscribe(): Promise<{ subscriber: string; sdp: string }> {
    const handle = await this.#attach();
    const join = () =>
      this.#message(handle, {
        request: 'join',
        ptype: 'subscriber',
        room: ROOM,
        streams: [{ feed: this.#publisherId }],
      });
    // Janus answers "No such feed" until the publisher's PeerConnection is up: wait for it, for a while.
    let attached: Awaited<ReturnType<typeof join>> | undefined;
    for (let attempt = 0; attached === undefined; attempt++) {
      try {
        attached = await join();
      } catch (error) {
        if (attempt >= 40 || !/No such feed/.test(String(error))) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    if (attached.plugindata?.data['videoroom'] !== 'attached' || !attached.jsep) {
      throw new Error(`Janus did not attach the subscriber: ${JSON.stringify(attached)}`);
    }
    return { subscriber: String(handle), sdp: attached.jsep.sdp };
  }

  /** Our answer for a subscriber handle. */
  async answer(subscriber: string, sdp: string): Promise<void> {
    const started = await this.#message(
      Number(subscriber),
      { request: 'start', room: ROOM },
      { type: 'answer', sdp, trickle: false },
    );
    if (started.plugindata?.data['started'] !== 'ok') {
      throw new Error(`Janus did not start the subscriber: ${JSON.stringify(started)}`);
    }
  }

  /** Detaches a subscriber handle (its PeerConnection goes). */
  async unsubscribe(subscriber: string): Promise<void> {
    await this.#post(`/${this.#session}/${subscriber}`, { janus: 'detach' });
  }

  /** Ends the session and the process, and removes the config folder; idempotent. */
  async stop(): Promise<void> {
    this.#polling = false;
    await this.#server.stop();
    rmSync(this.#folder, { recursive: true, force: true });
    for (const resolve of this.#waiting.values())
      resolve({ janus: 'error', error: { code: 0, reason: 'stopped' } });
    this.#waiting.clear();
  }

  async #attach(): Promise<number> {
    const attached = await this.#post(`/${this.#session}`, {
      janus: 'attach',
      plugin: 'janus.plugin.videoroom',
    });
    return attached.data!.id;
  }

  /**
   * A plugin request. Synchronous requests (create) are answered in the
   * HTTP reply; asynchronous ones (join, start) with an `ack`, and the
   * result comes later as an event with the same transaction.
   */
  async #message(
    handle: number,
    body: Record<string, unknown>,
    jsep?: { type: string; sdp: string; trickle: boolean },
  ): Promise<JanusMessage> {
    const transaction = `t${++this.#transaction}`;
    const event = new Promise<JanusMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(transaction);
        reject(new Error(`Janus: no event for ${JSON.stringify(body)} within 15 s`));
      }, 15_000);
      this.#waiting.set(transaction, (message) => {
        clearTimeout(timer);
        resolve(message);
      });
    });
    const reply = await this.#post(
      `/${this.#session}/${handle}`,
      { janus: 'message', body, jsep },
      transaction,
    );
    if (reply.janus === 'success') {
      this.#waiting.get(transaction)?.(reply);
      this.#waiting.delete(transaction);
    }
    const message = await event;
    if (message.janus === 'error') throw new Error(`Janus: ${message.error?.reason}`);
    const error = message.plugindata?.data['error'];
    if (error) throw new Error(`Janus VideoRoom: ${String(error)}`);
    return message;
  }

  async #post(path: string, request: Record<string, unknown>, transaction?: string): Promise<JanusMessage> {
    const response = await fetch(`${this.#base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...request, transaction: transaction ?? `t${++this.#transaction}` }),
      signal: AbortSignal.timeout(15_000),
    });
    const message = (await response.json()) as JanusMessage;
    if (message.janus === 'error') throw new Error(`Janus ${request['janus']}: ${message.error?.reason}`);
    return message;
  }

  /** Long-polls the session's events and hands them to their waiters; keeps the session alive. */
  #poll(): void {
    this.#polling = true;
    void (async () => {
      while (this.#polling && !this.#server.exited) {
        try {
          const response = await fetch(`${this.#base}/${this.#session}?maxev=50`, {
            signal: AbortSignal.timeout(40_000),
          });
          const body = (await response.json()) as JanusMessage | JanusMessage[];
          for (const message of Array.isArray(body) ? body : [body]) {
            const waiter = message.transaction ? this.#waiting.get(message.transaction) : undefined;
            if (waiter && message.janus === 'event') {
              this.#waiting.delete(message.transaction!);
              waiter(message);
            }
          }
        } catch {
          if (!this.#polling) return;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    })();
  }
}
