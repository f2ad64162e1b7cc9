/**
 * The STUN/TURN service: builds a TurnServer from the configuration, starts
 * it, says where it listens and how it is set up (never its secrets), and
 * closes it once.
 */
import { TurnServer } from '../turn/server.js';
import { formatTransportAddress } from '../util/ip.js';
import type { Log } from '../util/log.js';
import { type Config, toTurnServerOptions } from './config.js';
import { childLog } from './logger.js';

/** A bound listener as the TURN server reports it. */
export interface BoundAddress {
  host: string;
  port: number;
  family: 4 | 6;
}

/** Formats bound addresses for a log line: "udp 0.0.0.0:3478", "udp [::]:3478". */
export function formatListenAddresses(addresses: readonly BoundAddress[]): string[] {
  return addresses.map(
    (bound) =>
      `udp ${formatTransportAddress({ family: bound.family, address: bound.host, port: bound.port })}`,
  );
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
  };
}

/** A running STUN/TURN service. */
export class TurnService {
  /** The server, for stats and tests. */
  readonly server: TurnServer;
  private closing: Promise<void> | undefined;

  private constructor(server: TurnServer) {
    this.server = server;
  }

  /**
   * Starts the TURN server described by `config`; resolves once every
   * listener is bound. Rejects (with nothing left bound) when one cannot be.
   */
  static async start(config: Config, log: Log): Promise<TurnService> {
    const server = new TurnServer(toTurnServerOptions(config, childLog(log, { service: 'turn' })));
    await server.start();
    const service = new TurnService(server);
    log.info(
      { service: 'turn', listen: formatListenAddresses(server.addresses), ...describeTurnSettings(config) },
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

  /** Closes the listeners and every allocation. Idempotent: later calls share the first close. */
  close(): Promise<void> {
    this.closing ??= this.server.close();
    return this.closing;
  }
}
