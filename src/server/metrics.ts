/**
 * Prometheus metrics. The services keep their counters as plain numbers (the
 * hot path only increments a field); this registry reads them when scraped,
 * so that metrics cost nothing between scrapes.
 */
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { TurnGauges } from '../turn/server.js';
import { TurnStats } from '../turn/stats.js';
import type { ServerEventBus } from './events.js';
import type { MediaService } from './media-service.js';
import type { RecordingService } from './recording-service.js';
import type { SignalingService } from './signaling-service.js';
import type { TurnBackend } from './turn-threads.js';

/** Reasons a datagram or message is dropped, as the `reason` label spells them, and their counter. */
const DROP_REASONS: readonly [string, keyof TurnStats][] = [
  ['malformed', 'droppedMalformed'],
  ['no_allocation', 'droppedNoAllocation'],
  ['no_permission', 'droppedNoPermission'],
  ['no_channel', 'droppedNoChannel'],
  ['unexpected', 'droppedUnexpected'],
  ['rate_limited', 'droppedRateLimited'],
  ['bandwidth', 'droppedBandwidth'],
  ['backpressure', 'droppedBackpressure'],
];

/** A counter mirrored from a plain number at scrape time. */
function mirroredCounter(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

/** The registry of one process: Node's default metrics plus those of each service registered. */
export class Metrics {
  readonly registry = new Registry();
  /** Taken before each scrape, read by the collectors: one snapshot per scrape, however many threads. */
  private turnSnapshot: { stats: TurnStats; gauges: TurnGauges } | undefined;
  private readonly refreshers: (() => Promise<void>)[] = [];

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'switchboard_' });
  }

  /** Registers the TURN server's counters and gauges. */
  addTurn(server: TurnBackend): void {
    const { registry } = this;
    const empty = {
      stats: new TurnStats(),
      gauges: { allocations: 0, permissions: 0, channels: 0, streamConnections: 0, peerConnections: 0 },
    };
    this.refreshers.push(async () => {
      this.turnSnapshot = await server.snapshot();
    });
    // Views of the latest snapshot, read by the collectors below.
    const snapshot = () => this.turnSnapshot ?? empty;
    const stats = () => snapshot().stats;
    const current = () => snapshot().gauges;
    const prefix = 'switchboard_turn_';
    const gauge = (name: string, help: string, labelNames: string[], collect: (g: Gauge) => void) =>
      new Gauge({
        name: prefix + name,
        help,
        labelNames,
        registers: [registry],
        collect() {
          collect(this);
        },
      });
    gauge('allocations', 'Live allocations.', [], (g) => g.set(current().allocations));
    gauge('permissions', 'Live permissions of all allocations.', [], (g) => g.set(current().permissions));
    gauge('channels', 'Live channel bindings of all allocations.', [], (g) => g.set(current().channels));
    gauge(
      'tcp_connections',
      'Open TCP/TLS connections: from clients, and RFC 6062 peer connections.',
      ['kind'],
      (g) => {
        const now = current();
        g.set({ kind: 'client' }, now.streamConnections);
        g.set({ kind: 'peer' }, now.peerConnections);
      },
    );
    gauge('draining', '1 while the server refuses new allocations (drain mode).', [], (g) =>
      g.set(server.isDraining ? 1 : 0),
    );
    mirroredCounter(
      registry,
      `${prefix}allocations_created_total`,
      'Allocations created.',
      () => stats().allocationsCreated,
    );
    mirroredCounter(
      registry,
      `${prefix}allocations_expired_total`,
      'Allocations that expired.',
      () => stats().allocationsExpired,
    );
    mirroredCounter(
      registry,
      `${prefix}allocations_deleted_total`,
      'Allocations deleted by the client or a closed connection.',
      () => stats().allocationsDeleted,
    );
    mirroredCounter(
      registry,
      `${prefix}binding_requests_total`,
      'STUN Binding requests answered.',
      () => stats().bindingRequests,
    );
    mirroredCounter(
      registry,
      `${prefix}auth_failures_total`,
      'Requests that failed authentication.',
      () => stats().authFailures,
    );
    mirroredCounter(
      registry,
      `${prefix}error_responses_total`,
      'STUN error responses sent.',
      () => stats().errorResponses,
    );
    mirroredCounter(
      registry,
      `${prefix}refused_draining_total`,
      'Allocate requests refused while draining.',
      () => stats().refusedDraining,
    );
    mirroredCounter(
      registry,
      `${prefix}tcp_connections_accepted_total`,
      'TCP/TLS client connections accepted.',
      () => stats().streamConnectionsAccepted,
    );
    mirroredCounter(
      registry,
      `${prefix}tcp_connections_rejected_total`,
      'TCP/TLS connections closed before they were ready (bad first byte, failed TLS handshake, timeout, capacity).',
      () => stats().streamConnectionsRejected,
    );
    mirroredCounter(
      registry,
      `${prefix}internal_errors_total`,
      'Exceptions caught at a socket boundary.',
      () => stats().internalErrors,
    );
    new Counter({
      name: `${prefix}relayed_packets_total`,
      help: 'Datagrams relayed, by direction (to_peer: client to peer; to_client: peer to client).',
      labelNames: ['direction'],
      registers: [registry],
      collect() {
        this.reset();
        this.inc({ direction: 'to_peer' }, stats().packetsToPeer);
        this.inc({ direction: 'to_client' }, stats().packetsToClient);
      },
    });
    new Counter({
      name: `${prefix}relayed_bytes_total`,
      help: 'Application bytes relayed, by direction (RFC 6062 TCP relays included).',
      labelNames: ['direction'],
      registers: [registry],
      collect() {
        this.reset();
        this.inc({ direction: 'to_peer' }, stats().bytesToPeer);
        this.inc({ direction: 'to_client' }, stats().bytesToClient);
      },
    });
    new Counter({
      name: `${prefix}dropped_total`,
      help: 'Datagrams and messages dropped, by reason.',
      labelNames: ['reason'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [reason, field] of DROP_REASONS) this.inc({ reason }, stats()[field]);
      },
    });
  }

  /** Registers the signaling service's gauges and counters. */
  addSignaling(signaling: SignalingService): void {
    const { registry } = this;
    const stats = signaling.rooms.stats;
    const prefix = 'switchboard_signaling_';
    new Gauge({
      name: `${prefix}rooms`,
      help: 'Open rooms.',
      registers: [registry],
      collect() {
        this.set(signaling.rooms.size);
      },
    });
    new Gauge({
      name: `${prefix}participants`,
      help: 'Participants in all rooms, connected or within their resume grace period.',
      registers: [registry],
      collect() {
        this.set(signaling.rooms.participantCount());
      },
    });
    new Gauge({
      name: `${prefix}connections`,
      help: 'Open signaling WebSocket connections.',
      registers: [registry],
      collect() {
        this.set(signaling.server.connectionCount);
      },
    });
    const counters: [string, string, keyof typeof stats][] = [
      ['rooms_created_total', 'Rooms created.', 'roomsCreated'],
      ['rooms_closed_total', 'Rooms closed.', 'roomsClosed'],
      ['participants_joined_total', 'Participants that joined.', 'participantsJoined'],
      ['participants_left_total', 'Participants that left, timed out or were removed.', 'participantsLeft'],
      ['sessions_resumed_total', 'Sessions resumed after a dropped connection.', 'sessionsResumed'],
      ['messages_relayed_total', 'Messages relayed to participants (per recipient).', 'messagesRelayed'],
      ['messages_refused_total', 'Messages answered with an error.', 'messagesRefused'],
      ['connections_total', 'WebSocket connections opened.', 'connectionsOpened'],
      [
        'connections_rate_limited_total',
        'Connections closed for sending too fast.',
        'connectionsRateLimited',
      ],
    ];
    for (const [name, help, field] of counters) {
      mirroredCounter(registry, prefix + name, help, () => stats[field]);
    }
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    await Promise.all(this.refreshers.map((refresh) => refresh()));
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** Recording figures: recordings and files in progress, and recordings ended by how they ended. */
  addRecording(recordings: RecordingService, events: ServerEventBus): void {
    const { registry } = this;
    new Gauge({
      name: 'switchboard_recordings_active',
      help: 'Rooms being recorded.',
      registers: [registry],
      collect() {
        this.set(recordings.activeCount);
      },
    });
    new Gauge({
      name: 'switchboard_recording_files_active',
      help: 'Files being written by recordings in progress.',
      registers: [registry],
      collect() {
        let files = 0;
        for (const recording of recordings.list()) {
          if (recording.status !== 'recording') continue;
          for (const file of recording.files) if (file.status === 'recording') files++;
        }
        this.set(files);
      },
    });
    const ended = new Counter({
      name: 'switchboard_recordings_total',
      help: 'Recordings by outcome: started, stopped (finished cleanly), failed (including those that could not start).',
      labelNames: ['outcome'],
      registers: [registry],
    });
    for (const outcome of ['started', 'stopped', 'failed'] as const) {
      ended.inc({ outcome }, 0);
      events.on(`recording.${outcome}`, () => ended.inc({ outcome }));
    }
  }

  /** Media gauges: what the workers hold, read from the counts kept beside each worker (no round trip). */
  addMedia(media: MediaService): void {
    const { registry } = this;
    const pool = media.pool;
    const gauge = (name: string, help: string, read: () => number): void => {
      new Gauge({
        name: `switchboard_media_${name}`,
        help,
        registers: [registry],
        collect() {
          this.set(read());
        },
      });
    };
    const sum =
      (key: 'routers' | 'transports' | 'producers' | 'consumers' | 'dataProducers' | 'dataConsumers') => () =>
        pool.workers.reduce(
          (total, worker) => total + (worker.died || worker.closed ? 0 : (worker.load[key] ?? 0)),
          0,
        );
    gauge(
      'workers',
      'Media workers running.',
      () => pool.workers.filter((worker) => !worker.died && !worker.closed).length,
    );
    gauge('routers', 'Routers (sfu rooms with media) on all workers.', sum('routers'));
    gauge('transports', 'WebRTC transports on all workers.', sum('transports'));
    gauge('producers', 'Tracks published into the SFU.', sum('producers'));
    gauge('consumers', 'Tracks sent to subscribers by the SFU.', sum('consumers'));
    gauge('data_producers', 'Participants whose data-channel messages the SFU routes.', sum('dataProducers'));
    gauge('data_consumers', 'Sender-to-receiver data-channel routes in the SFU.', sum('dataConsumers'));
  }
}
