/**
 * The parent's handle on one forked load process (bench/turn-load-worker.ts,
 * bench/signaling-load-worker.ts): typed commands in, typed reports out, each
 * wait bounded by a timeout. A report `{ type: 'error', message }` from the
 * process rejects the wait.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { trackChild, withFileDescriptorLimit } from './server-process.js';

/** What every load process may send instead of the report awaited. */
export interface FailureReport {
  type: 'error';
  message: string;
}

/** Options of a load process. */
export interface LoadProcessOptions {
  /**
   * Raise the process's open-file limit to this (through `sh -c 'ulimit -n'`)
   * before Node starts, for processes that hold thousands of sockets.
   */
  fileDescriptorLimit?: number;
}

/** A running load process: `Command`s to it, `Report`s from it. */
export class LoadProcess<Command extends { type: string }, Report extends { type: string }> {
  private readonly child: ChildProcess;
  private readonly inbox: (Report | FailureReport)[] = [];
  private waiter: (() => void) | undefined;
  private exitCode: number | null | undefined;
  private readonly gone: Promise<void>;

  constructor(
    readonly index: number,
    workerFile: string,
    options: LoadProcessOptions = {},
  ) {
    const stdio = ['ignore', 'inherit', 'inherit', 'ipc'] as const;
    if (options.fileDescriptorLimit === undefined) {
      this.child = fork(workerFile, [], { stdio: [...stdio] });
    } else {
      // spawn with an 'ipc' slot gives the child the same channel as fork.
      const [command, args] = withFileDescriptorLimit(
        process.execPath,
        [workerFile],
        options.fileDescriptorLimit,
      );
      this.child = spawn(command, args, { stdio: [...stdio] });
    }
    trackChild(this.child);
    this.child.on('message', (message: Report | FailureReport) => {
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

  /** Its process id (-1 when it could not be started). */
  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Sends a command. */
  send(message: Command): void {
    this.child.send(message);
  }

  /** Waits for the next report, which must be of `type`. */
  async next<T extends Report['type']>(type: T, timeoutMs: number): Promise<Extract<Report, { type: T }>> {
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
    if (message.type === 'error') {
      throw new Error(`load process ${this.index}: ${(message as FailureReport).message}`);
    }
    if (message.type !== type)
      throw new Error(`load process ${this.index}: '${message.type}' instead of '${type}'`);
    return message as Extract<Report, { type: T }>;
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
