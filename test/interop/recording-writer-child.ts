/**
 * A recorder in its own process, for the SIGKILL test in
 * recording-crash.test.ts: it reads a WebM made by FFmpeg, writes its
 * frames again with WebmWriter to a FileSink at a steady pace, prints a
 * JSON line after each cluster reaches the file, and then waits to be
 * killed. Bundled with esbuild by the test and run with node.
 *
 *   node child.mjs '{"input":"src.webm","output":"out.webm","frameDelayMs":5}'
 */
import { readFileSync } from 'node:fs';
import { FileSink } from '../../src/recording/sink.js';
import { readWebm } from '../../src/recording/webm-reader.js';
import { WebmWriter } from '../../src/recording/webm-writer.js';

interface ChildOptions {
  input: string;
  output: string;
  frameDelayMs: number;
}

const options = JSON.parse(process.argv[2] ?? '{}') as ChildOptions;
const say = (message: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(message)}\n`);

async function main(): Promise<void> {
  const source = readWebm(new Uint8Array(readFileSync(options.input)));
  const video = source.tracks.find((track) => track.type === 1);
  const audio = source.tracks.find((track) => track.type === 2);
  if (!video?.width || !video.height || !audio) throw new Error('the input needs a VP8 and an Opus track');
  const writer = new WebmWriter(await FileSink.open(options.output), {
    video: { codec: 'vp8', width: video.width, height: video.height },
    audio: { codec: 'opus', channels: audio.channels ?? 2 },
    maxClusterDurationMs: 1000,
    onClusterWritten: (cluster) => say({ type: 'cluster', ...cluster }),
    onError: (error) => say({ type: 'error', message: error.message }),
  });
  say({ type: 'ready' });
  const blocks = source.clusters
    .flatMap((cluster) => cluster.blocks)
    .sort((a, b) => a.timestamp - b.timestamp);
  for (const block of blocks) {
    const kind = block.track === video.number ? 'video' : 'audio';
    writer.writeFrame(kind, block.timestamp, block.data, block.keyframe);
    await new Promise((resolve) => setTimeout(resolve, options.frameDelayMs));
  }
  await writer.flush();
  say({ type: 'done' });
  // Never closes: the test kills it.
  setInterval(() => {}, 1000);
}

main().catch((error: unknown) => {
  say({ type: 'error', message: String(error) });
  process.exit(1);
});
