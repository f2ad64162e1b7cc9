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
 *   in  {type:'stop'}
 * Options (argv[2], JSON): { width, height, luma, seconds, audio, video }.
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
  ...JSON.parse(process.argv[2] || '{}'),
};
const send = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

const publish = new wrtc.RTCPeerConnection({ iceServers: [] });
const subscribe = new wrtc.RTCPeerConnection({ iceServers: [] });
const timers = [];
const sinks = [];
const tracks = {};

if (options.video) {
  const source = new wrtc.nonstandard.RTCVideoSource();
  publish.addTransceiver(source.createTrack(), { direction: 'sendonly' });
  const { width, height } = options;
  const data = new Uint8ClampedArray((width * height * 3) / 2);
  data.fill(options.luma, 0, width * height);
  data.fill(128, width * height);
  timers.push(setInterval(() => source.onFrame({ width, height, data }), 33));
}
if (options.audio) {
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
  track.onended = () => {
    entry.ended = true;
  };
  if (track.kind === 'video') {
    const sink = new wrtc.nonstandard.RTCVideoSink(track);
    sinks.push(sink);
    sink.onframe = ({ frame }) => {
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

let stopped = false;
function stop(code) {
  if (stopped) return;
  stopped = true;
  send(stats());
  for (const timer of timers) clearInterval(timer);
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
