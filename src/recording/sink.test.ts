/** The file and memory sinks. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RecordingError } from './errors.js';
import { FileSink, MemorySink } from './sink.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-sink-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('FileSink', () => {
  it('appends in order, overwrites in place, and closes once', async () => {
    const path = join(dir, 'a.bin');
    const sink = await FileSink.open(path);
    await sink.write(Uint8Array.of(1, 2, 3));
    await sink.write(Uint8Array.of(4, 5));
    await sink.writeAt(Uint8Array.of(9), 1);
    expect(sink.size).toBe(5);
    // Each write is handed to the OS at once: the bytes are in the file before close.
    expect(Array.from(readFileSync(path))).toEqual([1, 9, 3, 4, 5]);
    await Promise.all([sink.close(), sink.close()]);
  });

  it('refuses an existing file when exclusive, and an unwritable path, with a typed error', async () => {
    const path = join(dir, 'b.bin');
    await (await FileSink.open(path)).close();
    await expect(FileSink.open(path, { exclusive: true })).rejects.toMatchObject({
      code: 'ERR_RECORDING_WRITE_FAILED',
    });
    await expect(FileSink.open(join(dir, 'missing', 'c.bin'))).rejects.toBeInstanceOf(RecordingError);
  });

  it('can fsync every append', async () => {
    const sink = await FileSink.open(join(dir, 'd.bin'), { syncEachWrite: true });
    await sink.write(new Uint8Array(10));
    await sink.close();
    expect(readFileSync(join(dir, 'd.bin')).length).toBe(10);
  });
});

describe('MemorySink', () => {
  it('grows, overwrites, and refuses writes after close', async () => {
    const sink = new MemorySink();
    await sink.write(new Uint8Array(100_000).fill(7));
    await sink.writeAt!(Uint8Array.of(1), 0);
    expect(sink.size).toBe(100_000);
    expect(sink.bytes()[0]).toBe(1);
    await sink.close();
    await expect(sink.write(Uint8Array.of(1))).rejects.toThrow();
    expect(new MemorySink({ seekable: false }).writeAt).toBeUndefined();
  });
});
