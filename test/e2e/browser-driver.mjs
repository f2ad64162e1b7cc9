/**
 * Browser end-to-end driver: starts a development server from dist/, opens
 * the demo page in Chromium (fake camera and microphone) several times, runs
 * call scenarios and prints one JSON object on its last line of output.
 *
 * It is plain JavaScript run by test/e2e/p2p-call.test.ts inside a network
 * namespace that has only loopback (`unshare -n`), so that Chromium gathers
 * loopback candidates only and nothing leaves the machine:
 *
 *   unshare -n sh -c 'ip link set lo up && exec node test/e2e/browser-driver.mjs --scenarios two,three,relay'
 *
 * Options: --scenarios LIST (two, three, relay), --chromium PATH, --dist DIR
 * (the build whose cli/main.js and client/ to run; default dist), --timeout-ms N
 * (per scenario), --deadline-ms N (the whole run; past it the driver reports
 * failure and exits, taking the server and browser with it), --screenshots DIR
 * (a PNG of every page at the end of each scenario), --headed.
 * Exit status 0 when every scenario passed.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
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

const { values: flags } = parseArgs({
  options: {
    scenarios: { type: 'string', default: 'two,three,relay' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    // The build to run: dist/ after `npm run build`; the vitest test passes a private one.
    dist: { type: 'string', default: 'dist' },
    'timeout-ms': { type: 'string', default: '30000' },
    'deadline-ms': { type: 'string', default: '160000' },
    headed: { type: 'boolean', default: false },
    screenshots: { type: 'string' },
    // Runs every scenario in rooms of this mode instead of its own (p2p or sfu).
    'room-mode': { type: 'string' },
  },
});
const scenarioTimeoutMs = Number(flags['timeout-ms']);

/**
 * The scenarios: the room mode, how many pages join one room, whether media
 * must go through TURN, and what else is checked. `sfu` adds a late joiner
 * (how soon it decodes every video) and a page that leaves.
 */
const SCENARIOS = {
  two: { mode: 'p2p', pages: 2, relay: false, lifecycle: true },
  three: { mode: 'p2p', pages: 3, relay: false },
  relay: { mode: 'p2p', pages: 2, relay: true },
  // Four pages and a leave: twice the time of the others.
  sfu: { mode: 'sfu', pages: 3, relay: false, lateJoinAndLeave: true, timeoutScale: 2 },
};

const NAMES = ['Ada', 'Grace', 'Hedy', 'Katherine'];

const note = noteAs('browser-driver');

/** Opens one demo page as a separate browser context (its own "user"), joining `room`. */
function openPage(browser, baseUrl, room, name, relay, problems) {
  return openDemoPage(browser, baseUrl, {
    room,
    name,
    problems,
    consoleTypes: ['error', 'warning'],
    relay,
    // Keep a handle on each WebSocket the page opens, so a scenario can drop the signaling connection.
    prepare: (context) =>
      context.addInitScript(() => {
        const NativeWebSocket = window.WebSocket;
        window.__e2eSockets = [];
        window.WebSocket = class extends NativeWebSocket {
          constructor(...args) {
            super(...args);
            window.__e2eSockets.push(this);
          }
        };
      }),
  });
}

/** What a page shows of the others: remote videos, chat lines. */
function readPage(page) {
  return page.evaluate(() => {
    const demo = window.switchboardDemo;
    return {
      state: demo.state(),
      error: demo.error(),
      self: demo.localParticipant(),
      participants: demo.participants().map((p) => ({ id: p.id, identity: p.identity, name: p.name })),
      videos: demo.videos(),
    };
  });
}

/**
 * What happens to the first page's participant as seen from the second: it
 * mutes its microphone, loses its signaling connection and resumes it (the
 * call goes on, no leave), then leaves.
 */
async function checkLifecycle(opened, report, remaining) {
  const [first, second] = opened;
  const firstId = report.pages[0].participantId;
  const seenFromSecond = () =>
    second.page.evaluate(
      (id) => window.switchboardDemo.participants().find((p) => p.id === id) ?? null,
      firstId,
    );
  const lifecycle = {
    muteSeen: false,
    dropped: false,
    resumed: false,
    stillInRoom: false,
    playingAfterResume: false,
    leftSeen: false,
  };
  report.lifecycle = lifecycle;

  await first.page.evaluate(() => window.switchboardDemo.toggle('audio'));
  lifecycle.muteSeen = Boolean(
    await waitFor(async () => (await seenFromSecond())?.muted.audio === true, Math.min(5_000, remaining())),
  );
  if (!lifecycle.muteSeen)
    report.failures.push(`${second.name} did not see ${first.name} mute the microphone`);

  // The signaling connection drops (the socket is closed under the SDK); media keeps flowing meanwhile.
  const connection = () => first.page.evaluate(() => window.switchboardDemo.connection());
  await first.page.evaluate(() => window.__e2eSockets.at(-1)?.close(4000, 'dropped by the e2e test'));
  lifecycle.dropped = Boolean(
    await waitFor(async () => (await connection()) !== 'connected', Math.min(5_000, remaining()), 20),
  );
  lifecycle.resumed = Boolean(
    await waitFor(async () => (await connection()) === 'connected', Math.min(10_000, remaining())),
  );
  const afterResume = await first.page.evaluate(() => window.switchboardDemo.localParticipant()?.id ?? null);
  // The same participant id (a fresh join would get a new one), shown as connected again on the other side.
  lifecycle.stillInRoom =
    afterResume === firstId &&
    Boolean(
      await waitFor(async () => (await seenFromSecond())?.connected === true, Math.min(5_000, remaining())),
    );
  const videoOf = () =>
    second.page.evaluate(
      (id) => window.switchboardDemo.videos().find((v) => v.participantId === id),
      firstId,
    );
  const before = await videoOf();
  await sleep(500);
  const after = await videoOf();
  lifecycle.playingAfterResume = Boolean(before && after && after.currentTime > before.currentTime);
  if (!lifecycle.dropped)
    report.failures.push(`${first.name}'s signaling connection did not drop when offline`);
  else if (!lifecycle.resumed)
    report.failures.push(`${first.name} did not reconnect after going back online`);
  else if (!lifecycle.stillInRoom)
    report.failures.push(
      `${first.name} did not resume as the same participant ${firstId} (now ${afterResume})`,
    );
  if (!lifecycle.playingAfterResume)
    report.failures.push(`${second.name} stopped playing ${first.name}'s video around the reconnection`);

  await first.page.evaluate(() => window.switchboardDemo.leave());
  lifecycle.leftSeen = Boolean(
    await waitFor(
      () =>
        second.page.evaluate(
          () =>
            window.switchboardDemo.participants().length === 0 &&
            window.switchboardDemo.videos().length === 0,
        ),
      Math.min(5_000, remaining()),
    ),
  );
  if (!lifecycle.leftSeen) report.failures.push(`${second.name} still shows ${first.name} after it left`);
}

/**
 * sfu rooms: a fourth page joins a running call and must decode every
 * other's video (which needs a keyframe from each publisher, requested when
 * it subscribes); the time from its join to the last first frame is
 * reported. Then the second page leaves, and every remaining page's grid
 * must drop its tile.
 */
async function checkLateJoinAndLeave(browser, baseUrl, room, opened, report, problems, remaining) {
  const late = {
    joined: false,
    firstFramesAfterMs: null,
    firstFramesAfterSubscribedMs: null,
    videos: 0,
    leftSeen: false,
  };
  report.lateJoin = late;
  const newcomer = await openPage(browser, baseUrl, room, NAMES[opened.length], false, problems);
  opened.push(newcomer);
  const state = await joinedState(newcomer.page, remaining(), 20);
  late.joined = state === 'joined';
  if (!late.joined) {
    report.failures.push(`${newcomer.name} (late) did not join (state ${state})`);
    return;
  }
  const joinedAt = Date.now();
  const expected = opened.length - 1;
  let subscribedAt = null;
  const framesEverywhere = await waitFor(
    async () => {
      const { videos, states } = await newcomer.page.evaluate(() => ({
        videos: window.switchboardDemo.videos(),
        states: window.switchboardDemo.connectionStates(),
      }));
      if (subscribedAt === null && states.subscribe === 'connected') subscribedAt = Date.now();
      return videos.length === expected && videos.every((video) => video.frames > 0) ? videos : null;
    },
    remaining(),
    20,
  );
  if (framesEverywhere) {
    late.firstFramesAfterMs = Date.now() - joinedAt;
    // From the subscribe connection's DTLS being up to the last first frame: the keyframe wait.
    late.firstFramesAfterSubscribedMs = subscribedAt === null ? null : Date.now() - subscribedAt;
    late.videos = framesEverywhere.length;
  } else {
    report.failures.push(`${newcomer.name} (late) does not decode every other participant's video`);
    return;
  }

  const [leaver] = opened.splice(1, 1);
  const leaverId = await leaver.page.evaluate(() => window.switchboardDemo.localParticipant()?.id ?? null);
  await leaver.page.evaluate(() => window.switchboardDemo.leave());
  await leaver.context.close().catch(() => {});
  late.leftSeen = Boolean(
    await waitFor(
      async () => {
        const views = await Promise.all(opened.map(({ page }) => readPage(page)));
        return views.every(
          (view) =>
            view.videos.length === opened.length - 1 &&
            view.videos.every((video) => video.participantId !== leaverId),
        );
      },
      Math.min(10_000, remaining()),
    ),
  );
  if (!late.leftSeen) report.failures.push(`the grids still show ${leaver.name} after it left`);
}

/** Runs one scenario; returns its report. */
async function runScenario(browser, baseUrl, scenarioName, mode) {
  const { pages: pageCount, relay } = SCENARIOS[scenarioName];
  const room = `e2e-${scenarioName}-${Math.random().toString(36).slice(2, 8)}`;
  const problems = [];
  const report = { name: scenarioName, mode, room, relay, ok: false, pages: [], problems, failures: [] };
  const opened = [];
  const started = Date.now();
  const timeoutMs = scenarioTimeoutMs * (SCENARIOS[scenarioName].timeoutScale ?? 1);
  const remaining = () => Math.max(1_000, timeoutMs - (Date.now() - started));
  try {
    // Join one after another: each newcomer makes the offers, as in a real room.
    for (let index = 0; index < pageCount; index++) {
      const opening = await openPage(browser, baseUrl, room, NAMES[index], relay, problems);
      opened.push(opening);
      const state = await joinedState(opening.page, remaining());
      if (state !== 'joined') {
        const error = await opening.page.evaluate(() => window.switchboardDemo?.error() ?? null);
        report.failures.push(`${opening.name} did not join (state ${state}): ${error}`);
        return report;
      }
    }

    report.joinedAfterMs = Date.now() - started;
    // Every page must show every other participant's video, decoded.
    const expected = pageCount - 1;
    await waitFor(async () => {
      const views = await Promise.all(opened.map(({ page }) => readPage(page)));
      return views.every(
        (view) => view.videos.length === expected && view.videos.every((v) => v.videoWidth > 0),
      );
    }, remaining());

    report.videosAfterMs = Date.now() - started;
    // Playing means time advances: sample, wait a second, sample again.
    const before = await Promise.all(opened.map(({ page }) => readPage(page)));
    await sleep(1_000);
    const after = await Promise.all(opened.map(({ page }) => readPage(page)));
    opened.forEach((opening, index) => {
      const pageReport = {
        name: opening.name,
        participantId: after[index].self?.id ?? null,
        state: after[index].state,
        error: after[index].error,
        participants: after[index].participants,
        videos: after[index].videos.map((video) => {
          const earlier = before[index].videos.find((v) => v.participantId === video.participantId);
          return {
            ...video,
            advancedBy: earlier ? video.currentTime - earlier.currentTime : 0,
          };
        }),
        chat: [],
        dataChannels: [],
        dataStats: null,
        pairs: [],
      };
      report.pages.push(pageReport);
      if (pageReport.videos.length !== expected)
        report.failures.push(
          `${opening.name} shows ${pageReport.videos.length} remote videos, expected ${expected}`,
        );
      for (const video of pageReport.videos) {
        if (!(video.videoWidth > 0))
          report.failures.push(
            `${opening.name}: the video of ${video.identity} has no frames (videoWidth 0)`,
          );
        if (!(video.advancedBy > 0.3))
          report.failures.push(
            `${opening.name}: the video of ${video.identity} is not playing (advanced ${video.advancedBy} s)`,
          );
      }
    });

    // Chat: every page sends a line, and every line reaches every other page.
    const suffix = Math.random().toString(36).slice(2, 8);
    const texts = opened.map(({ name }) => `hello from ${name} ${suffix}`);
    await Promise.all(
      opened.map(({ page }, index) =>
        page.evaluate((line) => window.switchboardDemo.sendChat(line), texts[index]),
      ),
    );
    await waitFor(
      async () => {
        const chats = await Promise.all(
          opened.map(({ page }) => page.evaluate(() => window.switchboardDemo.chat())),
        );
        return chats.every((lines, index) =>
          texts.every((text, sender) => sender === index || lines.some((line) => line.text === text)),
        );
      },
      Math.min(5_000, remaining()),
    );
    for (const [index, opening] of opened.entries()) {
      const chat = await opening.page.evaluate(() => window.switchboardDemo.chat());
      report.pages[index].chat = chat;
      for (const [sender, text] of texts.entries()) {
        if (sender === index) continue;
        if (!chat.some((line) => line.text === text && !line.own && line.name === opened[sender].name)) {
          const seen = await opening.page.evaluate(() => ({
            channels: window.switchboardDemo.dataChannels(),
            stats: window.switchboardDemo.dataStats(),
          }));
          report.failures.push(
            `${opening.name} did not receive the chat line "${text}" from ${opened[sender].name}; ` +
              `its chat: ${JSON.stringify(chat)}; its data channels: ${JSON.stringify(seen)}`,
          );
        }
      }
    }

    // The chat's path: the data channels of the subscribe connection in sfu rooms, signaling in p2p rooms.
    const expectedVia = mode === 'sfu' ? 'datachannel' : 'signaling';
    for (const [index, opening] of opened.entries()) {
      for (const line of report.pages[index].chat.filter((entry) => texts.includes(entry.text))) {
        if (line.via !== expectedVia)
          report.failures.push(
            `${opening.name} ${line.own ? 'sent' : 'received'} "${line.text}" via ${line.via}, expected ${expectedVia}`,
          );
      }
    }

    // Sfu rooms: every page holds the two channels the server opened, both open; p2p rooms have none.
    const bothOpen = (channels) =>
      ['reliable', 'lossy'].every((label) =>
        channels.some((channel) => channel.label === label && channel.readyState === 'open'),
      );
    for (const [index, opening] of opened.entries()) {
      const channels = await waitFor(
        async () => {
          const found = await opening.page.evaluate(() => window.switchboardDemo.dataChannels());
          return mode !== 'sfu' || bothOpen(found) ? found : null;
        },
        Math.min(5_000, remaining()),
      );
      report.pages[index].dataChannels =
        channels ?? (await opening.page.evaluate(() => window.switchboardDemo.dataChannels()));
      report.pages[index].dataStats = await opening.page.evaluate(() => window.switchboardDemo.dataStats());
      if (mode === 'sfu' && !channels)
        report.failures.push(
          `${opening.name}'s data channels are not both open: ${JSON.stringify(report.pages[index].dataChannels)}`,
        );
      if (mode !== 'sfu' && report.pages[index].dataChannels.length > 0)
        report.failures.push(`${opening.name} has data channels in a ${mode} room`);
    }

    // Sound: every page receives audio with energy (the fake microphone beeps) from every other.
    for (const [index, opening] of opened.entries()) {
      const audio = await waitFor(
        async () => {
          const found = await opening.page.evaluate(async () => {
            const room = window.switchboardDemo.room;
            const heard = [];
            for (const participant of room?.participants ?? []) {
              const report = await room.getStats(participant.id);
              let packets = 0;
              let energy = 0;
              for (const record of report?.values() ?? []) {
                if (record.type === 'inbound-rtp' && record.kind === 'audio') {
                  packets += record.packetsReceived ?? 0;
                  energy += record.totalAudioEnergy ?? 0;
                }
              }
              heard.push({ participantId: participant.id, packets, energy });
            }
            return heard;
          });
          return found.length === expected && found.every((entry) => entry.packets > 0 && entry.energy > 0)
            ? found
            : null;
        },
        Math.min(5_000, remaining()),
      );
      report.pages[index].audio = audio;
      if (!audio)
        report.failures.push(
          `${opening.name} does not hear every other participant (no audio energy received)`,
        );
    }

    // The candidate pair in use, and in relay mode that it goes through TURN on both ends.
    for (const [index, opening] of opened.entries()) {
      const pairs = await waitFor(
        async () => {
          const found = await opening.page.evaluate(() => window.switchboardDemo.selectedPairs());
          return found.length === expected && found.every((entry) => entry.pair) ? found : null;
        },
        Math.min(5_000, remaining()),
      );
      report.pages[index].pairs =
        pairs ?? (await opening.page.evaluate(() => window.switchboardDemo.selectedPairs()));
      for (const entry of report.pages[index].pairs) {
        if (!entry.pair) {
          report.failures.push(`${opening.name}: no selected candidate pair towards ${entry.participantId}`);
          continue;
        }
        if (relay && entry.pair.local.candidateType !== 'relay')
          report.failures.push(
            `${opening.name}: the pair towards ${entry.participantId} uses a ${entry.pair.local.candidateType} local candidate, not relay`,
          );
      }
    }
    if (SCENARIOS[scenarioName].lifecycle) await checkLifecycle(opened, report, remaining);
    if (SCENARIOS[scenarioName].lateJoinAndLeave)
      await checkLateJoinAndLeave(browser, baseUrl, room, opened, report, problems, remaining);
    report.ok = report.failures.length === 0;
    return report;
  } catch (error) {
    report.failures.push(`scenario failed: ${error?.stack ?? error}`);
    return report;
  } finally {
    report.durationMs = Date.now() - started;
    if (flags.screenshots) {
      await mkdir(flags.screenshots, { recursive: true });
      for (const { name, page } of opened)
        await page
          .screenshot({ path: join(flags.screenshots, `${scenarioName}-${name}.png`) })
          .catch(() => {});
    }
    for (const { page } of opened) await page.evaluate(() => window.switchboardDemo?.leave()).catch(() => {});
    for (const { context } of opened) await context.close().catch(() => {});
  }
}

async function main() {
  const result = { ok: false, scenarios: [], failures: [], serverErrors: [] };
  const deadline = startDeadline(result, flags['deadline-ms']);
  const names = flags.scenarios.split(',').filter(Boolean);
  for (const name of names) if (!(name in SCENARIOS)) throw new Error(`unknown scenario ${name}`);
  const servers = new Map();
  let browser;
  try {
    browser = await launchChromium(flags.chromium, { headless: !flags.headed });
    note(`Chromium ${browser.version()}`);
    result.browserVersion = browser.version();
    for (const name of names) {
      // One server per room mode, started when a scenario first needs it.
      const mode = flags['room-mode'] ?? SCENARIOS[name].mode;
      let server = servers.get(mode);
      if (!server) {
        server = await startServer({ dist: flags.dist, roomMode: mode });
        servers.set(mode, server);
        note(`${mode} server at http://127.0.0.1:${server.port}`);
      }
      const report = await runScenario(browser, `http://127.0.0.1:${server.port}`, name, mode);
      const late = report.lateJoin
        ? `, late joiner decoded every video ${report.lateJoin.firstFramesAfterMs} ms after joining, ${report.lateJoin.firstFramesAfterSubscribedMs} ms after its subscribe connection was up`
        : '';
      const timing = `joined after ${report.joinedAfterMs} ms, videos after ${report.videosAfterMs} ms${late}, done after ${report.durationMs} ms`;
      note(`${name}: ${report.ok ? 'ok' : `FAILED\n  ${report.failures.join('\n  ')}`} (${timing})`);
      result.scenarios.push(report);
    }
    result.ok = result.scenarios.every((scenario) => scenario.ok);
  } catch (error) {
    result.failures.push(String(error?.stack ?? error));
  } finally {
    await browser?.close().catch(() => {});
    for (const server of servers.values()) {
      result.serverErrors.push(...server.warnings());
      await server.stop();
    }
  }
  clearTimeout(deadline);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exitCode = result.ok ? 0 : 1;
}

await main();
