/**
 * Browser end to end: the demo page, served by `switchboard start --dev`, in
 * Chromium with a fake camera and microphone. Pages join one room and must
 * see every other participant's video play, receive each other's chat, and
 * (with `relay=1`) send their media through the embedded TURN server. In an
 * sfu room the media goes through the server's SFU: three pages, then a
 * fourth that joins late, then one that leaves; there the chat goes on the
 * data channels the server opens on each page's subscribe connection, while
 * in p2p rooms it goes through signaling.
 *
 * The browser side runs in test/e2e/browser-driver.mjs, inside a network
 * namespace with only loopback (`unshare -n`), so Chromium gathers no
 * candidate on the machine's real interfaces and no packet leaves it. This
 * file builds the project into a folder of its own, runs the driver once for
 * all scenarios, and asserts on the JSON report it prints.
 */
import { beforeAll, expect, it } from 'vitest';
import { describeWithTools, toolAvailable } from '../helpers/tools.js';
import { buildDirectory, buildProject, CHROMIUM, runDriver } from './e2e-build.js';

const chromium = toolAvailable(CHROMIUM, 'chromium');

/** The report of browser-driver.mjs (the fields asserted here). */
interface DriverReport {
  ok: boolean;
  failures: string[];
  browserVersion?: string;
  serverErrors: Record<string, unknown>[];
  scenarios: {
    name: string;
    mode: 'p2p' | 'sfu';
    relay: boolean;
    lateJoin?: {
      joined: boolean;
      firstFramesAfterMs: number | null;
      firstFramesAfterSubscribedMs: number | null;
      videos: number;
      leftSeen: boolean;
    };
    ok: boolean;
    failures: string[];
    problems: string[];
    lifecycle?: Record<string, boolean>;
    pages: {
      name: string;
      participantId: string | null;
      videos: { participantId: string; identity: string; videoWidth: number; advancedBy: number }[];
      chat: {
        from: string | null;
        name: string;
        text: string;
        own: boolean;
        via: 'datachannel' | 'signaling';
      }[];
      /** The data channels of the page's room (sfu rooms: `reliable` and `lossy`). */
      dataChannels: { label: string; readyState: string }[];
      dataStats: { malformed: number; dropped: number } | null;
      pairs: {
        participantId: string;
        pair: { local: { candidateType: string }; remote: { candidateType: string } } | null;
      }[];
    }[];
  }[];
}

describeWithTools('calls between Chromium pages of the demo', chromium, () => {
  let report: DriverReport;

  beforeAll(async () => {
    const distDir = buildProject(buildDirectory('switchboard-e2e'));
    report = await runDriver<DriverReport>(
      [
        'test/e2e/browser-driver.mjs',
        ...['--dist', distDir, '--chromium', CHROMIUM],
        ...['--scenarios', 'two,three,relay,sfu'],
      ],
      170_000,
    );
  }, 220_000);

  /** The report of one scenario, with every failure it recorded in the assertion message. */
  function scenario(name: string) {
    expect(report.failures, 'driver failures').toEqual([]);
    const found = report.scenarios.find((entry) => entry.name === name);
    expect(found, `scenario ${name} ran`).toBeDefined();
    expect(found!.failures, `${name}: ${found!.problems.join('\n')}`).toEqual([]);
    return found!;
  }

  /**
   * Every page shows every other page's participant with a playing video, and
   * got every other page's chat line: on a data channel in sfu rooms, through
   * signaling in p2p rooms.
   */
  function expectFullMesh(name: string, pageCount: number) {
    const run = scenario(name);
    expect(run.pages).toHaveLength(pageCount);
    const ids = run.pages.map((page) => page.participantId);
    for (const page of run.pages) {
      const others = ids.filter((id) => id !== page.participantId).sort();
      expect(page.videos.map((video) => video.participantId).sort(), `${page.name}'s tiles`).toEqual(others);
      for (const video of page.videos) {
        expect(video.videoWidth, `${page.name} sees ${video.identity}`).toBeGreaterThan(0);
        expect(video.advancedBy, `${page.name} plays ${video.identity}`).toBeGreaterThan(0.3);
      }
    }
    const via = run.mode === 'sfu' ? 'datachannel' : 'signaling';
    // Every page sent a line; every other page got it, on the room's path.
    for (const sender of run.pages) {
      const sent = sender.chat.find((line) => line.own);
      expect(sent, `${sender.name} sent a chat line`).toBeDefined();
      expect(sent!.via, `${sender.name} sent its chat line`).toBe(via);
      for (const page of run.pages) {
        if (page === sender) continue;
        expect(page.chat, `${page.name}'s chat`).toContainEqual({
          from: sender.participantId,
          name: sender.name,
          text: sent!.text,
          own: false,
          via,
        });
      }
    }
    return run;
  }

  it('two pages: each plays the other and gets the chat', () => {
    expectFullMesh('two', 2);
  });

  it('two pages: mute is seen, a dropped signaling connection resumes the same participant, leave is seen', () => {
    expect(scenario('two').lifecycle).toEqual({
      muteSeen: true,
      dropped: true,
      resumed: true,
      stillInRoom: true,
      playingAfterResume: true,
      leftSeen: true,
    });
  });

  it('three pages: a full mesh of three calls', () => {
    expectFullMesh('three', 3);
  });

  it('two pages with relay=1: media goes through the embedded TURN server', () => {
    const run = expectFullMesh('relay', 2);
    expect(run.relay).toBe(true);
    for (const page of run.pages) {
      expect(page.pairs).toHaveLength(1);
      expect(page.pairs[0].pair?.local.candidateType, `${page.name}'s local candidate`).toBe('relay');
      expect(page.pairs[0].pair?.remote.candidateType, `${page.name}'s remote candidate`).toBe('relay');
    }
  });

  it('three pages in an sfu room: every page plays the two others through the server and chats with both on data channels', () => {
    const run = expectFullMesh('sfu', 3);
    expect(run.mode).toBe('sfu');
  });

  it('sfu room: the chat went on data channels, and every page holds the reliable and lossy channels open', () => {
    const run = scenario('sfu');
    expect(run.mode).toBe('sfu');
    for (const page of run.pages) {
      const channels = page.dataChannels.map(({ label, readyState }) => `${label}:${readyState}`).sort();
      expect(channels, `${page.name}'s data channels`).toEqual(['lossy:open', 'reliable:open']);
      expect(page.dataStats?.malformed, `${page.name}'s malformed envelopes`).toBe(0);
      for (const line of page.chat) expect(line.via, `${page.name}: "${line.text}"`).toBe('datachannel');
    }
  });

  it('p2p rooms: the chat went through signaling, and there are no data channels', () => {
    for (const name of ['two', 'three', 'relay']) {
      const run = scenario(name);
      expect(run.mode).toBe('p2p');
      for (const page of run.pages) {
        expect(page.dataChannels, `${name}: ${page.name}'s data channels`).toEqual([]);
        for (const line of page.chat)
          expect(line.via, `${name}: ${page.name}: "${line.text}"`).toBe('signaling');
      }
    }
  });

  it('sfu room: a late joiner decodes every video, and a page that leaves drops out of every grid', () => {
    const late = scenario('sfu').lateJoin;
    expect(late?.joined).toBe(true);
    expect(late?.videos).toBe(3);
    expect(late?.firstFramesAfterMs).not.toBeNull();
    // How soon is reported, not asserted: this machine's load decides it.
    console.log(
      `late joiner decoded every video ${late?.firstFramesAfterMs} ms after joining, ${late?.firstFramesAfterSubscribedMs} ms after its subscribe connection was up`,
    );
    expect(late?.leftSeen).toBe(true);
  });

  it('the server logged no warning or error during the calls', () => {
    expect(report.serverErrors).toEqual([]);
  });

  it('no page threw, and the SDK reported no error (server error messages, failed negotiations)', () => {
    const sdkProblems = report.scenarios.flatMap((run) =>
      run.problems.filter((problem) => problem.includes('page error:') || problem.includes('switchboard:')),
    );
    expect(sdkProblems).toEqual([]);
  });
});
