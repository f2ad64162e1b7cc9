/**
 * The STUN/TURN service: builds a TurnServer from the configuration, starts
 * it, says where it listens and how it is set up (never its secrets), and
 * closes it once.
 */
import { readFileSync } from 'node:fs';
import type { TlsCredentials } from '../turn/options.js';
import { TurnServer } from '../turn/server.js';
import { formatTransportAddress } from '../util/ip.js';
import type { Log } from '../util/log.js';
import { type Config, toTurnServerOptions } from './config.js';
import { childLog } from './logger.js';
import { resolveThreadCount, reusePortSupported, type TurnBackend, TurnThreads } from './turn-threads.js';

/** Worker threads run the compiled build; from TypeScript sources (tests) the server runs on one thread. */
const THREADS_AVAILABLE = import.meta.url.endsWith('.js');

/** A bound listener as the TURN server reports it. */
export interface BoundAddress {
  host: string;
  port: number;
  family: 4 | 6;
}

/**
 * Formats bound addresses for a log line: "udp+tcp 0.0.0.0:3478",
 * "tls [::]:5349" (`protocols` names what each serves).
 */
export function formatListenAddresses(addresses: readonly BoundAddress[], protocols = 'udp+tcp'): string[] {
  return addresses.map(
    (bound) =>
      `${protocols} ${formatTransportAddress({ family: bound.family, address: bound.host, port: bound.port })}`,
  );
}

/** Reads the configured certificate and key files; throws an Error naming the file that failed. */
export function readTlsCredentials(config: Config): TlsCredentials | undefined {
  const { cert, key } = config.turn;
  if (cert === undefined || key === undefined) return undefined;
  const read = (file: string, what: string) => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new Error(`cannot read TLS ${what} ${file}: ${(error as Error).message}`);
    }
  };
  return { cert: read(cert, 'certificate'), key: read(key, 'key') };
}

/**
 * The TURN settings worth a line at start. Counts stand in for users and
 * secrets, under names the logger's redaction list leaves alone.
 */
export function describeTurnSettings(config: Config): Record<string, unknown> {
  const turn = config.turn;
  return {
    realm: turn.realm,
    relayIps: turn.relayIps,
    externalIps: turn.externalIps,
    relayPorts: `${turn.minPort}-${turn.maxPort}`,
    staticUserCount: turn.users.length,
    authSecretCount: turn.authSecrets.length,
    allowLoopbackPeers: turn.allowLoopbackPeers,
    allowPeers: turn.allowPeers,
    denyPeers: turn.denyPeers,
    userQuota: turn.userQuota,
    totalQuota: turn.totalQuota,
    maxLifetime: turn.maxLifetime,
    nonceLifetime: turn.nonceLifetime,
    tlsListen: turn.tlsListen.map((address) => `${address.host}:${address.port}`),
    cert: turn.cert,
    allocationBandwidth: turn.allocationBandwidth,
    userBandwidth: turn.userBandwidth,
    totalBandwidth: turn.totalBandwidth,
    alternateServer: turn.alternateServer && `${turn.alternateServer.host}:${turn.alternateServer.port}`,
  };
}

/** A running STUN/TURN service. */
export class TurnService {
  /** The server: one TurnServer, or TurnThreads spreading it over worker threads. */
  readonly server: TurnBackend;
  /** Threads the server runs on. */
  readonly threads: number;
  private readonly config: Config;
  private readonly log: Log;
  private closing: Promise<void> | undefined;

  private constructor(server: TurnBackend, threads: number, config: Config, log: Log) {
    this.server = server;
    this.threads = threads;
    this.config = config;
    this.log = log;
  }

  /**
   * Starts the TURN server described by `config`; resolves once every
   * listener is bound. Rejects (with nothing left bound) when one cannot be.
   */
  static async start(config: Config, log: Log): Promise<TurnService> {
    const tls = readTlsCredentials(config);
    const options = {
      ...toTurnServerOptions(config, childLog(log, { service: 'turn' })),
      ...(tls ? { tls } : {}),
    };
    const threads = THREADS_AVAILABLE ? resolveThreadCount(config.turn.threads) : 1;
    if (config.turn.threads > 1 && !reusePortSupported()) {
      log.warn(
        { service: 'turn', threads: config.turn.threads, node: process.version },
        'TURN runs on one thread: sharing a UDP port between threads (SO_REUSEPORT) needs Node 22.12 or later on Linux',
      );
    }
    let server: TurnBackend;
    if (threads > 1) {
      server = await TurnThreads.start(options, threads, log, config.log.level);
    } else {
      const single = new TurnServer(options);
      await single.start();
      server = single;
    }
    const service = new TurnService(server, threads, config, log);
    log.info(
      {
        service: 'turn',
        listen: [
          ...formatListenAddresses(server.addresses, tls ? 'udp+tcp+tls' : 'udp+tcp'),
          ...formatListenAddresses(server.tlsAddresses, 'tls'),
        ],
        threads,
        ...describeTurnSettings(config),
      },
      'STUN/TURN service started',
    );
    if (config.turn.users.length === 0 && config.turn.authSecrets.length === 0) {
      log.warn(
        { service: 'turn' },
        'no TURN credentials configured (--user, --auth-secret): only STUN Binding requests will succeed',
      );
    }
    return service;
  }

  /** The bound listening addresses (actual ports when 0 was asked for). */
  get addresses(): BoundAddress[] {
    return this.server.addresses;
  }

  /**
   * Reads the certificate and key files again (SIGHUP). New TLS connections
   * use them; allocations and connections that exist are kept. A file that
   * does not load is logged and the old credentials stay in force.
   */
  reloadTls(): boolean {
    try {
      const tls = readTlsCredentials(this.config);
      if (!tls) return false;
      this.server.setTlsCredentials(tls);
      this.log.info({ service: 'turn', cert: this.config.turn.cert }, 'TLS certificate reloaded');
      return true;
    } catch (error) {
      this.log.error(
        { service: 'turn', reason: (error as Error).message },
        'TLS certificate reload failed; keeping the previous one',
      );
      return false;
    }
  }

  /** Drain mode (SIGUSR1): new allocations are refused, existing ones run to their end. */
  drain(): void {
    this.server.drain();
  }

  /** Closes the listeners and every allocation. Idempotent: later calls share the first close. */
  close(): Promise<void> {
    this.closing ??= this.server.close();
    return this.closing;
  }
}
