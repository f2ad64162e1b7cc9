/**
 * A signaling server with sfu rooms on a pool of media workers, on loopback,
 * for tests that drive real WebRTC peers through the signaling protocol; and
 * the relay between a test's signaling client and its peer process.
 */
import { MediaWorkerPool } from '../../src/media/worker-pool.js';
import { HttpServer } from '../../src/server/http-server.js';
import { WorkerSfuService } from '../../src/server/sfu-service.js';
import { RoomManager } from '../../src/signaling/rooms.js';
import { SignalingServer } from '../../src/signaling/server.js';
import { type ApiKey, TokenVerifier } from '../../src/signaling/tokens.js';
import { silentLog } from '../../src/util/log.js';
import type { Received, SignalingTestClient } from '../helpers/ws-client.js';
import type { PeerMessage, StdioPeer } from './peers/stdio-peer.js';

/** The API key the harness's tokens are signed with. */
export const SFU_TEST_KEY: ApiKey = { key: 'testkey', secret: 'a-test-secret-that-is-long-enough-for-hs256' };

/** A running server; close() stops it all. */
export interface SfuSignalingServer {
  pool: MediaWorkerPool;
  sfu: WorkerSfuService;
  signaling: SignalingServer;
  http: HttpServer;
  /** The WebSocket URL of the signaling endpoint. */
  url: string;
  close(): Promise<void>;
}

/** Starts the server: `workers` threaded media workers, sfu rooms of at most 10. */
export async function startSfuSignalingServer(options: {
  workers: number;
  tcp?: boolean;
  consentTimeoutMs?: number;
  messagesPerSecond?: number;
  messageBurst?: number;
}): Promise<SfuSignalingServer> {
  const pool = await MediaWorkerPool.start({
    workers: options.workers,
    threaded: true,
    listen: { address: '127.0.0.1', udpPort: 0, ...(options.tcp ? { tcpPort: 0 } : {}) },
  });
  const sfu = new WorkerSfuService({ pool, log: silentLog, consentTimeoutMs: options.consentTimeoutMs });
  const rooms = new RoomManager({ mode: 'sfu', maxParticipants: 10, emptyTimeoutMs: 1000 }, silentLog);
  const signaling = new SignalingServer({
    rooms,
    verifier: new TokenVerifier([SFU_TEST_KEY]),
    iceServers: () => [],
    log: silentLog,
    sfu,
    ...(options.messagesPerSecond === undefined ? {} : { messagesPerSecond: options.messagesPerSecond }),
    ...(options.messageBurst === undefined ? {} : { messageBurst: options.messageBurst }),
  });
  const http = await HttpServer.start({
    listen: [{ host: '127.0.0.1', port: 0 }],
    handlers: [],
    onUpgrade: (request, socket, head, url) => {
      if (url.pathname === '/rtc') signaling.handleUpgrade(request, socket, head);
      else socket.destroy();
    },
    log: silentLog,
  });
  return {
    pool,
    sfu,
    signaling,
    http,
    url: `ws://127.0.0.1:${http.addresses[0]?.port}/rtc`,
    async close() {
      await signaling.close();
      await http.close();
      sfu.close();
      await pool.close();
    },
  };
}

/**
 * Relays the server's subscribe offers to the peer and the peer's answers
 * back, until the returned function is called. Start it before joining:
 * the first offer may follow `joined` at once.
 */
export function relaySubscribeNegotiation(client: SignalingTestClient, peer: StdioPeer): () => void {
  client.ws.on('message', (data) => {
    const message = JSON.parse(data.toString()) as Received;
    if (message.type === 'subscribe_offer') peer.send({ type: 'subscribe-offer', sdp: message.sdp });
  });
  const relayed = new Set<PeerMessage>();
  const timer = setInterval(() => {
    for (const message of peer.messages) {
      if (message.type !== 'subscribe-answer' || relayed.has(message)) continue;
      relayed.add(message);
      client.send({ type: 'subscribe_answer', sdp: message.sdp });
    }
  }, 20);
  return () => clearInterval(timer);
}
