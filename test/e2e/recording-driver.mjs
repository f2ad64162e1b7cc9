/**
 * Browser end-to-end driver for recordings: starts a development server
 * from a build (recordings written to --recordings-dir), opens the demo page
 * in Chromium (fake camera and microphone) and joins a libwebrtc participant
 * (@roamhq/wrtc) that publishes the audio/video sync source (a flash and a
 * beep together, once a second) to the same sfu room. Then:
 *
 *   1. the admin API starts a recording, the page's REC badge must turn on;
 *      after --record-ms the API stops it, and the badge must turn off;
 *   2. the page's Record button starts a second recording, and stops it a
 *      few seconds later.
 *
 * The files are left for the test to check with FFmpeg; this prints one
 * JSON object on its last line: the recordings as the API describes them,
 * when each stop was asked for, what the page showed, the page's camera
 * size, what the libwebrtc participant sends, and the server's warnings.
 *
 * Run by test/e2e/recording.test.ts inside a network namespace that has only
 * loopback (`unshare -n`), like browser-driver.mjs. Options: --dist DIR,
 * --chromium PATH, --recordings-dir DIR, --record-ms N, --deadline-ms N.
 * Exit status 0 when every step passed.
 */
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import {
  joinedState,
  launchChromium,
  noteAs,
  openDemoPage,
  sleep,
  startDeadline,
  startServer,
  waitFor,
} from './driver-common.mjs';

const require = createRequire(import.meta.url);

const { values: flags } = parseArgs({
  options: {
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    dist: { type: 'string', default: 'dist' },
    'recordings-dir': { type: 'string' },
    'record-ms': { type: 'string', default: '10000' },
    'deadline-ms': { type: 'string', default: '90000' },
  },
});
if (!flags['recordings-dir']) throw new Error('--recordings-dir is needed');
const recordMs = Number(flags['record-ms']);

const note = noteAs('recording-driver');

/** How often the page and the API are polled, ms. */
const POLL_MS = 100;

/** What the page shows of the recording: the REC badge and the SDK's state. */
function readIndicator(page) {
  return page.evaluate(() => {
    const badge = document.getElementById('recording-indicator');
    const button = document.getElementById('record-button');
    return {
      recording: badge?.dataset.recording ?? null,
      hidden: badge?.hidden ?? null,
      state: window.switchboardDemo.recording(),
      canRecord: window.switchboardDemo.canRecord(),
      button: button ? { hidden: button.hidden, disabled: button.disabled, text: button.textContent } : null,
    };
  });
}

/**
 * A libwebrtc participant joined through signaling (a development token),
 * publishing the audio/video sync source and answering the server's
 * subscribe offers.
 */
async function joinWrtc(baseUrl, room, name, problems) {
  const wrtc = require('@roamhq/wrtc');
  const { createAvSyncSource } = require('../interop/wrtc-av-sync-source.cjs');
  const tokenResponse = await fetch(`${baseUrl}/dev/token?${new URLSearchParams({ room, name })}`);
  const { token, identity } = await tokenResponse.json();
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/rtc`);
  await once(ws, 'open');
  const messages = [];
  const waiters = new Set();
  ws.on('message', (data) => {
    const message = JSON.parse(data.toString());
    messages.push(message);
    for (const wake of waiters) wake();
  });
  const next = (type, timeoutMs = 10_000) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const index = messages.findIndex((message) => message.type === type || message.type === 'error');
        if (index < 0) return;
        const [message] = messages.splice(index, 1);
        waiters.delete(check);
        clearTimeout(timer);
        if (message.type === 'error') reject(new Error(`${name}: ${JSON.stringify(message)}`));
        else resolve(message);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`${name}: no ${type} in ${timeoutMs} ms`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  const send = (message) => ws.send(JSON.stringify(message));

  const subscribe = new wrtc.RTCPeerConnection({ iceServers: [] });
  let closed = false;
  let answering = Promise.resolve();
  ws.on('message', (data) => {
    const message = JSON.parse(data.toString());
    if (message.type !== 'subscribe_offer') return;
    answering = answering
      .then(async () => {
        if (closed) return;
        await subscribe.setRemoteDescription({ type: 'offer', sdp: message.sdp });
        await subscribe.setLocalDescription(await subscribe.createAnswer());
        send({ type: 'subscribe_answer', sdp: subscribe.localDescription.sdp });
      })
      .catch((error) => {
        if (!closed) problems.push(`${name}: subscribe offer not answered: ${error?.message ?? error}`);
      });
  });
  send({ type: 'join', v: 1, token });
  const joined = await next('joined');
  const ping = setInterval(() => send({ type: 'ping' }), 5000);

  const source = createAvSyncSource({ wrtc });
  const publish = new wrtc.RTCPeerConnection({ iceServers: [] });
  publish.addTransceiver(source.videoTrack, { direction: 'sendonly', streams: [source.stream] });
  publish.addTransceiver(source.audioTrack, { direction: 'sendonly', streams: [source.stream] });
  await publish.setLocalDescription(await publish.createOffer());
  send({
    type: 'publish',
    sdp: publish.localDescription.sdp,
    tracks: [
      { mid: '0', source: 'camera' },
      { mid: '1', source: 'microphone' },
    ],
    rid: 'publish-1',
  });
  const answer = await next('publish_answer');
  await publish.setRemoteDescription({ type: 'answer', sdp: answer.sdp });

  return {
    identity,
    participantId: joined.participant.id,
    /** Codec (lower-case name) and frame size of what it sends, from libwebrtc's stats. */
    async sending() {
      const report = await publish.getStats();
      const codecs = new Map();
      const outbound = [];
      report.forEach((entry) => {
        if (entry.type === 'codec') codecs.set(entry.id, entry.mimeType);
        if (entry.type === 'outbound-rtp') outbound.push(entry);
      });
      const of = (kind) => outbound.find((entry) => entry.kind === kind);
      const name = (kind) => (codecs.get(of(kind)?.codecId) ?? '').replace(/^\w+\//, '').toLowerCase();
      return {
        video: name('video'),
        audio: name('audio'),
        width: of('video')?.frameWidth ?? 0,
        height: of('video')?.frameHeight ?? 0,
        connectionState: publish.connectionState,
      };
    },
    close() {
      closed = true;
      clearInterval(ping);
      source.stop();
      publish.close();
      subscribe.close();
      ws.close();
    },
  };
}

/** Waits for the page's REC badge to show `value`; returns what the page showed last. */
async function indicatorBecomes(page, value, timeoutMs = 5000) {
  let last;
  await waitFor(
    async () => {
      last = await readIndicator(page);
      return last.recording === value;
    },
    timeoutMs,
    POLL_MS,
  );
  return last;
}

async function main() {
  const result = { ok: false, failures: [], problems: [], serverErrors: [] };
  const deadline = startDeadline(result, flags['deadline-ms']);
  let server;
  let browser;
  let participant;
  try {
    server = await startServer({
      dist: flags.dist,
      roomMode: 'sfu',
      extraArgs: ['--recordings-dir', resolve(flags['recordings-dir'])],
    });
    const baseUrl = `http://127.0.0.1:${server.port}`;
    note(`server at ${baseUrl}`);
    const { createAccessToken } = await import(
      pathToFileURL(join(resolve(flags.dist), 'signaling/tokens.js')).href
    );
    const { DEV_API_KEY, DEV_API_SECRET } = await import(
      pathToFileURL(join(resolve(flags.dist), 'server/dev.js')).href
    );
    const adminToken = await createAccessToken(
      { key: DEV_API_KEY, secret: DEV_API_SECRET },
      { identity: 'e2e-admin', grants: { admin: true }, ttlSeconds: 600 },
    );
    const api = async (method, path) => {
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${adminToken}` },
      });
      return { status: response.status, body: await response.json().catch(() => null) };
    };

    browser = await launchChromium(flags.chromium);
    result.browserVersion = browser.version();
    const room = `e2e-rec-${Math.random().toString(36).slice(2, 8)}`;
    result.room = room;
    const { page } = await openDemoPage(browser, baseUrl, { room, name: 'Ada', problems: result.problems });
    const state = await joinedState(page, 20_000, POLL_MS);
    if (state !== 'joined') throw new Error(`the page did not join (state ${state})`);
    participant = await joinWrtc(baseUrl, room, 'Wrtc', result.problems);
    // Media flows: the page plays the libwebrtc participant, and the server holds both participants' two tracks.
    const playing = await waitFor(
      () =>
        page.evaluate(
          (id) =>
            window.switchboardDemo.videos().find((video) => video.participantId === id && video.frames > 15),
          participant.participantId,
        ),
      20_000,
      POLL_MS,
    );
    if (!playing) throw new Error('the page does not play the libwebrtc participant');
    const published = await waitFor(
      async () => {
        const { body } = await api('GET', `/api/rooms/${room}`);
        const participants = body?.participants ?? [];
        return participants.length === 2 && participants.every((entry) => entry.tracks.length === 2);
      },
      20_000,
      POLL_MS,
    );
    if (!published) throw new Error('the server does not hold two tracks of each participant');
    const self = await page.evaluate(() => window.switchboardDemo.localParticipant());
    result.page = {
      participantId: self.id,
      identity: self.identity,
      camera: await page.evaluate(() => {
        const video = document.querySelector('[data-local] video');
        const settings = video?.srcObject?.getVideoTracks()[0]?.getSettings() ?? {};
        return {
          width: settings.width ?? null,
          height: settings.height ?? null,
          frameRate: settings.frameRate ?? null,
        };
      }),
    };
    result.wrtc = {
      participantId: participant.participantId,
      identity: participant.identity,
      sent: await participant.sending(),
    };

    // 1. Through the admin API.
    const before = await readIndicator(page);
    const started = await api('POST', `/api/rooms/${room}/recordings`);
    if (started.status !== 201) throw new Error(`the recording did not start: ${JSON.stringify(started)}`);
    const id = started.body.recording.id;
    const during = await indicatorBecomes(page, 'on');
    await sleep(recordMs - (Date.now() - Date.parse(started.body.recording.startedAt)));
    const stopRequestedAt = Date.now();
    const stopped = await api('POST', `/api/rooms/${room}/recordings/${id}/stop`);
    const after = await indicatorBecomes(page, 'off');
    result.api = {
      status: stopped.status,
      recording: stopped.body?.recording ?? null,
      stopRequestedAt,
      indicator: { before, during, after },
    };
    note(`recording ${id} stopped (${stopped.status})`);

    // 2. With the page's Record button.
    const buttonBefore = await readIndicator(page);
    await page.click('#record-button');
    const buttonDuring = await indicatorBecomes(page, 'on');
    await sleep(3000);
    // The button is busy while a start or stop awaits the server.
    await waitFor(
      () => page.evaluate(() => !document.getElementById('record-button').disabled),
      5000,
      POLL_MS,
    );
    const buttonStopAt = Date.now();
    await page.click('#record-button');
    const buttonAfter = await indicatorBecomes(page, 'off', 10_000);
    const buttonId = buttonDuring.state?.id;
    const buttonRecording = buttonId
      ? await waitFor(
          async () => {
            const { body } = await api('GET', `/api/recordings/${buttonId}`);
            return body?.recording?.status === 'stopped' || body?.recording?.status === 'failed'
              ? body.recording
              : null;
          },
          10_000,
          POLL_MS,
        )
      : null;
    result.button = {
      recording: buttonRecording ?? null,
      stopRequestedAt: buttonStopAt,
      indicator: { before: buttonBefore, during: buttonDuring, after: buttonAfter },
    };
    result.ok = true;
  } catch (error) {
    result.failures.push(String(error?.stack ?? error));
  } finally {
    participant?.close();
    await browser?.close().catch(() => {});
    if (server) {
      result.serverErrors.push(...server.warnings());
      await server.stop();
    }
  }
  clearTimeout(deadline);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  // wrtc keeps native threads alive; the report is out.
  process.exit(result.ok ? 0 : 1);
}

await main();
