/**
 * The control channel between the SFU benchmark (bench/sfu.ts) and our
 * server process (bench/sfu-server.ts): one JSON object per line, commands
 * on the server's stdin, replies on its stdout, matched by `id`.
 */

/** Commands to the server. */
export type ServerCommand =
  /** Answer a publisher's offer: a transport and one producer per track. */
  | { id: number; op: 'publish'; sdp: string }
  /** A subscriber: a transport, a consumer of every producer, and the server's offer. */
  | { id: number; op: 'subscribe' }
  /** The subscriber's answer to that offer; connects its transport. */
  | { id: number; op: 'answer'; subscriber: string; sdp: string }
  /** Closes a subscriber's transport (and its consumers). */
  | { id: number; op: 'unsubscribe'; subscriber: string }
  /** Counters and CPU time. */
  | { id: number; op: 'stats' };

/** Counters the server reports. */
export interface ServerStats {
  /** RTP packets sent to subscribers (consumers' packetsSent, closed ones included). */
  packetsForwarded: number;
  /** CPU time of the process so far, µs (process.cpuUsage, user + system). */
  cpuMicros: number;
  subscribers: number;
  /** Subscriber transports whose SRTP keys are in place. */
  connectedSubscribers: number;
  /** Packets the publisher's transport dropped or could not decrypt. */
  publisherErrors: number;
}

/** Replies from the server. */
export type ServerReply =
  | { id: number; ok: true; sdp?: string; subscriber?: string; stats?: ServerStats }
  | { id: number; ok: false; error: string };
