/**
 * Where a recording's bytes go. The writer appends in order and, when the
 * sink can seek, patches a few bytes of the header on close (Segment size,
 * Duration, SeekHead). A file sink hands every write to the OS as soon as it
 * is made (no user-space buffering), so what was written survives a crash or
 * SIGKILL of the process; it does not fsync unless asked, so a power loss may
 * still lose what the OS had not flushed.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { RecordingError } from './errors.js';

/** A byte sink for a recording. */
export interface RecordingSink {
  /** Appends bytes at the end; resolves once they are handed to the OS (or stored). */
  write(chunk: Uint8Array): Promise<void>;
  /** Overwrites bytes at an absolute offset; present only when the sink can seek. */
  writeAt?(chunk: Uint8Array, position: number): Promise<void>;
  /** Flushes and releases the sink. Idempotent. */
  close(): Promise<void>;
}

/** Options of FileSink.open. */
export interface FileSinkOptions {
  /** Fail when the file exists (open flag "wx") instead of truncating it. Default false. */
  exclusive?: boolean;
  /** fsync after each append, for power-loss safety at a cost in throughput. Default false. */
  syncEachWrite?: boolean;
}

/** A file written through a FileHandle: appends at a tracked offset, seekable for the final patches. */
export class FileSink implements RecordingSink {
  /** The path given to open(). */
  readonly path: string;
  readonly #handle: FileHandle;
  readonly #syncEachWrite: boolean;
  #position = 0;
  #closing: Promise<void> | undefined;

  private constructor(path: string, handle: FileHandle, syncEachWrite: boolean) {
    this.path = path;
    this.#handle = handle;
    this.#syncEachWrite = syncEachWrite;
  }

  /** Creates (or truncates) the file. Rejects with ERR_RECORDING_WRITE_FAILED when it cannot be opened. */
  static async open(path: string, options: FileSinkOptions = {}): Promise<FileSink> {
    try {
      const handle = await open(path, options.exclusive ? 'wx' : 'w');
      return new FileSink(path, handle, options.syncEachWrite ?? false);
    } catch (error) {
      throw new RecordingError(
        'ERR_RECORDING_WRITE_FAILED',
        `cannot open ${path}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }

  /** Bytes appended so far. */
  get size(): number {
    return this.#position;
  }

  async write(chunk: Uint8Array): Promise<void> {
    const position = this.#position;
    this.#position += chunk.length;
    await this.#writeFully(chunk, position);
    if (this.#syncEachWrite) await this.#handle.datasync();
  }

  async writeAt(chunk: Uint8Array, position: number): Promise<void> {
    await this.#writeFully(chunk, position);
  }

  close(): Promise<void> {
    this.#closing ??= this.#handle.close();
    return this.#closing;
  }

  async #writeFully(chunk: Uint8Array, position: number): Promise<void> {
    let done = 0;
    while (done < chunk.length) {
      const { bytesWritten } = await this.#handle.write(chunk, done, chunk.length - done, position + done);
      if (bytesWritten <= 0) throw new Error(`short write at offset ${position + done}`);
      done += bytesWritten;
    }
  }
}

/** Options of MemorySink. */
export interface MemorySinkOptions {
  /** Offer writeAt (default true); false behaves like a pipe or socket. */
  seekable?: boolean;
}

/** An in-memory sink, for tests and for recordings that are uploaded whole. */
export class MemorySink implements RecordingSink {
  #buffer = new Uint8Array(64 * 1024);
  #length = 0;
  /** Present only when the sink was created seekable. */
  readonly writeAt?: (chunk: Uint8Array, position: number) => Promise<void>;
  /** True once close() was called. */
  closed = false;

  constructor(options: MemorySinkOptions = {}) {
    if (options.seekable ?? true) this.writeAt = (chunk, position) => this.#put(chunk, position);
  }

  /** Bytes written so far. */
  get size(): number {
    return this.#length;
  }

  /** A copy of everything written. */
  bytes(): Uint8Array {
    return this.#buffer.slice(0, this.#length);
  }

  write(chunk: Uint8Array): Promise<void> {
    return this.#put(chunk, this.#length);
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  #put(chunk: Uint8Array, position: number): Promise<void> {
    if (this.closed) return Promise.reject(new Error('write to a closed MemorySink'));
    const end = position + chunk.length;
    if (end > this.#buffer.length) {
      const grown = new Uint8Array(Math.max(end, this.#buffer.length * 2));
      grown.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = grown;
    }
    this.#buffer.set(chunk, position);
    this.#length = Math.max(this.#length, end);
    return Promise.resolve();
  }
}
