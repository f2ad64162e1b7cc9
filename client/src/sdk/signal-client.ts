/**
 * The signaling connection: one WebSocket to `/rtc` at a time, the `join`
 * (and `resume`) handshake, keep-alive pings, and reconnection with backoff
 * when the connection drops. It knows nothing of peer connections; `Room`
 * builds the call on top of it.
 */
import { Backoff, type BackoffOptions } from './backoff.js';
import { TypedEmitter } from './emitter.js';
import {
  type ClientMessage,
  FINAL_CLOSE_CODES,
  type JoinedMessage,
  PROTOCOL_VERSION,
  parseServerMessage,
  type ServerMessage,
} from './protocol.js';

/** The part of the browser's WebSocket the client uses (tests pass a fake). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

/** Opens a WebSocket to `url`. */
export type WebSocketFactory = (url: string) => WebSocketLike;

/** WebSocket.OPEN, spelled out so the client also runs where no WebSocket global exists (tests). */
const OPEN = 1;

/**
 * State of the signaling connection: `connecting` until the first `joined`,
 * `connected` while joined, `reconnecting` after a drop, `closed` at the end
 * (left, refused, or reconnection gave up).
 */
export type SignalState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** Why the connection ended for good. */
export interface CloseInfo {
  /** The WebSocket close code (1000 after leave; 0 when the client gave up reconnecting). */
  code: number;
  reason: string;
  /** The server's `error` message that preceded the close, if any. */
  error?: { code: string; message: string };
}

/** Events of `SignalClient`. */
export type SignalClientEvents = {
  /** A `joined` (first join, resume, or a fresh join after the session was lost). */
  joined: [message: JoinedMessage];
  /** Every other server message, in order. */
  message: [message: ServerMessage];
  state: [state: SignalState];
  closed: [info: CloseInfo];
};

/** Options of `SignalClient`. */
export interface SignalClientOptions {
  /** `ws(s)://host/rtc`. */
  url: string;
  /** Access token for `join`. */
  token: string;
  /** The room meant: the server refuses (wrong_room) a token for another one. */
  room?: string;
  /** Participant metadata sent with `join`. */
  metadata?: unknown;
  /** Reconnection delays. */
  backoff?: Partial<BackoffOptions>;
  /** Stop reconnecting this long after a drop, ms (default 60 s). */
  reconnectTimeoutMs?: number;
  /** Defaults to the browser's WebSocket. */
  createWebSocket?: WebSocketFactory;
}

/** Messages kept while reconnecting; past this the oldest are dropped. */
const MAX_QUEUED_MESSAGES = 256;

/** The signaling connection of one participant. */
export class SignalClient extends TypedEmitter<SignalClientEvents> {
  private readonly options: SignalClientOptions;
  private readonly createWebSocket: WebSocketFactory;
  private readonly backoff: Backoff;
  private socket: WebSocketLike | undefined;
  private currentState: SignalState = 'connecting';
  private sessionId: string | undefined;
  private resumeGraceMs = 0;
  private pingIntervalMs = 0;
  private droppedAt = 0;
  private lastReceivedAt = 0;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly queue: ClientMessage[] = [];
  /** The last `error` from the server, reported with the close that follows it. */
  private lastError: { code: string; message: string } | undefined;
  /** Round-trip time measured by the last `pong`, ms. */
  roundTripMs: number | undefined;

  constructor(options: SignalClientOptions) {
    super();
    this.options = options;
    this.backoff = new Backoff(options.backoff);
    this.createWebSocket =
      options.createWebSocket ?? ((url) => new WebSocket(url) as unknown as WebSocketLike);
  }

  /** The connection's state. */
  get state(): SignalState {
    return this.currentState;
  }

  /**
   * Connects and joins. Resolves with the first `joined`; rejects when the
   * server refuses the join or cannot be reached (no reconnection happens
   * before a first successful join).
   */
  connect(): Promise<JoinedMessage> {
    return new Promise((resolve, reject) => {
      const offJoined = this.once('joined', (joined) => {
        offClosed();
        resolve(joined);
      });
      const offClosed = this.once('closed', (info) => {
        offJoined();
        const detail = info.error ? `${info.error.code}: ${info.error.message}` : `close ${info.code}`;
        reject(new Error(`could not join: ${detail}${info.reason ? ` (${info.reason})` : ''}`));
      });
      this.open();
    });
  }

  /**
   * Sends a message. While reconnecting, messages are queued and sent after
   * the session resumes. Returns false once the client is closed.
   */
  send(message: ClientMessage): boolean {
    if (this.currentState === 'closed') return false;
    if (this.currentState === 'connected' && this.socket?.readyState === OPEN) {
      this.socket.send(JSON.stringify(message));
      return true;
    }
    this.queue.push(message);
    if (this.queue.length > MAX_QUEUED_MESSAGES) this.queue.shift();
    return true;
  }

  /** Closes for good (after `leave`, or to abandon the call). Idempotent. */
  close(code = 1000, reason = ''): void {
    if (this.currentState === 'closed') return;
    const socket = this.socket;
    this.detach();
    if (socket && socket.readyState <= OPEN) socket.close(code, reason);
    this.finish({ code, reason });
  }

  private open(): void {
    const socket = this.createWebSocket(this.options.url);
    this.socket = socket;
    socket.onopen = () => {
      const resume =
        this.sessionId !== undefined && Date.now() - this.droppedAt < this.resumeGraceMs
          ? this.sessionId
          : undefined;
      const join: ClientMessage = { type: 'join', v: PROTOCOL_VERSION, token: this.options.token };
      if (this.options.room !== undefined) join.room = this.options.room;
      if (resume !== undefined) join.resume = resume;
      if (this.options.metadata !== undefined) join.metadata = this.options.metadata;
      socket.send(JSON.stringify(join));
    };
    socket.onmessage = (event) => {
      if (typeof event.data !== 'string') return;
      const message = parseServerMessage(event.data);
      if (message) this.receive(message);
    };
    socket.onclose = (event) => this.dropped(event.code, event.reason);
    // An error is always followed by a close, which is where it is handled.
    socket.onerror = () => {};
  }

  private receive(message: ServerMessage): void {
    this.lastReceivedAt = Date.now();
    switch (message.type) {
      case 'joined':
        this.joined(message);
        return;
      case 'pong':
        if (typeof message.t === 'number') this.roundTripMs = Date.now() - message.t;
        return;
      case 'error':
        this.lastError = { code: message.code, message: message.message };
        // A refused resume is followed by close 4001; the next attempt joins afresh.
        if (message.code === 'session_not_found') this.sessionId = undefined;
        break;
    }
    this.emit('message', message);
  }

  private joined(message: JoinedMessage): void {
    const resumed = message.resumed && message.sessionId === this.sessionId;
    this.sessionId = message.sessionId;
    this.resumeGraceMs = message.resumeGraceMs;
    this.pingIntervalMs = message.pingIntervalMs;
    this.lastError = undefined;
    this.backoff.reset();
    this.clearTimers();
    if (this.pingIntervalMs > 0) this.pingTimer = setInterval(() => this.ping(), this.pingIntervalMs);
    // Messages queued for a session that was lost name participants of that session: drop them.
    const queued = resumed ? this.queue.splice(0) : [];
    this.queue.length = 0;
    this.setState('connected');
    this.emit('joined', message);
    for (const queuedMessage of queued) this.send(queuedMessage);
  }

  /** Sends `ping`, and treats a connection that has been silent for two intervals as dead. */
  private ping(): void {
    if (Date.now() - this.lastReceivedAt > 2 * this.pingIntervalMs + 1_000) {
      const socket = this.socket;
      this.detach();
      socket?.close(4000, 'no pong');
      this.dropped(4000, 'no pong');
      return;
    }
    this.send({ type: 'ping', t: Date.now() });
  }

  private dropped(code: number, reason: string): void {
    this.detach();
    if (this.currentState === 'closed') return;
    const error = this.lastError;
    this.lastError = undefined;
    const resumeRefused = error?.code === 'session_not_found';
    const final = FINAL_CLOSE_CODES.has(code) && !resumeRefused;
    // Before the first `joined` there is nothing to resume: the caller of connect() hears of the failure.
    if (final || this.currentState === 'connecting') {
      this.finish({ code, reason, ...(error ? { error } : {}) });
      return;
    }
    if (this.currentState !== 'reconnecting') {
      this.droppedAt = Date.now();
      this.setState('reconnecting');
    }
    const reconnectTimeoutMs = this.options.reconnectTimeoutMs ?? 60_000;
    const delay = resumeRefused ? 0 : this.backoff.next();
    if (Date.now() + delay - this.droppedAt > reconnectTimeoutMs) {
      this.finish({ code: 0, reason: 'gave up reconnecting' });
      return;
    }
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.open();
    }, delay);
  }

  /** Detaches the current socket's handlers so a late event cannot act twice. */
  private detach(): void {
    this.clearTimers();
    const socket = this.socket;
    if (!socket) return;
    socket.onopen = null;
    socket.onmessage = null;
    socket.onclose = null;
    socket.onerror = null;
    this.socket = undefined;
  }

  private clearTimers(): void {
    if (this.pingTimer !== undefined) clearInterval(this.pingTimer);
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    this.pingTimer = undefined;
    this.reconnectTimer = undefined;
  }

  private finish(info: CloseInfo): void {
    this.clearTimers();
    this.queue.length = 0;
    this.setState('closed');
    this.emit('closed', info);
  }

  private setState(state: SignalState): void {
    if (state === this.currentState) return;
    this.currentState = state;
    this.emit('state', state);
  }
}
