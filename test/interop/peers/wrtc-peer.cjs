/**
 * A libwebrtc peer (the npm package @roamhq/wrtc) driven over stdio, so that
 * a native crash of the library cannot take the test runner with it.
 *
 * Protocol, one JSON object per line:
 *   out {type:'offer', sdp}            after createOffer/setLocalDescription
 *   in  {type:'answer', sdp}           the server's answer
 *   out {type:'state', ice, connection} on every state change
 *   out {type:'stats', video:{frames,width,height,luma}, audio:{chunks,rms}}
 *                                      once a second, and on {type:'stop'}
 *   in  {type:'stop'}                  closes the connection and exits
 *
 * Options (argv[2], JSON): { audio: boolean, video: boolean, width, height,
 * luma (0–255, the Y value of every pixel sent), seconds (hard limit) }.
 * The peer sends a flat grey picture at 30 fps and a 440 Hz tone; what it
 * receives back is measured: frame size and mean luma, audio RMS.
 */
'use strict';
const readline = require('node:readline');
const wrtc = require('@roamhq/wrtc');

const options = {
  audio: true,
  video: true,
  width: 320,
  height: 240,
  luma: 200,
  seconds: 30,
  ...JSON.parse(process.argv[2] || '{}'),
};
const send = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

const pc = new wrtc.RTCPeerConnection({ iceServers: [] });
const timers = [];
const sinks = [];
const received = {
  video: { frames: 0, width: 0, height: 0, luma: -1 },
  audio: { chunks: 0, rms: 0 },
};

let videoSource;
if (options.video) {
  videoSource = new wrtc.nonstandard.RTCVideoSource();
  const track = videoSource.createTrack();
  pc.addTransceiver(track, { direction: 'sendrecv' });
  const { width, height } = options;
  const data = new Uint8ClampedArray((width * height * 3) / 2);
  data.fill(options.luma, 0, width * height);
  data.fill(128, width * height);
  timers.push(setInterval(() => videoSource.onFrame({ width, height, data }), 33));
}
let audioSource;
if (options.audio) {
  audioSource = new wrtc.nonstandard.RTCAudioSource();
  const track = audioSource.createTrack();
  pc.addTransceiver(track, { direction: 'sendrecv' });
  const samples = new Int16Array(480);
  let phase = 0;
  timers.push(
    setInterval(() => {
      for (let i = 0; i < samples.length; i++) {
        samples[i] = Math.round(8000 * Math.sin(phase));
        phase += (2 * Math.PI * 440) / 48000;
      }
      audioSource.onData({
        samples,
        sampleRate: 48000,
        bitsPerSample: 16,
        channelCount: 1,
        numberOfFrames: 480,
      });
    }, 10),
  );
}

pc.ontrack = ({ track }) => {
  if (track.kind === 'video') {
    const sink = new wrtc.nonstandard.RTCVideoSink(track);
    sinks.push(sink);
    sink.onframe = ({ frame }) => {
      const v = received.video;
      v.frames++;
      v.width = frame.width;
      v.height = frame.height;
      // Mean of the Y plane, sampled.
      const size = frame.width * frame.height;
      let sum = 0;
      let count = 0;
      for (let i = 0; i < size; i += 97) {
        sum += frame.data[i];
        count++;
      }
      v.luma = count ? Math.round(sum / count) : -1;
    };
  } else if (track.kind === 'audio') {
    const sink = new wrtc.nonstandard.RTCAudioSink(track);
    sinks.push(sink);
    sink.ondata = ({ samples }) => {
      const a = received.audio;
      a.chunks++;
      let sum = 0;
      for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
      // Keep the loudest recent chunk's RMS: silence at the start must not hide the tone.
      a.rms = Math.max(a.rms * 0.99, Math.sqrt(sum / Math.max(1, samples.length)));
    };
  }
};
const reportState = () => send({ type: 'state', ice: pc.iceConnectionState, connection: pc.connectionState });
pc.oniceconnectionstatechange = reportState;
pc.onconnectionstatechange = reportState;

let stopped = false;
function stop(code) {
  if (stopped) return;
  stopped = true;
  send({ type: 'stats', ...received });
  for (const timer of timers) clearInterval(timer);
  for (const sink of sinks) sink.stop();
  for (const sender of pc.getSenders()) sender.track?.stop();
  pc.close();
  // The library's threads can outlive close(); exit explicitly.
  setTimeout(() => process.exit(code), 50);
}

timers.push(setInterval(() => send({ type: 'stats', ...received }), 1000));
setTimeout(() => stop(2), options.seconds * 1000).unref();

const input = readline.createInterface({ input: process.stdin });
input.on('line', async (line) => {
  const message = JSON.parse(line);
  try {
    if (message.type === 'answer') await pc.setRemoteDescription({ type: 'answer', sdp: message.sdp });
    else if (message.type === 'stop') stop(0);
  } catch (error) {
    send({ type: 'error', message: String(error?.message ?? error) });
  }
});
input.on('close', () => stop(0));

(async () => {
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  send({ type: 'offer', sdp: pc.localDescription.sdp });
})().catch((error) => {
  send({ type: 'error', message: String(error) });
  stop(1);
});
