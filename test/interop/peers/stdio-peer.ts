/**
 * Runs one of the peer scripts beside this file (a real WebRTC library in its
 * own process) and talks to it in JSON lines over stdio.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** One message from a peer script. */
export type PeerMessage = { type: string } & Record<string, unknown>;

/** A peer script running in a child process. */
export class StdioPeer {
  readonly #child: ChildProcess;
  readonly #messages: PeerMessage[] = [];
  readonly #waiters = new Set<() => void>();
  readonly #stderr: string[] = [];
  #exited = false;
  /** The last message of each type. */
  readonly last = new Map<string, PeerMessage>();

  constructor(script: string, options: Record<string, unknown>) {
    const path = fileURLToPath(new URL(script, import.meta.url));
    this.#child = spawn(process.execPath, [path, JSON.stringify(options)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const child = this.#child;
    if (!child.stdout || !child.stderr) throw new Error('peer without stdio');
    // A message sent while the peer exits is simply lost (EPIPE).
    child.stdin?.on('error', () => {});
    createInterface({ input: child.stdout }).on('line', (line) => {
      let message: PeerMessage;
      try {
        message = JSON.parse(line) as PeerMessage;
      } catch {
        this.#stderr.push(`(stdout) ${line}`);
        return;
      }
      this.#messages.push(message);
      this.last.set(message.type, message);
      for (const wake of this.#waiters) wake();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (this.#stderr.length < 200) this.#stderr.push(chunk.toString());
    });
    child.on('exit', () => {
      this.#exited = true;
      for (const wake of this.#waiters) wake();
    });
  }

  /** Sends one message to the peer. */
  send(message: PeerMessage): void {
    if (this.#exited) return;
    this.#child.stdin?.write(`${JSON.stringify(message)}\n`);
  }

  /** Everything the peer printed on stderr (native library logs), for failure messages. */
  get stderr(): string {
    return this.#stderr.join('');
  }

  /** All messages so far. */
  get messages(): readonly PeerMessage[] {
    return this.#messages;
  }

  /**
   * Resolves with the first message (already received or to come) that
   * satisfies `predicate`; rejects on timeout or when the peer exits first.
   */
  waitFor(
    predicate: (message: PeerMessage) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<PeerMessage> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.#messages.find(predicate);
        if (found) {
          done();
          resolve(found);
          return true;
        }
        if (this.#exited) {
          done();
          reject(new Error(`peer exited before ${what}; stderr:\n${this.stderr.slice(-2000)}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        const tail = this.#messages.slice(-5).map((m) => JSON.stringify(m).slice(0, 400));
        reject(new Error(`timed out waiting for ${what}; last messages:\n${tail.join('\n')}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
      };
      const wake = (): void => {
        check();
      };
      if (!check()) this.#waiters.add(wake);
    });
  }

  /** Freezes the peer process (SIGSTOP): to the network it falls silent, as a peer whose network dropped. */
  freeze(): void {
    this.#child.kill('SIGSTOP');
  }

  /** Lets a frozen peer run again (SIGCONT). */
  thaw(): void {
    this.#child.kill('SIGCONT');
  }

  /** Asks the peer to stop, and kills it if it has not exited in 3 s. */
  async stop(): Promise<void> {
    if (this.#exited) return;
    this.thaw();
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    this.send({ type: 'stop' });
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }
}
