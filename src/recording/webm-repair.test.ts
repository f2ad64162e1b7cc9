/**
 * repairWebm: a file left by a writer that never closed (as after SIGKILL),
 * cut at every kind of place, becomes a finished file with Cues, Duration,
 * Segment size and SeekHead. FFmpeg's view of repaired files is checked in
 * test/interop/recording-crash.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { vp8InterFrame, vp8KeyFrame } from '../../test/fixtures/recording/codec-vectors.js';
import { EBML_UNKNOWN_SIZE } from './ebml.js';
import { MatroskaId } from './matroska-ids.js';
import { MemorySink } from './sink.js';
import { readWebm } from './webm-reader.js';
import { repairWebm } from './webm-repair.js';
import { WebmWriter, type WrittenCluster } from './webm-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-repair-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const OPUS_PACKET = Uint8Array.of(0xf8, 0xff, 0xfe);

/** The bytes a writer had handed to its sink after 4 s of A/V, without close, and its clusters. */
async function crashedRecording(): Promise<{ bytes: Uint8Array; clusters: WrittenCluster[] }> {
  const sink = new MemorySink();
  const clusters: WrittenCluster[] = [];
  const writer = new WebmWriter(sink, {
    video: { codec: 'vp8', width: 320, height: 240 },
    audio: { codec: 'opus', channels: 2 },
    onClusterWritten: (cluster) => clusters.push(cluster),
  });
  for (let i = 0; i < 120; i++) {
    const ms = Math.round((i * 1000) / 30);
    for (let a = Math.ceil((ms - 33) / 20) * 20; a < ms; a += 20)
      if (a >= 0) writer.writeFrame('audio', a, OPUS_PACKET);
    writer.writeFrame('video', ms, i % 30 === 0 ? vp8KeyFrame() : vp8InterFrame(), i % 30 === 0);
  }
  await writer.flush();
  return { bytes: sink.bytes(), clusters };
}

describe('repairWebm', () => {
  it('finishes a file cut inside a cluster: drops the partial cluster, adds Cues, Duration, size and SeekHead', async () => {
    const { bytes, clusters } = await crashedRecording();
    const last = clusters[clusters.length - 1];
    const path = join(dir, 'cut.webm');
    writeFileSync(path, bytes.subarray(0, last.offset + Math.floor(last.size / 2)));
    const result = await repairWebm(path);
    expect(result).toMatchObject({
      repaired: true,
      clusters: clusters.length - 1,
      droppedBytes: Math.floor(last.size / 2),
      cues: clusters.length - 1,
      finalized: true,
    });
    const repaired = new Uint8Array(readFileSync(path));
    expect(repaired.length).toBe(result.size);
    const structure = readWebm(repaired);
    expect(structure.truncatedAt).toBeUndefined();
    expect(structure.segmentSize).toBe(repaired.length - structure.segmentDataOffset!);
    expect(structure.cues.map((cue) => cue.time)).toEqual(clusters.slice(0, -1).map((c) => c.timestampMs));
    expect(structure.seekEntries.map((entry) => entry.id)).toEqual([
      MatroskaId.Info,
      MatroskaId.Tracks,
      MatroskaId.Cues,
    ]);
    // The last kept video frame is at 2967 ms; the one before it at 2933 ms.
    expect(structure.duration).toBe(result.duration);
    expect(result.duration).toBeGreaterThanOrEqual(2967);
  });

  it('finishes a file cut exactly at a cluster boundary without dropping anything', async () => {
    const { bytes, clusters } = await crashedRecording();
    const path = join(dir, 'boundary.webm');
    writeFileSync(path, bytes);
    const result = await repairWebm(path);
    expect(result).toMatchObject({
      repaired: true,
      clusters: clusters.length,
      droppedBytes: 0,
      finalized: true,
    });
  });

  it('leaves a finished file alone, and is idempotent', async () => {
    const { bytes } = await crashedRecording();
    const path = join(dir, 'twice.webm');
    writeFileSync(path, bytes);
    await repairWebm(path);
    const once = readFileSync(path);
    expect((await repairWebm(path)).repaired).toBe(false);
    expect(readFileSync(path).equals(once)).toBe(true);
  });

  it('refuses files that are not Matroska or end before their tracks', async () => {
    const path = join(dir, 'junk.webm');
    writeFileSync(path, Buffer.from('not a webm file at all'));
    await expect(repairWebm(path)).rejects.toMatchObject({ code: 'ERR_RECORDING_UNSUPPORTED' });
    const { bytes } = await crashedRecording();
    writeFileSync(path, bytes.subarray(0, 60));
    await expect(repairWebm(path)).rejects.toMatchObject({ code: 'ERR_RECORDING_UNSUPPORTED' });
    await expect(repairWebm(join(dir, 'absent.webm'))).rejects.toMatchObject({
      code: 'ERR_RECORDING_WRITE_FAILED',
    });
  });

  it('turns any cut after the tracks into a whole file holding exactly the whole clusters', async () => {
    const { bytes, clusters } = await crashedRecording();
    const path = join(dir, 'property.webm');
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: clusters[0].offset, max: bytes.length }), async (cut) => {
        writeFileSync(path, bytes);
        truncateSync(path, cut);
        const result = await repairWebm(path);
        const structure = readWebm(new Uint8Array(readFileSync(path)));
        const whole = clusters.filter((cluster) => cluster.offset + cluster.size <= cut);
        expect(structure.truncatedAt).toBeUndefined();
        expect(structure.segmentSize).not.toBe(EBML_UNKNOWN_SIZE);
        expect(structure.clusters.map((cluster) => cluster.offset)).toEqual(
          whole.map((cluster) => cluster.offset),
        );
        expect(result.clusters).toBe(whole.length);
      }),
      { numRuns: 40 },
    );
  });
});
