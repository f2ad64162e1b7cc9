/**
 * Captures the offers in this folder from the WebRTC stacks installed in
 * node_modules (and Chromium when present). Run from the repository root:
 *
 *   node testdata/sdp/capture.mjs wrtc > testdata/sdp/wrtc-offer-audio-video-data.sdp
 *   node testdata/sdp/capture.mjs node-datachannel > testdata/sdp/node-datachannel-offer.sdp
 *   node testdata/sdp/capture.mjs chromium > testdata/sdp/chromium-offer-audio-video-data.sdp
 *   node testdata/sdp/capture.mjs chromium-simulcast > testdata/sdp/chromium-offer-simulcast.sdp
 *
 * The offer goes to stdout byte for byte; the tool's version goes to stderr.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const which = process.argv[2];

/** A package's version from its package.json (node-datachannel does not export that file). */
function packageVersion(name) {
  const url = new URL(`../../node_modules/${name}/package.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')).version;
}

async function wrtcOffer() {
  const wrtc = require('@roamhq/wrtc');
  const pc = new wrtc.RTCPeerConnection();
  pc.addTransceiver('audio');
  pc.addTransceiver('video');
  pc.createDataChannel('x');
  const offer = await pc.createOffer();
  pc.close();
  process.stderr.write(`@roamhq/wrtc ${packageVersion('@roamhq/wrtc')}\n`);
  return offer.sdp;
}

async function nodeDatachannelOffer() {
  const ndc = (await import('node-datachannel')).default;
  const pc = new ndc.PeerConnection('capture', { iceServers: [] });
  const video = new ndc.Video('video', 'SendRecv');
  video.addVideoCodec(96, 'VP8');
  video.addSSRC(1234, 'video-send', 'stream1', 'video-track');
  pc.addTrack(video);
  const audio = new ndc.Audio('audio', 'SendRecv');
  audio.addOpusCodec(111);
  audio.addSSRC(5678, 'audio-send', 'stream1', 'audio-track');
  pc.addTrack(audio);
  pc.createDataChannel('x');
  // The description is complete (candidates and end-of-candidates) once gathering ends.
  await new Promise((resolve) => {
    pc.onGatheringStateChange((state) => state === 'complete' && resolve());
    setTimeout(resolve, 3000);
  });
  const sdp = pc.localDescription().sdp;
  pc.close();
  process.stderr.write(
    `node-datachannel ${packageVersion('node-datachannel')} (libdatachannel ${ndc.getLibraryVersion()})\n`,
  );
  ndc.cleanup();
  return sdp;
}

async function chromiumOffer(simulcast) {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  const page = await browser.newPage();
  await page.goto('about:blank');
  const result = await page.evaluate(async (withSimulcast) => {
    const pc = new RTCPeerConnection();
    if (withSimulcast) {
      pc.addTransceiver('audio', { direction: 'sendonly' });
      pc.addTransceiver('video', {
        direction: 'sendonly',
        sendEncodings: [
          { rid: 'q', scaleResolutionDownBy: 4 },
          { rid: 'h', scaleResolutionDownBy: 2 },
          { rid: 'f' },
        ],
      });
    } else {
      pc.addTransceiver('audio');
      pc.addTransceiver('video');
      pc.createDataChannel('x');
    }
    const offer = await pc.createOffer();
    pc.close();
    return { sdp: offer.sdp, userAgent: navigator.userAgent };
  }, simulcast);
  process.stderr.write(`${browser.version()} ${result.userAgent}\n`);
  await browser.close();
  return result.sdp;
}

const capture = {
  wrtc: wrtcOffer,
  'node-datachannel': nodeDatachannelOffer,
  chromium: () => chromiumOffer(false),
  'chromium-simulcast': () => chromiumOffer(true),
}[which];
if (!capture) {
  process.stderr.write(
    'usage: node testdata/sdp/capture.mjs wrtc|node-datachannel|chromium|chromium-simulcast\n',
  );
  process.exit(2);
}
process.stdout.write(await capture());
process.exit(0);
