/**
 * The parent's handle on one forked load process (bench/turn-load-worker.ts):
 * typed commands in, typed reports out, each wait bounded by a timeout.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { trackChild } from './server-process.js';
import type { ParentMessage, ReadyReport, ResultReport, WorkerMessage } from './turn-load-protocol.js';

const WORKER_FILE = fileURLToPath(new URL('./turn-load-worker.js', import.meta.url));

/** A running load process. */
export class LoadProcess {
  private readonly child: ChildProcess;
  private readonly inbox: WorkerMessage[] = [];
  private waiter: (() => void) | undefined;
  private exitCode: number | null | undefined;
  private readonly gone: Promise<void>;

  constructor(readonly index: number) {
    this.child = fork(WORKER_FILE, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    trackChild(this.child);
    this.child.on('message', (message: WorkerMessage) => {
      this.inbox.push(message);
      this.waiter?.();
    });
    this.gone = new Promise((resolve) => {
      this.child.once('exit', (code) => {
        this.exitCode = code;
        this.waiter?.();
        resolve();
      });
    });
  }

  /** Sends a command. */
  send(message: ParentMessage): void {
    this.child.send(message);
  }

  /** Waits for the next report, which must be of `type`. */
  private async next<T extends 'ready' | 'result'>(
    type: T,
    timeoutMs: number,
  ): Promise<Extract<WorkerMessage, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    while (this.inbox.length === 0) {
      if (this.exitCode !== undefined) {
        throw new Error(`load process ${this.index} exited (code ${this.exitCode}) before '${type}'`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`load process ${this.index}: no '${type}' after ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    const message = this.inbox.shift()!;
    if (message.type === 'error') throw new Error(`load process ${this.index}: ${message.message}`);
    if (message.type !== type)
      throw new Error(`load process ${this.index}: '${message.type}' instead of '${type}'`);
    return message as Extract<WorkerMessage, { type: T }>;
  }

  /** Waits until its pairs are set up. */
  ready(timeoutMs: number): Promise<ReadyReport> {
    return this.next('ready', timeoutMs);
  }

  /** Waits for the figures of the measured window. */
  result(timeoutMs: number): Promise<ResultReport> {
    return this.next('result', timeoutMs);
  }

  /** Waits for it to exit by itself, then kills it if it has not within `graceMs`. */
  async finish(graceMs = 3000): Promise<void> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.gone;
    clearTimeout(timer);
  }

  /** Kills it now. */
  kill(): void {
    this.child.kill('SIGKILL');
  }
}
