/**
 * A libwebrtc (@roamhq/wrtc) media source for audio/video sync checks: a
 * video track and an audio track whose flashes and tone bursts start at the
 * same capture instants.
 *
 *   video  320×240 I420 at 30 fps (RTCVideoSource.onFrame): dark (Y = 16,
 *          with a small bar moving 4 px a frame so that no frame is empty),
 *          and bright (Y = 235) for `flashFrames` frames every `periodMs`;
 *   audio  48 kHz mono in 10 ms chunks (RTCAudioSource.onData): a 1 kHz
 *          tone for `beepMs` every `periodMs`, very low noise otherwise.
 *
 * One clock paces both: a single 10 ms timer sends every audio chunk whose
 * start is due and, in the same turn, the video frame whose time (n / fps)
 * has come. A period boundary is both an audio chunk boundary and a video
 * frame boundary (1000 ms = 100 chunks = 30 frames), so the first bright
 * frame and the first chunk of the burst are handed to libwebrtc together,
 * and libwebrtc stamps both with the same capture time. A late timer sends
 * the audio it owes at once and the video frame that is due now (frames in
 * between are skipped: they would all carry the same capture time); past
 * MAX_CATCH_UP_MS behind, the content skips ahead to the clock.
 *
 * Usable in-process (createRequire from TypeScript, see av-sync-source.ts)
 * and from the peers/*.cjs child processes.
 */
'use strict';

/** Behind the clock by more than this, the content jumps to the clock instead of catching up. */
const MAX_CATCH_UP_MS = 200;

const DEFAULTS = {
  width: 320,
  height: 240,
  fps: 30,
  sampleRate: 48_000,
  /** Flash and beep every periodMs (a multiple of 10 ms and of a frame interval). */
  periodMs: 1000,
  /** The first flash/beep is at phaseMs of media time; then every periodMs. */
  phaseMs: 0,
  flashFrames: 3,
  beepMs: 100,
  toneHz: 1000,
  /** Peak of the tone (16-bit). */
  toneAmplitude: 12_000,
  /** Peak of the noise between bursts (16-bit; 0 for digital silence). */
  noiseAmplitude: 16,
  dark: 16,
  bright: 235,
};

/**
 * Starts the source. `options.wrtc` is the loaded @roamhq/wrtc module
 * (required here when absent). Returns the tracks, a MediaStream holding
 * both (so that a receiver treats them as one synchronised stream), the
 * wall-clock time of media time 0 (`epochMs`, Date.now() scale; flash k is
 * at epochMs + phaseMs + k × periodMs), live counters and stop().
 */
function createAvSyncSource(options = {}) {
  const wrtc = options.wrtc ?? require('@roamhq/wrtc');
  const o = { ...DEFAULTS, ...options };
  const chunkMs = 10;
  const samplesPerChunk = (o.sampleRate * chunkMs) / 1000;
  if (o.periodMs % chunkMs !== 0 || ((o.periodMs * o.fps) / 1000) % 1 !== 0)
    throw new Error(`periodMs ${o.periodMs} must be a whole number of 10 ms chunks and of frames`);
  if (o.phaseMs % chunkMs !== 0 || ((o.phaseMs * o.fps) / 1000) % 1 !== 0)
    throw new Error(`phaseMs ${o.phaseMs} must be a whole number of 10 ms chunks and of frames`);
  const framesPerPeriod = (o.periodMs * o.fps) / 1000;
  const phaseFrames = (o.phaseMs * o.fps) / 1000;
  const samplesPerPeriod = (o.sampleRate * o.periodMs) / 1000;
  const phaseSamples = (o.sampleRate * o.phaseMs) / 1000;
  const beepSamples = (o.sampleRate * o.beepMs) / 1000;

  const videoSource = new wrtc.nonstandard.RTCVideoSource();
  const audioSource = new wrtc.nonstandard.RTCAudioSource();
  const videoTrack = videoSource.createTrack();
  const audioTrack = audioSource.createTrack();
  const stream = new wrtc.MediaStream([videoTrack, audioTrack]);

  const { width, height } = o;
  const lumaSize = width * height;
  const frame = new Uint8ClampedArray((lumaSize * 3) / 2);
  frame.fill(128, lumaSize);
  const samples = new Int16Array(samplesPerChunk);
  let noiseState = 0x2545f491;
  const noise = () => {
    noiseState ^= noiseState << 13;
    noiseState ^= noiseState >>> 17;
    noiseState ^= noiseState << 5;
    return ((noiseState >>> 0) / 4294967296 - 0.5) * 2 * o.noiseAmplitude;
  };

  const stats = { videoFrames: 0, audioChunks: 0, flashes: 0, beeps: 0, skippedFrames: 0, jumps: 0 };

  function sendVideo(n) {
    const inPeriod = (((n - phaseFrames) % framesPerPeriod) + framesPerPeriod) % framesPerPeriod;
    const bright = n >= phaseFrames && inPeriod < o.flashFrames;
    if (bright) {
      frame.fill(o.bright, 0, lumaSize);
      if (inPeriod === 0) stats.flashes++;
    } else {
      frame.fill(o.dark, 0, lumaSize);
      const bar = (n * 4) % width;
      for (let y = 0; y < height; y++)
        frame.fill(o.dark + 24, y * width + bar, y * width + Math.min(width, bar + 8));
    }
    videoSource.onFrame({ width, height, data: frame });
    stats.videoFrames++;
  }

  function sendAudio(chunk) {
    const first = chunk * samplesPerChunk;
    for (let i = 0; i < samplesPerChunk; i++) {
      const s = first + i;
      const inPeriod = (((s - phaseSamples) % samplesPerPeriod) + samplesPerPeriod) % samplesPerPeriod;
      samples[i] =
        s >= phaseSamples && inPeriod < beepSamples
          ? Math.round(o.toneAmplitude * Math.sin((2 * Math.PI * o.toneHz * inPeriod) / o.sampleRate))
          : Math.round(noise());
      if (s >= phaseSamples && inPeriod === 0) stats.beeps++;
    }
    audioSource.onData({
      samples,
      sampleRate: o.sampleRate,
      bitsPerSample: 16,
      channelCount: 1,
      numberOfFrames: samplesPerChunk,
    });
    stats.audioChunks++;
  }

  const started = performance.now();
  const epochMs = Date.now();
  let nextChunk = 0;
  let nextFrame = 0;
  function tick() {
    const elapsed = performance.now() - started;
    const dueChunk = Math.floor(elapsed / chunkMs);
    if ((dueChunk - nextChunk) * chunkMs > MAX_CATCH_UP_MS) {
      nextChunk = dueChunk;
      stats.jumps++;
    }
    // Video first: at a period boundary the bright frame and the burst's first chunk go out in this same turn.
    const dueFrame = Math.floor((elapsed * o.fps) / 1000);
    if (dueFrame >= nextFrame) {
      stats.skippedFrames += dueFrame - nextFrame;
      sendVideo(dueFrame);
      nextFrame = dueFrame + 1;
    }
    while (nextChunk <= dueChunk) sendAudio(nextChunk++);
  }
  tick();
  const timer = setInterval(tick, chunkMs);

  let stopped = false;
  return {
    videoTrack,
    audioTrack,
    stream,
    epochMs,
    periodMs: o.periodMs,
    phaseMs: o.phaseMs,
    stats,
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      videoTrack.stop();
      audioTrack.stop();
    },
  };
}

module.exports = { createAvSyncSource, AV_SYNC_DEFAULTS: DEFAULTS };
