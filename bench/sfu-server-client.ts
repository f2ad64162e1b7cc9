/**
 * Our SFU server process (bench/sfu-server.ts) as the SFU benchmarks drive
 * it: spawned with piped stdio, one JSON command per line and the replies
 * matched by id (bench/sfu-protocol.ts), its stderr kept for error messages.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { trackChild } from './server-process.js';
import type { RecordingSummary, ServerCommand, ServerReply, ServerStats } from './sfu-protocol.js';

const SERVER_FILE = fileURLToPath(new URL('./sfu-server.js', import.meta.url));

/** A command before it is numbered. */
type CommandWithoutId = ServerCommand extends infer C
  ? C extends ServerCommand
    ? Omit<C, 'id'>
    : never
  : never;

/** Our server process, driven over its stdio. */
export class OurSfuServer {
  readonly name = 'ours';
  readonly clientAddress = '127.0.0.1';
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, (reply: ServerReply) => void>();
  #nextId = 1;
  #output = '';
  #exited = false;

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.once('exit', () => {
      this.#exited = true;
      for (const resolve of this.#pending.values()) resolve({ id: -1, ok: false, error: 'server exited' });
      this.#pending.clear();
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.#output = (this.#output + chunk).slice(-20_000);
    });
  }

  /** Spawns the server and waits for its `ready` line. */
  static async start(): Promise<OurSfuServer> {
    const child = spawn(process.execPath, [SERVER_FILE], { stdio: ['pipe', 'pipe', 'pipe'] });
    trackChild(child);
    const server = new OurSfuServer(child);
    const lines = createInterface({ input: child.stdout! });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`our SFU server not ready:\n${server.#output}`)),
        15_000,
      );
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`our SFU server exited (${code}):\n${server.#output}`));
      });
      lines.on('line', (line) => {
        if (line.startsWith('ready ')) {
          clearTimeout(timer);
          resolve();
          return;
        }
        try {
          const reply = JSON.parse(line) as ServerReply;
          server.#pending.get(reply.id)?.(reply);
          server.#pending.delete(reply.id);
        } catch {
          server.#output = (server.#output + line).slice(-20_000);
        }
      });
    });
    return server;
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  get exited(): boolean {
    return this.#exited;
  }

  /** The tail of the server's stderr. */
  output(): string {
    return this.#output;
  }

  async #call(command: CommandWithoutId): Promise<Extract<ServerReply, { ok: true }>> {
    const id = this.#nextId++;
    const reply = await new Promise<ServerReply>((resolve) => {
      this.#pending.set(id, resolve);
      this.#child.stdin!.write(`${JSON.stringify({ ...command, id })}\n`);
    });
    if (!reply.ok) throw new Error(`our SFU server: ${reply.error}`);
    return reply;
  }

  async publish(offer: string): Promise<string> {
    return (await this.#call({ op: 'publish', sdp: offer })).sdp!;
  }

  async subscribe(): Promise<{ subscriber: string; sdp: string }> {
    const reply = await this.#call({ op: 'subscribe' });
    return { subscriber: reply.subscriber!, sdp: reply.sdp! };
  }

  async answer(subscriber: string, sdp: string): Promise<void> {
    await this.#call({ op: 'answer', subscriber, sdp });
  }

  async unsubscribe(subscriber: string): Promise<void> {
    await this.#call({ op: 'unsubscribe', subscriber });
  }

  /** Starts one recorder per publisher into `directory`; resolves with their number. */
  async startRecording(directory: string): Promise<number> {
    return (await this.#call({ op: 'record.start', directory })).recorders!;
  }

  /** Stops every recorder; resolves once their files are finished. */
  async stopRecording(): Promise<RecordingSummary[]> {
    return (await this.#call({ op: 'record.stop' })).recordings!;
  }

  async stats(): Promise<ServerStats> {
    return (await this.#call({ op: 'stats' })).stats!;
  }

  /** Closes the server's stdin (its signal to finish and exit); SIGKILL after 3 s. */
  async stop(): Promise<void> {
    if (this.#exited) return;
    const gone = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.stdin!.end();
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 3000);
    await gone;
    clearTimeout(timer);
  }
}
