/**
 * A WebSocket client for signaling tests: sends protocol messages and waits
 * for the next message of a type, or for the close.
 */
import WebSocket from 'ws';

/** A message as received. */
export type Received = { type: string; [key: string]: unknown };

/** A test client of the /rtc endpoint. */
export class SignalingTestClient {
  readonly ws: WebSocket;
  readonly received: Received[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly waiters: { type: string; resolve: (message: Received) => void }[] = [];

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as Received;
      this.received.push(message);
      this.dispatch();
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  /** Connects to ws://HOST:PORT/rtc. */
  static async connect(url: string): Promise<SignalingTestClient> {
    const ws = new WebSocket(url);
    ws.on('error', () => {});
    const client = new SignalingTestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_request, response) =>
        reject(new Error(`HTTP ${response.statusCode}`)),
      );
      ws.once('close', () => reject(new Error('closed before open')));
    });
    return client;
  }

  /** Sends a value as JSON (or a string as is). */
  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Joins and resolves with `joined` (or rejects with the error message). */
  async join(token: string, extra: Record<string, unknown> = {}): Promise<Received> {
    this.send({ type: 'join', v: 1, token, ...extra });
    const reply = await this.next(['joined', 'error']);
    if (reply.type === 'error') throw Object.assign(new Error(String(reply.message)), { code: reply.code });
    return reply;
  }

  /** The next message (not yet taken) of one of the types, waiting up to `ms`. */
  next(types: string | string[], ms = 3000): Promise<Received> {
    const wanted = Array.isArray(types) ? types : [types];
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `no ${wanted.join('/')} within ${ms} ms; got ${JSON.stringify(this.received.map((m) => m.type))}`,
            ),
          ),
        ms,
      );
      this.waiters.push({
        type: wanted.join('|'),
        resolve: (message) => {
          clearTimeout(timer);
          resolve(message);
        },
      });
      this.dispatch();
    });
  }

  /** Messages of a type received so far. */
  all(type: string): Received[] {
    return this.received.filter((message) => message.type === type);
  }

  private dispatch(): void {
    for (let w = 0; w < this.waiters.length; w++) {
      const waiter = this.waiters[w];
      const types = waiter.type.split('|');
      const index = this.received.findIndex((message) => !taken.has(message) && types.includes(message.type));
      if (index === -1) continue;
      taken.add(this.received[index]);
      this.waiters.splice(w, 1);
      w--;
      waiter.resolve(this.received[index]);
    }
  }

  close(): void {
    this.ws.close();
  }
}

/** Messages already handed to a waiter. */
const taken = new WeakSet<Received>();
