/**
 * Running external programs from tests: short runs with a hard timeout
 * (`runProcess`), and long-running servers with a readiness check and a
 * guaranteed kill (`startProcess`).
 *
 * Every child is also killed when the test worker exits, whatever happened,
 * so a failed `beforeAll` cannot leave a server holding ports.
 */
import { type ChildProcess, spawn } from 'node:child_process';

/** Output kept per stream; past it the oldest text is dropped (a chatty server must not eat memory). */
const MAX_OUTPUT_CHARS = 4 * 1024 * 1024;

/** Children still running, killed on worker exit. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Appends to a bounded text buffer. */
class OutputBuffer {
  text = '';
  append(chunk: string): void {
    this.text += chunk;
    if (this.text.length > MAX_OUTPUT_CHARS) this.text = this.text.slice(-MAX_OUTPUT_CHARS / 2);
  }
}

/** What a finished `runProcess` saw. */
export interface ProcessResult {
  /** The command line, shell-quoted, for messages. */
  commandLine: string;
  /** Exit code, or null when killed by a signal. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when the timeout killed it. */
  timedOut: boolean;
  durationMs: number;
}

/** Options of `runProcess`. */
export interface RunOptions {
  /** Kill (SIGKILL) after this long; the result then has `timedOut`. */
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Quotes a command line for display. */
export function formatCommandLine(command: string, args: readonly string[]): string {
  return [command, ...args].map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word}'`)).join(' ');
}

/**
 * Runs a program to completion and collects its output. Never rejects for a
 * non-zero exit or a timeout (the caller asserts on the result); rejects only
 * when the program cannot be started at all (ENOENT…).
 */
export function runProcess(
  command: string,
  args: readonly string[],
  options: RunOptions,
): Promise<ProcessResult> {
  const started = Date.now();
  const commandLine = formatCommandLine(command, args);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env,
      cwd: options.cwd,
    });
    live.add(child);
    const stdout = new OutputBuffer();
    const stderr = new OutputBuffer();
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => stdout.append(chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.append(chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      live.delete(child);
      reject(new Error(`cannot run ${commandLine}: ${error.message}`, { cause: error }));
    });
    // 'close' (not 'exit') so that all output has been read.
    child.once('close', (exitCode, signal) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({
        commandLine,
        exitCode,
        signal,
        stdout: stdout.text,
        stderr: stderr.text,
        timedOut,
        durationMs: Date.now() - started,
      });
    });
  });
}

/** The last `lines` lines of a text. */
export function tail(text: string, lines = 40): string {
  return text.split('\n').slice(-lines).join('\n');
}

/** A one-paragraph account of a run, for assertion messages. */
export function describeResult(result: ProcessResult, lines = 40): string {
  const ending = result.timedOut
    ? `killed after timeout (${result.durationMs} ms)`
    : `exit ${result.exitCode ?? result.signal} after ${result.durationMs} ms`;
  const parts = [`$ ${result.commandLine}`, `(${ending})`];
  if (result.stdout) parts.push(`--- stdout (tail) ---\n${tail(result.stdout, lines)}`);
  if (result.stderr) parts.push(`--- stderr (tail) ---\n${tail(result.stderr, lines)}`);
  return parts.join('\n');
}

/** Options of `startProcess`. */
export interface StartOptions {
  /** Ready when a line of stdout or stderr matches. */
  readyLine?: RegExp;
  /** Ready when this resolves true; polled every `probeIntervalMs` until the deadline. */
  readyProbe?: () => Promise<boolean>;
  /** Interval between probes, ms. Default 100. */
  probeIntervalMs?: number;
  /** Give up (kill it and reject) after this long. Default 10 000 ms. */
  readyTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** A long-running program started by `startProcess`. */
export interface StartedProcess {
  readonly commandLine: string;
  readonly pid: number;
  /** Everything it printed so far, stdout and stderr interleaved. */
  output(): string;
  /** True once it has exited. */
  readonly exited: boolean;
  /** SIGTERM, then SIGKILL after `graceMs` (default 2000); resolves once it is gone. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts a server program and resolves once it is ready (by log line, by
 * probe, or both must hold when both are given). Rejects, after killing it,
 * when it exits first or is not ready in time; the message carries its output.
 * Call `stop()` in `afterAll`; the worker's exit kills it regardless.
 */
export async function startProcess(
  command: string,
  args: readonly string[],
  options: StartOptions = {},
): Promise<StartedProcess> {
  const commandLine = formatCommandLine(command, args);
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env,
    cwd: options.cwd,
  });
  live.add(child);
  const output = new OutputBuffer();
  let exited = false;
  let lineSeen = options.readyLine === undefined;
  let pending = '';
  const onData = (chunk: string) => {
    output.append(chunk);
    if (lineSeen) return;
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    if (lines.some((line) => options.readyLine!.test(line))) lineSeen = true;
  };
  child.stdout!.setEncoding('utf8').on('data', onData);
  child.stderr!.setEncoding('utf8').on('data', onData);
  const gone = new Promise<void>((resolve) => {
    child.once('close', () => {
      exited = true;
      live.delete(child);
      resolve();
    });
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));

  let stopping: Promise<void> | undefined;
  const handle: StartedProcess = {
    commandLine,
    pid: child.pid ?? -1,
    output: () => output.text,
    get exited() {
      return exited;
    },
    stop(graceMs = 2000) {
      stopping ??= (async () => {
        if (exited) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await gone;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 10_000);
  const interval = options.probeIntervalMs ?? 100;
  let probeOk = options.readyProbe === undefined;
  const failure = (why: string) =>
    new Error(`${why}: ${commandLine}\n--- output (tail) ---\n${tail(output.text, 60)}`);
  const started = await Promise.race([spawnError, new Promise<void>((resolve) => setImmediate(resolve))]);
  if (started instanceof Error) {
    live.delete(child);
    throw new Error(`cannot start ${commandLine}: ${started.message}`, { cause: started });
  }
  while (!(lineSeen && probeOk)) {
    if (exited) throw failure('exited before it was ready');
    if (Date.now() > deadline) {
      await handle.stop();
      throw failure(`not ready after ${options.readyTimeoutMs ?? 10_000} ms`);
    }
    if (!probeOk && lineSeen) probeOk = await options.readyProbe!().catch(() => false);
    if (!(lineSeen && probeOk)) await new Promise((resolve) => setTimeout(resolve, interval));
  }
  return handle;
}
