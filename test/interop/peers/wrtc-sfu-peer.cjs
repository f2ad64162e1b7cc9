/**
 * One SFU participant on libwebrtc (@roamhq/wrtc), driven over stdio: a
 * publish connection that offers a video track (a flat picture of the given
 * luma) and an audio track (a tone), and a subscribe connection that answers
 * the server's offers and measures every track it receives.
 *
 * Protocol, one JSON object per line:
 *   out {type:'publish-offer', sdp}       in  {type:'publish-answer', sdp}
 *   in  {type:'subscribe-offer', sdp}     out {type:'subscribe-answer', sdp}
 *   out {type:'stats', publish, subscribe, tracks: {[msid stream id + ' ' + kind]: {...}}}
 *   in  {type:'reset-gaps'}               (zeroes maxGapMs and longGaps of every video track and the source)
 *   in  {type:'get-stats', id}            out {type:'rtc-stats', id, inbound, outbound, tracks, source, avSync}
 *   in  {type:'stop'}
 * Options (argv[2], JSON): { width, height, luma, seconds, audio, video, motion, avSync }.
 * With `avSync` (true, or options of the source such as { phaseMs }) the two
 * tracks come from the audio/video sync source (../wrtc-av-sync-source.cjs:
 * a flash and a beep at the same instants once a second, its audio paced by
 * the wall clock), in one stream, instead of the flat picture and the tone.
 *
 * A video track's entry counts the gaps between decoded frames: `maxGapMs`,
 * and `longGaps`, the gaps over LONG_GAP_MS (what a viewer sees as a freeze);
 * 'rtc-stats' has the same for the frames captured (`source`), since a
 * capture timer that stalls on a loaded machine freezes every viewer too.
 * 'rtc-stats' carries libwebrtc's own view from getStats(): per received
 * track (same keys as 'tracks') frames decoded and dropped, freezes, losses
 * and the NACKs and PLIs it sent; per sent stream its codec (mimeType) and
 * frame size, the packets, retransmissions and the NACKs and PLIs it
 * received; with `avSync`, the source's counters.
 */
'use strict';
const readline = require('node:readline');
const wrtc = require('@roamhq/wrtc');

const options = {
  width: 320,
  height: 240,
  luma: 100,
  seconds: 60,
  audio: true,
  video: true,
  /** Moving bars instead of a flat picture: frames of several packets, as a camera's are. */
  motion: false,
  /** Both tracks from the audio/video sync source (flash and beep together), in one stream; true or its options. */
  avSync: false,
  ...JSON.parse(process.argv[2] || '{}'),
};
const send = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

const publish = new wrtc.RTCPeerConnection({ iceServers: [] });
const subscribe = new wrtc.RTCPeerConnection({ iceServers: [] });
const timers = [];
const sinks = [];
const tracks = {};
/** Track id → key in `tracks`, to match getStats() entries. */
const trackKeys = new Map();
/** A gap between two decoded frames longer than this is a freeze (libwebrtc counts one from ~183 ms at 30 fps). */
const LONG_GAP_MS = 200;
/** The same gap counters for the frames this peer captures: a stalled timer shows in every subscriber. */
const source = { frames: 0, maxGapMs: 0, longGaps: 0 };

/** The audio/video sync source, with `avSync`. */
let avSync;
if (options.avSync) {
  avSync = require('../wrtc-av-sync-source.cjs').createAvSyncSource({
    wrtc,
    width: options.width,
    height: options.height,
    ...(typeof options.avSync === 'object' ? options.avSync : {}),
  });
  // One stream for both tracks: the receiver (and the server's recorder) treats them as one source.
  publish.addTransceiver(avSync.videoTrack, { direction: 'sendonly', streams: [avSync.stream] });
  publish.addTransceiver(avSync.audioTrack, { direction: 'sendonly', streams: [avSync.stream] });
}
if (options.video && !avSync) {
  const source = new wrtc.nonstandard.RTCVideoSource();
  publish.addTransceiver(source.createTrack(), { direction: 'sendonly' });
  const { width, height } = options;
  const data = new Uint8ClampedArray((width * height * 3) / 2);
  data.fill(options.luma, 0, width * height);
  data.fill(128, width * height);
  let frame = 0;
  let lastFrameAt = 0;
  timers.push(
    setInterval(() => {
      const now = performance.now();
      if (lastFrameAt > 0) {
        const gap = now - lastFrameAt;
        if (gap > source.maxGapMs) source.maxGapMs = Math.round(gap);
        if (gap > LONG_GAP_MS) source.longGaps++;
      }
      lastFrameAt = now;
      source.frames++;
      if (options.motion) {
        // Vertical bars 32 pixels wide, around the chosen luma, moving 4 pixels per frame.
        frame++;
        for (let y = 0; y < height; y++) {
          const row = y * width;
          for (let x = 0; x < width; x++)
            data[row + x] = options.luma + (((x + frame * 4) >> 5) & 1 ? 40 : -40);
        }
      }
      source.onFrame({ width, height, data });
    }, 33),
  );
}
if (options.audio && !avSync) {
  const source = new wrtc.nonstandard.RTCAudioSource();
  publish.addTransceiver(source.createTrack(), { direction: 'sendonly' });
  const samples = new Int16Array(480);
  let phase = 0;
  timers.push(
    setInterval(() => {
      for (let i = 0; i < samples.length; i++) {
        samples[i] = Math.round(8000 * Math.sin(phase));
        phase += (2 * Math.PI * 440) / 48000;
      }
      source.onData({ samples, sampleRate: 48000, bitsPerSample: 16, channelCount: 1, numberOfFrames: 480 });
    }, 10),
  );
}

subscribe.ontrack = ({ track, streams }) => {
  const key = `${streams[0] ? streams[0].id : '-'} ${track.kind}`;
  const entry = {
    kind: track.kind,
    frames: 0,
    width: 0,
    height: 0,
    luma: -1,
    chunks: 0,
    rms: 0,
    ended: false,
  };
  tracks[key] = entry;
  trackKeys.set(track.id, key);
  track.onended = () => {
    entry.ended = true;
  };
  if (track.kind === 'video') {
    const sink = new wrtc.nonstandard.RTCVideoSink(track);
    sinks.push(sink);
    entry.maxGapMs = 0;
    entry.longGaps = 0;
    let lastFrameAt = 0;
    sink.onframe = ({ frame }) => {
      const now = performance.now();
      if (lastFrameAt > 0) {
        const gap = now - lastFrameAt;
        if (gap > entry.maxGapMs) entry.maxGapMs = Math.round(gap);
        if (gap > LONG_GAP_MS) entry.longGaps++;
      }
      lastFrameAt = now;
      entry.frames++;
      entry.width = frame.width;
      entry.height = frame.height;
      const size = frame.width * frame.height;
      let sum = 0;
      let count = 0;
      for (let i = 0; i < size; i += 97) {
        sum += frame.data[i];
        count++;
      }
      entry.luma = count ? Math.round(sum / count) : -1;
    };
  } else {
    const sink = new wrtc.nonstandard.RTCAudioSink(track);
    sinks.push(sink);
    sink.ondata = ({ samples }) => {
      entry.chunks++;
      let sum = 0;
      for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
      entry.rms = Math.max(entry.rms * 0.99, Math.sqrt(sum / Math.max(1, samples.length)));
    };
  }
};

function stats() {
  return {
    type: 'stats',
    publish: publish.connectionState,
    subscribe: subscribe.connectionState,
    tracks,
  };
}

/** libwebrtc's statistics of the received tracks and the sent streams (see the protocol above). */
async function rtcStats(id) {
  const inbound = {};
  const received = await subscribe.getStats();
  // This libwebrtc reports freezes on the (deprecated) 'track' entries, linked by id.
  const trackStats = new Map();
  received.forEach((report) => {
    if (report.type === 'track') trackStats.set(report.id, report);
  });
  received.forEach((report) => {
    if (report.type !== 'inbound-rtp') return;
    const track = trackStats.get(report.trackId);
    const key = trackKeys.get(report.trackIdentifier ?? track?.trackIdentifier);
    if (key === undefined) return;
    inbound[key] = {
      kind: report.kind,
      packetsReceived: report.packetsReceived,
      packetsLost: report.packetsLost,
      framesReceived: report.framesReceived,
      framesDecoded: report.framesDecoded,
      framesDropped: report.framesDropped,
      keyFramesDecoded: report.keyFramesDecoded,
      nackCount: report.nackCount,
      pliCount: report.pliCount,
      freezeCount: track?.freezeCount,
      totalFreezesDuration: track?.totalFreezesDuration,
    };
  });
  const outbound = [];
  const sent = await publish.getStats();
  const codecs = new Map();
  sent.forEach((report) => {
    if (report.type === 'codec') codecs.set(report.id, report.mimeType);
  });
  sent.forEach((report) => {
    if (report.type !== 'outbound-rtp') return;
    outbound.push({
      kind: report.kind,
      mimeType: codecs.get(report.codecId),
      frameWidth: report.frameWidth,
      frameHeight: report.frameHeight,
      ssrc: report.ssrc,
      packetsSent: report.packetsSent,
      retransmittedPacketsSent: report.retransmittedPacketsSent,
      framesEncoded: report.framesEncoded,
      keyFramesEncoded: report.keyFramesEncoded,
      nackCount: report.nackCount,
      pliCount: report.pliCount,
    });
  });
  return { type: 'rtc-stats', id, inbound, outbound, tracks, source, avSync: avSync?.stats };
}

let stopped = false;
function stop(code) {
  if (stopped) return;
  stopped = true;
  send(stats());
  for (const timer of timers) clearInterval(timer);
  avSync?.stop();
  for (const sink of sinks) sink.stop();
  for (const sender of publish.getSenders()) sender.track?.stop();
  publish.close();
  subscribe.close();
  setTimeout(() => process.exit(code), 50);
}

timers.push(setInterval(() => send(stats()), 500));
setTimeout(() => stop(2), options.seconds * 1000).unref();

// Offers are answered one at a time, in order.
let queue = Promise.resolve();
const input = readline.createInterface({ input: process.stdin });
input.on('line', (line) => {
  const message = JSON.parse(line);
  queue = queue.then(async () => {
    try {
      if (message.type === 'publish-answer') {
        await publish.setRemoteDescription({ type: 'answer', sdp: message.sdp });
      } else if (message.type === 'subscribe-offer') {
        await subscribe.setRemoteDescription({ type: 'offer', sdp: message.sdp });
        const answer = await subscribe.createAnswer();
        await subscribe.setLocalDescription(answer);
        send({ type: 'subscribe-answer', sdp: subscribe.localDescription.sdp });
      } else if (message.type === 'reset-gaps') {
        source.maxGapMs = 0;
        source.longGaps = 0;
        for (const entry of Object.values(tracks)) {
          if (entry.kind !== 'video') continue;
          entry.maxGapMs = 0;
          entry.longGaps = 0;
        }
      } else if (message.type === 'get-stats') {
        send(await rtcStats(message.id));
      } else if (message.type === 'stop') {
        stop(0);
      }
    } catch (error) {
      send({ type: 'error', message: String(error?.message ?? error) });
    }
  });
});
input.on('close', () => stop(0));

(async () => {
  const offer = await publish.createOffer();
  await publish.setLocalDescription(offer);
  send({ type: 'publish-offer', sdp: publish.localDescription.sdp });
})().catch((error) => {
  send({ type: 'error', message: String(error) });
  stop(1);
});
