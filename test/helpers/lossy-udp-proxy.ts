/**
 * A UDP proxy on loopback that stands between WebRTC peers and the server's
 * ICE mux, to test the media path under loss and injected garbage.
 *
 *   peer ──▶ front socket ──(loss)──▶ upstream socket (one per peer address) ──▶ mux
 *   peer ◀── front socket ◀──(filter)── upstream socket ◀── mux
 *
 * The peer is told the front socket's address as the server's candidate; the
 * server sees each peer as its upstream socket's address, which is the
 * address its ICE agent validates. Datagrams from the server can be filtered
 * (to drop one kind of feedback), and the test can send its own datagrams
 * from a validated upstream address: the one thing an attacker off the path
 * cannot do, and the way to reach the layers behind the ICE address check.
 *
 * Loss is drawn from a seeded PRNG, so a run drops the same positions in the
 * sequence of lossy datagrams each time (the timing of the media still varies).
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { formatCandidate, parseCandidate } from '../../src/ice/index.js';

/** A loopback address and port. */
export interface LoopbackAddress {
  address: string;
  port: number;
}

/** How to build a proxy. */
export interface LossyUdpProxyOptions {
  /** Where to forward: the server's mux (a loopback address). */
  target: LoopbackAddress;
  /** Fraction (0–1) of the lossy peer→server datagrams that are dropped. Default 0. */
  upstreamLoss?: number;
  /** Which peer→server datagrams may be dropped. Default: every datagram. */
  lossy?: (datagram: Buffer) => boolean;
  /** Server→peer datagrams for which this returns false are dropped. Default: none dropped. */
  passDownstream?: (datagram: Buffer) => boolean;
  /** Seed of the loss PRNG. Default 1. */
  seed?: number;
}

/** Counters of a proxy. */
export interface LossyUdpProxyStats {
  /** Datagrams from peers. */
  upstreamReceived: number;
  /** Datagrams from peers that the loss model applies to (`lossy`). */
  upstreamLossy: number;
  /** Datagrams from peers sent on to the server. */
  upstreamForwarded: number;
  /** Datagrams from peers dropped by the loss model. */
  upstreamDropped: number;
  /** Datagrams from the server sent on to a peer. */
  downstreamForwarded: number;
  /** Datagrams from the server dropped by `passDownstream`. */
  downstreamDropped: number;
  /** Datagrams the test sent from an upstream address (`inject`). */
  injected: number;
}

/** RTP and RTCP (and so SRTP and SRTCP) start with a byte in 128–191 (RFC 7983 §7). */
export function isRtpOrRtcp(datagram: Buffer): boolean {
  return datagram.length > 0 && datagram[0] >= 128 && datagram[0] <= 191;
}

/** mulberry32: a small, fast, seedable PRNG with a 2^32 period; uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The UDP candidates of `lines` pointing at `address` instead (same
 * foundation, priority and component); other candidates are left out, so
 * the peer can only reach the server through the proxy.
 */
export function candidateLinesVia(lines: readonly string[], address: LoopbackAddress): string[] {
  const rewritten: string[] = [];
  for (const line of lines) {
    const parsed = parseCandidate(line);
    if (!parsed.ok || parsed.candidate.protocol !== 'udp') continue;
    rewritten.push(formatCandidate({ ...parsed.candidate, address: address.address, port: address.port }));
  }
  return rewritten;
}

const LOOPBACK = '127.0.0.1';

/** One peer address and the socket that speaks for it to the server. */
interface Upstream {
  peer: RemoteInfo;
  socket: Socket;
  port: number;
}

function bindLoopback(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, LOOPBACK, () => {
      socket.removeListener('error', reject);
      // A send to a closed port (ICMP unreachable) surfaces as an error event: not fatal here.
      socket.on('error', () => {});
      resolve(socket);
    });
  });
}

/** A lossy, filtering, injecting UDP proxy on 127.0.0.1. */
export class LossyUdpProxy {
  /** The address peers send to: announce it as the server's candidate. */
  readonly address: LoopbackAddress;
  /** Counters. */
  readonly stats: LossyUdpProxyStats = {
    upstreamReceived: 0,
    upstreamLossy: 0,
    upstreamForwarded: 0,
    upstreamDropped: 0,
    downstreamForwarded: 0,
    downstreamDropped: 0,
    injected: 0,
  };
  readonly #front: Socket;
  readonly #options: LossyUdpProxyOptions;
  readonly #random: () => number;
  /** Upstream sockets by peer "address:port"; a promise while the socket binds. */
  readonly #upstreams = new Map<string, Promise<Upstream>>();
  #closed = false;

  private constructor(front: Socket, options: LossyUdpProxyOptions) {
    this.#front = front;
    this.#options = options;
    this.#random = seededRandom(options.seed ?? 1);
    this.address = { address: LOOPBACK, port: front.address().port };
    front.on('message', (data, peer) => this.#fromPeer(data, peer));
  }

  /** Binds the proxy's front socket on 127.0.0.1 (any port). */
  static async listen(options: LossyUdpProxyOptions): Promise<LossyUdpProxy> {
    if (options.target.address !== LOOPBACK) throw new TypeError('the proxy only forwards to 127.0.0.1');
    const loss = options.upstreamLoss ?? 0;
    if (!(loss >= 0 && loss <= 1)) throw new RangeError('upstreamLoss is a fraction in 0..1');
    return new LossyUdpProxy(await bindLoopback(), options);
  }

  /** The local ports of the upstream sockets: the addresses the server knows the peers by. */
  async upstreamPorts(): Promise<number[]> {
    const upstreams = await Promise.all(this.#upstreams.values());
    return upstreams.map((upstream) => upstream.port);
  }

  /**
   * Sends `data` to the server from the upstream socket bound to `port`
   * (see upstreamPorts), as if the peer behind it had sent it. Resolves
   * false when there is no such socket or the proxy is closed.
   */
  async inject(port: number, data: Buffer): Promise<boolean> {
    if (this.#closed) return false;
    const upstreams = await Promise.all(this.#upstreams.values());
    const upstream = upstreams.find((candidate) => candidate.port === port);
    if (!upstream) return false;
    this.stats.injected++;
    await new Promise<void>((resolve) =>
      upstream.socket.send(data, this.#options.target.port, this.#options.target.address, () => resolve()),
    );
    return true;
  }

  /** Closes every socket; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const upstreams = await Promise.all(this.#upstreams.values());
    await Promise.all(
      [this.#front, ...upstreams.map((upstream) => upstream.socket)].map(
        (socket) => new Promise<void>((resolve) => socket.close(() => resolve())),
      ),
    );
  }

  #fromPeer(data: Buffer, peer: RemoteInfo): void {
    if (this.#closed) return;
    this.stats.upstreamReceived++;
    const lossy = this.#options.lossy ?? (() => true);
    if (lossy(data)) {
      this.stats.upstreamLossy++;
      if (this.#random() < (this.#options.upstreamLoss ?? 0)) {
        this.stats.upstreamDropped++;
        return;
      }
    }
    const key = `${peer.address}:${peer.port}`;
    let upstream = this.#upstreams.get(key);
    if (!upstream) {
      upstream = this.#openUpstream(peer);
      this.#upstreams.set(key, upstream);
    }
    // Datagrams that arrive while the socket binds keep their order: each waits on the same promise.
    upstream.then(
      ({ socket }) => {
        if (this.#closed) return;
        this.stats.upstreamForwarded++;
        socket.send(data, this.#options.target.port, this.#options.target.address);
      },
      () => {},
    );
  }

  async #openUpstream(peer: RemoteInfo): Promise<Upstream> {
    const socket = await bindLoopback();
    socket.on('message', (data, from) => {
      if (this.#closed) return;
      // Only the server answers on this socket.
      if (from.address !== this.#options.target.address || from.port !== this.#options.target.port) return;
      if (this.#options.passDownstream && !this.#options.passDownstream(data)) {
        this.stats.downstreamDropped++;
        return;
      }
      this.stats.downstreamForwarded++;
      this.#front.send(data, peer.port, peer.address);
    });
    return { peer, socket, port: socket.address().port };
  }
}
