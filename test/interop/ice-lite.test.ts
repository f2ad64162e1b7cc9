/**
 * Interop of the ICE-lite agent with full ICE agents: libdatachannel (through
 * node-datachannel, whose ICE is libjuice) and libwebrtc (through
 * @roamhq/wrtc). Each peer makes an offer with a data channel, so it is the
 * controlling side; it gets a hand-written answer with our credentials and
 * host candidate, and must reach ICE 'connected'. DTLS cannot complete (the
 * answer's fingerprint is made up and nothing here speaks DTLS), so the test
 * stops at ICE, plus the DTLS ClientHello that proves packets flow on the
 * selected tuple.
 *
 * What the peers require of the answer: both refuse one without
 * a=fingerprint; libdatachannel also refuses one without a=setup (it reads
 * the default as "actpass", illegal in an answer), while libwebrtc assumes
 * active/passive. Neither needs a=ice-lite to pick the controlling role (the
 * offerer controls anyway, RFC 8445 §6.1.1), nor a=group:BUNDLE, a=mid,
 * c=, a=sctp-port or a=end-of-candidates to finish ICE; the answer carries
 * them all because a real SFU's answer does.
 */
import { createRequire } from 'node:module';
import nodeDataChannel from 'node-datachannel';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  type IceLiteAgent as Agent,
  IceLiteAgent,
  type IceMux,
  IceTcpMux,
  IceUdpMux,
  type MediaPacketKind,
} from '../../src/ice/index.js';

const require = createRequire(import.meta.url);

/** The subset of the W3C API the test uses; @roamhq/wrtc ships no types. */
interface RTCPeerConnectionLike {
  iceConnectionState: string;
  onicecandidate: ((event: { candidate: { candidate: string } | null }) => void) | null;
  createDataChannel(label: string): unknown;
  createOffer(): Promise<{ type: string; sdp: string }>;
  setLocalDescription(description: { type: string; sdp: string }): Promise<void>;
  setRemoteDescription(description: { type: string; sdp: string }): Promise<void>;
  restartIce(): void;
  close(): void;
}
const wrtc = require('@roamhq/wrtc') as {
  RTCPeerConnection: new (configuration: { iceServers: unknown[] }) => RTCPeerConnectionLike;
};

/** A made-up but well-formed sha-256 fingerprint (RFC 8122 §5). */
const FINGERPRINT = Array.from({ length: 32 }, (_, i) => ((i * 37 + 11) & 0xff).toString(16).padStart(2, '0'))
  .join(':')
  .toUpperCase();

function offerParameters(sdp: string): { mid: string; usernameFragment: string; password: string } {
  const mid = /^a=mid:(\S+)/m.exec(sdp)?.[1];
  const usernameFragment = /^a=ice-ufrag:(\S+)/m.exec(sdp)?.[1];
  const password = /^a=ice-pwd:(\S+)/m.exec(sdp)?.[1];
  if (!mid || !usernameFragment || !password)
    throw new Error(`offer without mid or ICE credentials:\n${sdp}`);
  return { mid, usernameFragment, password };
}

/** The answer an ICE-lite SFU gives to a data-channel offer (RFC 8839, RFC 8841, RFC 8843). */
function answerSdp(offer: string, agent: Agent): string {
  const { mid } = offerParameters(offer);
  const local = agent.localParameters;
  return `${[
    'v=0',
    'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=ice-lite',
    `a=group:BUNDLE ${mid}`,
    'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
    'c=IN IP4 0.0.0.0',
    `a=mid:${mid}`,
    `a=ice-ufrag:${local.usernameFragment}`,
    `a=ice-pwd:${local.password}`,
    `a=fingerprint:sha-256 ${FINGERPRINT}`,
    'a=setup:passive',
    'a=sctp-port:5000',
    'a=max-message-size:262144',
    ...agent.localCandidateLines.map((line) => `a=${line}`),
    'a=end-of-candidates',
  ].join('\r\n')}\r\n`;
}

async function waitFor(description: string, predicate: () => boolean, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      await cleanup();
    } catch {
      // Closing a peer that failed half-way may throw; the next cleanups must still run.
    }
  }
});
afterAll(() => nodeDataChannel.cleanup());

async function startAgent(transport: 'udp' | 'tcp') {
  const mux: IceMux & { close(): Promise<void> } =
    transport === 'udp'
      ? await IceUdpMux.listen({ address: '127.0.0.1', port: 0 })
      : await IceTcpMux.listen({ address: '127.0.0.1', port: 0 });
  cleanups.push(() => mux.close());
  const agent = new IceLiteAgent(transport === 'udp' ? { udp: [mux] } : { tcp: [mux] });
  cleanups.push(() => agent.close());
  const packets: MediaPacketKind[] = [];
  agent.on('packet', (_data, kind) => packets.push(kind));
  return { mux, agent, packets };
}

describe('ICE-lite interop', () => {
  it('libdatachannel (node-datachannel) connects over UDP', async () => {
    const { agent, packets } = await startAgent('udp');
    const peer = new nodeDataChannel.PeerConnection('ice-lite-interop', {
      iceServers: [],
      bindAddress: '127.0.0.1',
    });
    cleanups.push(() => peer.close());
    const iceStates: string[] = [];
    peer.onIceStateChange((state) => iceStates.push(state));
    const offer = await new Promise<string>((resolve) => {
      peer.onLocalDescription((sdp) => resolve(sdp));
      peer.createDataChannel('probe');
    });
    agent.setRemoteParameters(offerParameters(offer));
    peer.setRemoteDescription(answerSdp(offer, agent), 'answer');

    await waitFor('libdatachannel ICE connected', () => ['connected', 'completed'].includes(peer.iceState()));
    await waitFor('our agent completed', () => agent.state === 'completed');
    // libdatachannel is the DTLS client (we answered setup:passive): its ClientHello arrives on the tuple.
    await waitFor('a DTLS packet', () => packets.includes('dtls'));

    expect(iceStates).not.toContain('failed');
    const pair = peer.getSelectedCandidatePair();
    expect(agent.selectedTuple?.protocol).toBe('udp');
    expect(agent.selectedTuple?.remote.address).toBe('127.0.0.1');
    expect(agent.selectedTuple?.remote.port).toBe(pair?.local.port);
    expect(pair?.remote.port).toBe(agent.localCandidates[0].port);
    expect(agent.stats.unauthorized + agent.stats.badRequests + agent.stats.roleConflicts).toBe(0);
  }, 10_000);

  /** Opens a libwebrtc peer connection with a data channel and answers its offer. */
  async function connectLibwebrtc(agent: Agent) {
    const peer = new wrtc.RTCPeerConnection({ iceServers: [] });
    cleanups.push(() => peer.close());
    const gathered: string[] = [];
    peer.onicecandidate = (event) => {
      if (event.candidate) gathered.push(event.candidate.candidate);
    };
    peer.createDataChannel('probe');
    const offer = await peer.createOffer();
    await peer.setLocalDescription(offer);
    agent.setRemoteParameters(offerParameters(offer.sdp));
    await peer.setRemoteDescription({ type: 'answer', sdp: answerSdp(offer.sdp, agent) });
    return { peer, gathered };
  }

  /** "address port" of libwebrtc's own candidates: the tuple we select must be one of them. */
  function candidateEndpoints(lines: string[], protocol: 'udp' | 'tcp'): string[] {
    return lines
      .map((line) => line.split(' '))
      .filter((fields) => fields[2]?.toLowerCase() === protocol)
      .map((fields) => `${fields[4]} ${fields[5]}`);
  }

  it('libwebrtc (@roamhq/wrtc) connects over UDP', async () => {
    const { agent, packets } = await startAgent('udp');
    const { peer, gathered } = await connectLibwebrtc(agent);

    await waitFor('libwebrtc ICE connected', () =>
      ['connected', 'completed'].includes(peer.iceConnectionState),
    );
    await waitFor('our agent completed', () => agent.state === 'completed');
    await waitFor('a DTLS packet', () => packets.includes('dtls'));

    const tuple = agent.selectedTuple!;
    expect(tuple.protocol).toBe('udp');
    // libwebrtc checks from every host candidate, loopback or not; all stay inside this machine.
    expect(candidateEndpoints(gathered, 'udp')).toContain(`${tuple.remote.address} ${tuple.remote.port}`);
    expect(agent.stats.unauthorized + agent.stats.badRequests + agent.stats.roleConflicts).toBe(0);
  }, 10_000);

  it('libwebrtc (@roamhq/wrtc) connects over passive ICE-TCP (RFC 6544)', async () => {
    const { agent, packets } = await startAgent('tcp');
    const { peer } = await connectLibwebrtc(agent);

    await waitFor('libwebrtc ICE connected', () =>
      ['connected', 'completed'].includes(peer.iceConnectionState),
    );
    await waitFor('our agent completed', () => agent.state === 'completed');
    await waitFor('a DTLS packet', () => packets.includes('dtls'));
    expect(agent.selectedTuple?.protocol).toBe('tcp');
    expect(agent.selectedTuple?.local.port).toBe(agent.localCandidates[0].port);
  }, 10_000);

  it('libwebrtc (@roamhq/wrtc) completes an ICE restart with new credentials', async () => {
    const { mux, agent } = await startAgent('udp');
    const { peer } = await connectLibwebrtc(agent);
    await waitFor('our agent completed', () => agent.state === 'completed');
    const before = agent.localParameters;

    peer.restartIce();
    const offer = await peer.createOffer();
    await peer.setLocalDescription(offer);
    const remote = offerParameters(offer.sdp);
    const fresh = agent.restart(remote);
    expect(fresh.usernameFragment).not.toBe(before.usernameFragment);
    await peer.setRemoteDescription({ type: 'answer', sdp: answerSdp(offer.sdp, agent) });

    // The old ufrag is unregistered once a check with the new credentials has succeeded.
    await waitFor('the restart to complete', () => (mux as IceUdpMux).usernameFragmentCount === 1);
    expect(agent.state).toBe('completed');
    expect(agent.remoteParameters?.usernameFragment).toBe(remote.usernameFragment);
    await waitFor('libwebrtc ICE connected', () =>
      ['connected', 'completed'].includes(peer.iceConnectionState),
    );
  }, 10_000);
});
