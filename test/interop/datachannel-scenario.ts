/**
 * One data-channel conversation with a real WebRTC library in its own process
 * (peers/ndc-datachannel-peer.cjs or peers/wrtc-datachannel-peer.cjs, which
 * share a protocol), against our WebRtcTransport with SCTP over DTLS:
 *
 * 1. The peer offers three channels: 'p-ordered' (reliable, ordered),
 *    'p-unordered' (reliable, unordered) and 'p-partial' (unordered,
 *    maxRetransmits 0). It sends its plan on each (text and binary, 0 B to
 *    256 KiB); we echo everything; the peer checks order and bytes on the
 *    ordered channel, and that each message came back once and intact on the
 *    unordered ones.
 * 2. We open the same three kinds towards the peer ('o-…'); it echoes; we
 *    check the same way.
 * 3. The peer closes 'p-ordered' while partially reliable messages are
 *    still in flight (we must see 'close'), we close 'o-ordered' (the peer
 *    must see it closed), and channels opened afterwards from both sides
 *    (the peer's typically reusing the freed stream id) still echo.
 * 4. a=max-message-size is advertised by us and honoured for the peer's,
 *    nothing either library sent was dropped, and no internal error occurred.
 *
 * With `loss`, the path runs through a proxy on loopback that drops that
 * fraction of the SCTP-carrying datagrams each way. Partially reliable
 * channels may lose any message, so they only have to carry one intact.
 * Every wait is bounded; nothing asserts a duration.
 */
import { createRequire } from 'node:module';
import { expect } from 'vitest';
import type { IceUdpMux } from '../../src/ice/index.js';
import { type DtlsRole, WebRtcTransport } from '../../src/media/webrtc-transport.js';
import type { DataChannel, DataChannelOptions } from '../../src/sctp/index.js';
import {
  createAnswer,
  fingerprintFromDescription,
  iceParametersFromDescription,
  parseSdp,
  type SdpMediaSection,
  writeSdp,
} from '../../src/sdp/index.js';
import type { SelfSignedCertificate } from '../../src/util/certificate.js';
import { candidateLinesVia, LossyUdpProxy, seededRandom } from '../helpers/lossy-udp-proxy.js';
import { type PeerMessage, StdioPeer } from './peers/stdio-peer.js';

/** One message of a plan. */
export interface PlanEntry {
  kind: 'text' | 'binary';
  size: number;
}

/** What a check found (see peers/datachannel-messages.cjs). */
export interface CheckReport {
  ordered: boolean;
  expected: number;
  received: number;
  intact: number;
  mismatches: number;
  duplicates: number;
  firstMismatch: unknown;
  done: boolean;
}

/** A check of echoed messages (see peers/datachannel-messages.cjs). */
export interface MessageCheck {
  report: CheckReport;
  push(message: string | Buffer): CheckReport;
}

/** The shared message module of the peers, typed. */
export interface DataChannelMessages {
  messagePlan(sizes: number[], empty: boolean): PlanEntry[];
  messageFor(label: string, index: number, kind: PlanEntry['kind'], size: number): string | Buffer;
  messagesFor(label: string, plan: PlanEntry[]): (string | Buffer)[];
  digestOf(message: string | Uint8Array): string;
  OrderedCheck: new (expected: (string | Buffer)[]) => MessageCheck;
  UnorderedCheck: new (expected: (string | Buffer)[]) => MessageCheck;
}

/** The message generator and checks the peer scripts use, so both sides derive the same bytes. */
export const messages = createRequire(import.meta.url)(
  './peers/datachannel-messages.cjs',
) as DataChannelMessages;

/** 1 B to 256 KiB, with the sizes around our 1132-byte DATA payload (1160-byte packets) and 64 KiB. */
export const FULL_SIZES = [
  1, 2, 3, 100, 1000, 1131, 1132, 1133, 1200, 2264, 2265, 4096, 16384, 65535, 65536, 65537, 131072, 262143,
  262144,
];
/** Small messages for the partially reliable channels. */
export const PARTIAL_SIZES = [1, 2, 10, 100, 500, 1000];

/** A transport answering a peer's data-channel offer. */
export interface DataChannelSession {
  transport: WebRtcTransport;
  answerSdp: string;
  /** The offer's m=application section. */
  application: SdpMediaSection;
}

/**
 * Answers a data-channel offer with a transport that has SCTP enabled,
 * taking the peer's a=sctp-port and a=max-message-size (RFC 8841 §6.1: 64 KiB
 * when absent) and advertising ours.
 */
export function answerDataChannelOffer(
  offerSdp: string,
  options: {
    role: DtlsRole;
    mux: IceUdpMux;
    certificate: SelfSignedCertificate;
    maxMessageSize?: number;
    /** Rewrites the candidates the answer announces (to send the peer through a proxy). */
    candidates?: (own: string[]) => string[];
  },
): DataChannelSession {
  const parsed = parseSdp(offerSdp);
  if (!parsed.ok) throw parsed.error;
  const offer = parsed.value;
  const remoteIce = iceParametersFromDescription(offer);
  const remoteFingerprint = fingerprintFromDescription(offer);
  if (!remoteIce || !remoteFingerprint) throw new Error('offer without ICE credentials or fingerprint');
  const application = offer.media.find((section) => section.kind === 'application');
  if (!application) throw new Error('offer without m=application');
  const transport = new WebRtcTransport({
    udp: [options.mux],
    certificate: options.certificate,
    dataChannels: {
      remotePort: application.sctpPort ?? 5000,
      maxMessageSize: options.maxMessageSize,
      remoteMaxMessageSize: application.maxMessageSize ?? 65536,
    },
  });
  const answer = createAnswer(offer, {
    iceParameters: transport.iceParameters,
    candidates: options.candidates
      ? options.candidates(transport.iceCandidateLines)
      : transport.iceCandidateLines,
    fingerprint: { algorithm: 'sha-256', value: options.certificate.fingerprintSha256 },
    setup: options.role === 'client' ? 'active' : 'passive',
    sendSsrcs: {},
    maxMessageSize: options.maxMessageSize,
  });
  if (!answer.ok) throw answer.error;
  transport.connect({
    ice: { usernameFragment: remoteIce.usernameFragment, password: remoteIce.password },
    dtls: { role: options.role, fingerprints: [remoteFingerprint] },
  });
  return { transport, answerSdp: writeSdp(answer.value.description), application };
}

/** Resolves when `register` calls its callback; rejects after timeoutMs naming `what`. */
export function within<T>(
  timeoutMs: number,
  what: string,
  register: (resolve: (value: T) => void, reject: (error: Error) => void) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
    register(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Waits for a channel's 'open' (at once when already open). */
export function opened(channel: DataChannel, timeoutMs = 10_000): Promise<void> {
  return within(timeoutMs, `channel ${channel.label} to open`, (resolve) => {
    if (channel.readyState === 'open') resolve(undefined);
    else channel.once('open', () => resolve(undefined));
  });
}

/** Waits for a channel's 'close' (at once when already closed). */
export function closed(channel: DataChannel, timeoutMs = 10_000): Promise<void> {
  return within(timeoutMs, `channel ${channel.label} to close`, (resolve) => {
    if (channel.readyState === 'closed') resolve(undefined);
    else channel.once('close', () => resolve(undefined));
  });
}

/** Waits for the peer's progress report on `label` satisfying `done`. */
export function peerProgress(
  peer: StdioPeer,
  label: string,
  done: (report: CheckReport) => boolean,
  what: string,
): Promise<CheckReport> {
  return peer
    .waitFor(
      (m) => m.type === 'progress' && m.label === label && done(m.report as CheckReport),
      30_000,
      `${what} (${label})`,
    )
    .then((m) => m.report as CheckReport);
}

/**
 * Sends a plan on one of our channels and checks the peer's echoes. A
 * partially reliable channel may lose any message, so there the plan goes
 * out again every second (up to 20 times) until one echo came back intact.
 */
export function sendPlan(channel: DataChannel, plan: PlanEntry[]): MessageCheck {
  const expected = messages.messagesFor(channel.label, plan);
  const check = channel.ordered ? new messages.OrderedCheck(expected) : new messages.UnorderedCheck(expected);
  channel.on('message', (data) => check.push(data));
  for (const message of expected) channel.send(message);
  if (channel.maxRetransmits !== undefined || channel.maxPacketLifeTime !== undefined) {
    let rounds = 0;
    const timer = setInterval(() => {
      if (check.report.intact > 0 || ++rounds > 20 || channel.readyState !== 'open') clearInterval(timer);
      else for (const message of expected) channel.send(message);
    }, 1000);
  }
  return check;
}

/** Resolves once `check` satisfies `done` (checked on every message of the channel). */
export function ourProgress(
  channel: DataChannel,
  check: MessageCheck,
  done: (report: CheckReport) => boolean,
): Promise<CheckReport> {
  return within(30_000, `the peer's echoes on ${channel.label}`, (resolve) => {
    if (done(check.report)) return resolve(check.report);
    const onMessage = (): void => {
      // The check's own listener was added first, so the report is current here.
      if (!done(check.report)) return;
      channel.off('message', onMessage);
      resolve(check.report);
    };
    channel.on('message', onMessage);
  });
}

/** What a scenario run can be asked to vary. */
export interface ScenarioOptions {
  /** Sizes for the reliable channels. Default FULL_SIZES. */
  sizes?: number[];
  /**
   * Fraction of the SCTP-carrying datagrams (DTLS application data) lost in
   * each direction, through a proxy on loopback. Default 0: no proxy.
   */
  loss?: number;
}

/** DTLS records of content type 23 carry SCTP (RFC 8261); the handshake is left alone. */
function isDtlsApplicationData(datagram: Buffer): boolean {
  return datagram.length > 0 && datagram[0] === 23;
}

/** Runs the whole conversation of the file comment against one peer script in one DTLS role. */
export async function runDataChannelScenario(
  script: string,
  role: DtlsRole,
  context: { mux: IceUdpMux; certificate: SelfSignedCertificate },
  options: ScenarioOptions = {},
): Promise<void> {
  const sizes = options.sizes ?? FULL_SIZES;
  const plan = messages.messagePlan(sizes, true);
  const partialPlan = messages.messagePlan(PARTIAL_SIZES, false);
  const peer = new StdioPeer(script, { sizes, empty: true, partialSizes: PARTIAL_SIZES, seconds: 55 });
  let transport: WebRtcTransport | undefined;
  let proxy: LossyUdpProxy | undefined;
  try {
    const loss = options.loss ?? 0;
    if (loss > 0) {
      const downstreamRandom = seededRandom(2);
      proxy = await LossyUdpProxy.listen({
        target: context.mux.localAddress,
        upstreamLoss: loss,
        lossy: isDtlsApplicationData,
        passDownstream: (datagram) => !isDtlsApplicationData(datagram) || downstreamRandom() >= loss,
      });
    }
    const via = proxy?.address;
    const offer = await peer.waitFor((m) => m.type === 'offer', 10_000, 'the offer');
    const session = answerDataChannelOffer(String(offer.sdp), {
      role,
      ...context,
      candidates: via ? (own) => candidateLinesVia(own, via) : undefined,
    });
    transport = session.transport;
    // We advertise our limit (RFC 8841 §6) and honour theirs: libwebrtc and libdatachannel both say 256 KiB.
    expect(session.answerSdp).toMatch(/^a=max-message-size:262144\r?$/m);
    expect(session.answerSdp).toMatch(/^a=sctp-port:5000\r?$/m);
    expect(session.application.maxMessageSize).toBe(262144);

    // Peer-opened channels: echo everything back.
    const theirs = new Map<string, DataChannel>();
    transport.on('datachannel', (channel) => {
      theirs.set(channel.label, channel);
      channel.on('message', (data) => {
        if (channel.readyState === 'open') channel.send(data);
      });
    });
    peer.send({ type: 'answer', sdp: session.answerSdp });

    const [ordered, unordered, partial] = await Promise.all([
      peerProgress(peer, 'p-ordered', (r) => r.done || r.mismatches > 0, 'every message echoed in order'),
      peerProgress(peer, 'p-unordered', (r) => r.done || r.mismatches > 0, 'every message echoed'),
      // Partial reliability may lose a message in principle; one intact echo proves the channel works.
      peerProgress(peer, 'p-partial', (r) => r.intact >= 1 || r.mismatches > 0, 'an echo'),
    ]);
    expect(ordered).toMatchObject({
      expected: plan.length,
      intact: plan.length,
      mismatches: 0,
      duplicates: 0,
    });
    expect(ordered.firstMismatch).toBeNull();
    expect(unordered).toMatchObject({ expected: plan.length, intact: plan.length, mismatches: 0 });
    expect(unordered.duplicates).toBe(0);
    expect(partial.mismatches).toBe(0);

    // What DATA_CHANNEL_OPEN told us; the offerer's ids have its DTLS role's parity (RFC 8832 §6).
    const peerParity = role === 'server' ? 0 : 1;
    expect([...theirs.keys()].sort()).toEqual(['p-ordered', 'p-partial', 'p-unordered']);
    const pOrdered = theirs.get('p-ordered')!;
    const pUnordered = theirs.get('p-unordered')!;
    const pPartial = theirs.get('p-partial')!;
    expect(pOrdered).toMatchObject({ protocol: 'seq-v1', ordered: true, maxRetransmits: undefined });
    expect(pUnordered).toMatchObject({ ordered: false, maxRetransmits: undefined });
    expect(pPartial).toMatchObject({ ordered: false, maxRetransmits: 0 });
    for (const channel of theirs.values()) expect(channel.id % 2).toBe(peerParity);

    // Our channels towards the peer, which echoes.
    const manager = transport.dataChannels;
    if (!manager) throw new Error('no data channel manager');
    expect(manager.maxMessageSize).toBe(262144);
    const create = (label: string, init: DataChannelOptions): DataChannel => {
      const channel = manager.createDataChannel(label, init);
      expect(channel.id % 2).toBe(1 - peerParity);
      return channel;
    };
    const oOrdered = create('o-ordered', { protocol: 'ours-v1' });
    const oUnordered = create('o-unordered', { ordered: false });
    const oPartial = create('o-partial', { ordered: false, maxRetransmits: 0 });
    await Promise.all([opened(oOrdered), opened(oUnordered), opened(oPartial)]);
    // Above the peer's a=max-message-size: refused here, before anything reaches the wire.
    expect(() => oOrdered.send(Buffer.alloc(262145))).toThrow(
      expect.objectContaining({ code: 'ERR_SCTP_MESSAGE_TOO_LARGE' }),
    );
    const orderedCheck = sendPlan(oOrdered, plan);
    const unorderedCheck = sendPlan(oUnordered, plan);
    const partialCheck = sendPlan(oPartial, partialPlan);
    const [oursOrdered, oursUnordered, oursPartial] = await Promise.all([
      ourProgress(oOrdered, orderedCheck, (r) => r.done || r.mismatches > 0),
      ourProgress(oUnordered, unorderedCheck, (r) => r.done || r.mismatches > 0),
      ourProgress(oPartial, partialCheck, (r) => r.intact >= 1 || r.mismatches > 0),
    ]);
    expect(oursOrdered).toMatchObject({ intact: plan.length, mismatches: 0, duplicates: 0 });
    expect(oursUnordered).toMatchObject({ intact: plan.length, mismatches: 0, duplicates: 0 });
    expect(oursPartial.mismatches).toBe(0);
    const remote = (label: string): Promise<PeerMessage> =>
      peer.waitFor(
        (m) => m.type === 'remote-channel' && m.label === label,
        10_000,
        `the peer to see ${label}`,
      );
    expect(await remote('o-ordered')).toMatchObject({ protocol: 'ours-v1', id: oOrdered.id });
    const remoteUnordered = await remote('o-unordered');
    const remotePartial = await remote('o-partial');
    // libwebrtc reports the reliability it read from our DATA_CHANNEL_OPEN; libdatachannel's API does not.
    if (remoteUnordered.ordered !== undefined) {
      expect(remoteUnordered).toMatchObject({ ordered: false, maxRetransmits: null });
      expect(remotePartial).toMatchObject({ ordered: false, maxRetransmits: 0 });
    }

    // The peer closes one of its channels: ours sees 'close' once both directions are reset. Partially
    // reliable messages are still in flight, so on a lossy path the peer may have to wait for a FORWARD
    // TSN before it can perform our reset of the stream.
    for (const message of messages.messagesFor('o-partial-burst', messages.messagePlan([200, 900], false)))
      for (let copy = 0; copy < 10; copy++) oPartial.send(message);
    const theirOrderedClosed = closed(pOrdered);
    peer.send({ type: 'close', label: 'p-ordered' });
    await theirOrderedClosed;
    await peer.waitFor((m) => m.type === 'closed' && m.label === 'p-ordered', 10_000, 'p-ordered to close');
    // We close one of ours: the peer sees it closed.
    const ourOrderedClosed = closed(oOrdered);
    oOrdered.close();
    await ourOrderedClosed;
    await peer.waitFor((m) => m.type === 'closed' && m.label === 'o-ordered', 10_000, 'o-ordered to close');
    expect(manager.channels.has(oOrdered.id)).toBe(false);
    expect(manager.channels.has(pOrdered.id)).toBe(false);

    // The other channels and the association carry on: new channels from both sides (libwebrtc gives
    // the peer's the stream id just freed), and the ones left open.
    const reopenSizes = [1, 3000, 70000];
    peer.send({ type: 'open', label: 'p-reopen', sizes: reopenSizes });
    const reopened = await peerProgress(peer, 'p-reopen', (r) => r.done || r.mismatches > 0, 'the echoes');
    const reopenCount = reopenSizes.length * 2;
    expect(reopened).toMatchObject({ expected: reopenCount, intact: reopenCount, mismatches: 0 });
    expect(theirs.get('p-reopen')?.id).toBeDefined();
    const after = create('o-after', {});
    await opened(after);
    const afterCheck = sendPlan(after, messages.messagePlan([5, 5000], false));
    const afterReport = await ourProgress(after, afterCheck, (r) => r.done || r.mismatches > 0);
    expect(afterReport).toMatchObject({ intact: 4, mismatches: 0 });
    expect(oUnordered.readyState).toBe('open');
    expect(pUnordered.readyState).toBe('open');

    const stats = transport.sctpAssociation?.stats;
    expect(transport.sctpAssociation?.state).toBe('established');
    // We offer I-DATA (RFC 8260); neither library does by default, so DATA it is.
    expect(transport.sctpAssociation?.messageInterleaving).toBe(false);
    expect(stats?.internalErrors).toBe(0);
    // Nothing either library sent was refused.
    expect(stats?.packetsDropped).toBe(0);
    expect(stats?.chunksDropped).toBe(0);
    const complaints = peer.messages.filter((m) => /error/.test(m.type));
    expect(complaints).toEqual([]);
  } catch (error) {
    const stderr = peer.stderr.slice(-2000);
    if (stderr && error instanceof Error) error.message += `\npeer stderr:\n${stderr}`;
    throw error;
  } finally {
    await peer.stop();
    transport?.close();
    await proxy?.close();
  }
}
