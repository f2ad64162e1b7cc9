/**
 * Behaviours real peers rely on, each found against libwebrtc or
 * libdatachannel or required by the RFCs they follow: when a stream reset
 * request goes out and how an 'in progress' answer is followed up (RFC 6525),
 * messages held behind a deferred reset, DATA for streams that do not exist
 * (RFC 9260 §6.5), and the counters of what was dropped and why. One real
 * association is driven by packets the test builds, on virtual time.
 */
import { describe, expect, it } from 'vitest';
import { VirtualTimers } from '../../test/fakes/virtual-timers.js';
import { SctpAssociation } from './association.js';
import { decodeChunk, type SctpChunk } from './chunk.js';
import { ChunkType } from './chunk-header.js';
import { ErrorCauseCode } from './error-cause.js';
import type { SctpError } from './errors.js';
import { decodeSctpPacket, encodeSctpPacketTo, sctpChecksum, sctpPacketSize } from './packet.js';
import { type ReconfigParameter, ReconfigResult } from './re-config.js';
import { RtoEstimator } from './rto.js';
import { StreamResetState } from './stream-reset.js';
import { Timer } from './timer.js';

const LOCAL_PORT = 5000;
const REMOTE_PORT = 5000;

/**
 * Our association against a scripted peer: the test builds the peer's
 * packets; ours are decoded into `sent`. The handshake is done by hand, so
 * the peer's tag, initial TSN and stream counts are the test's.
 */
function scriptedPeer(options: { peerOutboundStreams?: number; peerIData?: boolean } = {}) {
  const clock = new VirtualTimers();
  const sent: SctpChunk[][] = [];
  const association = new SctpAssociation({
    localPort: LOCAL_PORT,
    remotePort: REMOTE_PORT,
    timers: clock,
    send: (packet) => {
      const decoded = decodeSctpPacket(packet);
      if (!decoded.ok) throw decoded.error;
      sent.push(
        decoded.value.chunks.map((raw) => {
          const chunk = decodeChunk(raw);
          if (!chunk.ok) throw chunk.error;
          return chunk.value;
        }),
      );
    },
  });
  const received: { streamId: number; text: string }[] = [];
  const closed: { error?: SctpError | null } = {};
  association.on('close', (error) => {
    closed.error = error ?? null;
  });
  association.on('message', (streamId, _ppid, data) => received.push({ streamId, text: data.toString() }));
  const peerTag = 0x1234_5678;
  const peerInitialTsn = 1000;
  let ourTag = 0;
  let peerNextTsn = peerInitialTsn;

  const packet = (chunks: SctpChunk[], verificationTag = ourTag): Buffer => {
    const bytes = Buffer.alloc(sctpPacketSize(chunks));
    encodeSctpPacketTo(
      bytes,
      0,
      { sourcePort: REMOTE_PORT, destinationPort: LOCAL_PORT, verificationTag },
      chunks,
    );
    return bytes;
  };
  const deliver = (chunks: SctpChunk[]): void => association.handlePacket(packet(chunks));
  /** The chunks of every packet we sent, flattened, from index `from` on. */
  const sentSince = (from: number): SctpChunk[] => sent.slice(from).flat();

  // INIT from the peer, our INIT ACK, its COOKIE ECHO, our COOKIE ACK.
  association.handlePacket(
    packet(
      [
        {
          kind: 'init',
          initiateTag: peerTag,
          advertisedReceiverWindowCredit: 1 << 20,
          outboundStreams: options.peerOutboundStreams ?? 65535,
          inboundStreams: 65535,
          initialTsn: peerInitialTsn,
          stateCookie: undefined,
          forwardTsnSupported: true,
          supportedExtensions: options.peerIData
            ? [ChunkType.ForwardTsn, ChunkType.ReConfig, ChunkType.IData, ChunkType.IForwardTsn]
            : [ChunkType.ForwardTsn, ChunkType.ReConfig],
          otherParameters: [],
        },
      ],
      0,
    ),
  );
  const initAck = sent.at(-1)?.[0];
  if (initAck?.kind !== 'init-ack' || !initAck.stateCookie) throw new Error('no INIT ACK');
  ourTag = initAck.initiateTag;
  const ourInitialTsn = initAck.initialTsn;
  deliver([{ kind: 'cookie-echo', cookie: Buffer.from(initAck.stateCookie) }]);
  expect(association.state).toBe('established');

  return {
    clock,
    association,
    sent,
    sentSince,
    received,
    closed,
    /** Our INIT ACK. */
    initAck,
    packet,
    deliver,
    ourInitialTsn,
    peerInitialTsn,
    /** Builds a whole-message DATA chunk from the peer with the next TSN (or the one given). */
    data(streamId: number, ssn: number, text: string, tsn?: number): SctpChunk & { kind: 'data' } {
      const chunkTsn = tsn ?? peerNextTsn;
      if (tsn === undefined) peerNextTsn = (peerNextTsn + 1) >>> 0;
      return {
        kind: 'data',
        unordered: false,
        beginning: true,
        ending: true,
        immediate: false,
        tsn: chunkTsn,
        streamId,
        streamSequenceNumber: ssn,
        ppid: 51,
        userData: Buffer.from(text),
      };
    },
    /** A SACK from the peer. */
    sack(cumulativeTsnAck: number): SctpChunk {
      return {
        kind: 'sack',
        cumulativeTsnAck,
        advertisedReceiverWindowCredit: 1 << 20,
        gapAckBlocks: [],
        duplicateTsns: [],
      };
    },
  };
}

/** The RE-CONFIG parameters among chunks. */
function reconfigParameters(chunks: SctpChunk[]): ReconfigParameter[] {
  return chunks.flatMap((chunk) => (chunk.kind === 're-config' ? chunk.parameters : []));
}

describe('stream reset requests (RFC 6525)', () => {
  it('go out once the data sent before them is acknowledged, so the peer need not defer them', () => {
    const peer = scriptedPeer();
    const { association } = peer;
    association.send(1, 51, Buffer.from('last words'));
    const tsn = peer.ourInitialTsn;
    const mark = peer.sent.length;
    association.resetStreams([1]);
    // The DATA at `tsn` is unacknowledged: no request yet.
    expect(reconfigParameters(peer.sentSince(mark))).toEqual([]);
    peer.deliver([peer.sack(tsn)]);
    const [request] = reconfigParameters(peer.sentSince(mark));
    expect(request).toMatchObject({
      kind: 'outgoing-ssn-reset',
      requestSequenceNumber: peer.ourInitialTsn,
      senderLastAssignedTsn: tsn,
      streamIds: [1],
    });
  });

  it("are sent again under a new sequence number after an 'in progress' answer", () => {
    const clock = new VirtualTimers();
    const rto = new RtoEstimator({ initialMs: 500, minMs: 300, maxMs: 10_000 });
    const state = new StreamResetState(new Timer(clock, () => {}), rto);
    state.setInitialRequestSequence(7000);
    state.setExpectedPeerRequest(100);
    expect(state.request([3], 6999)).toBe(true);
    state.startNext(6999);
    const [first] = state.takeParameters();
    expect(first).toMatchObject({ kind: 'outgoing-ssn-reset', requestSequenceNumber: 7000 });
    expect(state.onResponse(7000, ReconfigResult.InProgress)).toBeUndefined();
    // A peer answers a number it has seen from memory; a new one makes it look again.
    expect(state.retransmit()).toBe(true);
    const [second] = state.takeParameters();
    expect(second).toMatchObject({ kind: 'outgoing-ssn-reset', requestSequenceNumber: 7001, streamIds: [3] });
    // A retransmission on timeout keeps the number.
    expect(state.retransmit()).toBe(true);
    expect(state.takeParameters()).toMatchObject([{ requestSequenceNumber: 7001 }]);
    expect(state.onResponse(7000, ReconfigResult.SuccessPerformed)).toBeUndefined();
    expect(state.onResponse(7001, ReconfigResult.SuccessPerformed)).toEqual({
      streamIds: [3],
      performed: true,
    });
    expect(state.isResetting(3)).toBe(false);
  });

  it('hold messages sent after a deferred reset point until the reset is performed (§5.2.2 E2)', () => {
    const peer = scriptedPeer();
    const old = peer.data(1, 0, 'old channel, last message');
    const fresh = peer.data(1, 0, 'new channel, first message');
    const mark = peer.sent.length;
    // The peer resets stream 1 after `old`, which is still on its way; then reuses the stream.
    peer.deliver([
      {
        kind: 're-config',
        parameters: [
          {
            kind: 'outgoing-ssn-reset',
            requestSequenceNumber: peer.peerInitialTsn,
            responseSequenceNumber: (peer.ourInitialTsn - 1) >>> 0,
            senderLastAssignedTsn: old.tsn,
            streamIds: [1],
          },
        ],
      },
    ]);
    expect(reconfigParameters(peer.sentSince(mark))).toMatchObject([
      { kind: 'response', result: ReconfigResult.InProgress },
    ]);
    peer.deliver([fresh]);
    expect(peer.received).toEqual([]);
    peer.deliver([old]);
    expect(peer.received.map((m) => m.text)).toEqual([
      'old channel, last message',
      'new channel, first message',
    ]);
    expect(reconfigParameters(peer.sentSince(mark)).at(-1)).toMatchObject({
      kind: 'response',
      result: ReconfigResult.SuccessPerformed,
    });
    // The stream counts from SSN 1 on now.
    peer.deliver([peer.data(1, 1, 'second')]);
    expect(peer.received.at(-1)?.text).toBe('second');
  });
});

describe('what the association drops, and how it says so', () => {
  it('acknowledges DATA for a stream the peer may not use, reports it, and delivers nothing (RFC 9260 §6.5)', () => {
    const peer = scriptedPeer({ peerOutboundStreams: 16 });
    const mark = peer.sent.length;
    const invalid = peer.data(16, 0, 'stream 16 of 0..15');
    peer.deliver([invalid]);
    expect(peer.received).toEqual([]);
    expect(peer.association.stats.invalidStreamChunks).toBe(1);
    expect(peer.association.stats.errorChunksSent).toBe(1);
    const chunks = peer.sentSince(mark);
    const error = chunks.find((chunk) => chunk.kind === 'error');
    expect(error).toMatchObject({ causes: [{ code: ErrorCauseCode.InvalidStreamIdentifier }] });
    if (error?.kind !== 'error') throw new Error('no ERROR');
    expect(Buffer.from(error.causes[0].info)).toEqual(Buffer.from([0, 16, 0, 0]));
    // Acknowledged: the next DATA is in sequence and delivered.
    peer.clock.advance(500);
    const sack = peer.sentSince(mark).find((chunk) => chunk.kind === 'sack');
    expect(sack).toMatchObject({ cumulativeTsnAck: invalid.tsn });
    peer.deliver([peer.data(15, 0, 'stream 15')]);
    expect(peer.received).toEqual([{ streamId: 15, text: 'stream 15' }]);
  });

  it('counts packets dropped whole by reason and unknown chunks by their upper two bits (§3.2, §8.5)', () => {
    const peer = scriptedPeer();
    const { association } = peer;
    const good = peer.packet([peer.data(0, 0, 'x', peer.peerInitialTsn + 100)]);
    const badChecksum = Buffer.from(good);
    badChecksum[9] ^= 1;
    const wrongTag = peer.packet([peer.data(0, 0, 'x')], 0xdead_beef);
    const truncated = Buffer.from(good.subarray(0, good.length - 4));
    truncated.writeUInt32LE(sctpChecksum(truncated), 8);
    for (const bytes of [badChecksum, wrongTag, truncated, good.subarray(0, 7)])
      association.handlePacket(bytes);
    expect(association.stats).toMatchObject({
      packetsDropped: 4,
      badChecksums: 1,
      misaddressedPackets: 1,
      malformedPackets: 2,
    });
    const mark = peer.sent.length;
    const unknown = (type: number): SctpChunk => ({
      kind: 'unknown',
      type,
      flags: 0,
      value: Buffer.from([type]),
    });
    for (const type of [0x3f, 0x7f, 0xbf, 0xff]) peer.deliver([unknown(type), unknown(0xbe)]);
    expect(association.stats.unrecognizedChunks).toBe(6);
    const errors = peer.sentSince(mark).filter((chunk) => chunk.kind === 'error');
    // Reported: 0x7f and 0xff, each as the whole chunk.
    expect(errors.map((chunk) => (chunk.kind === 'error' ? chunk.causes[0].info[0] : -1))).toEqual([
      0x7f, 0xff,
    ]);
    expect(association.stats.errorChunksSent).toBe(2);
    expect(association.state).toBe('established');
    expect(association.stats.internalErrors).toBe(0);
  });
});

describe('protocol violations end the association with an ABORT that says why', () => {
  /** The ABORT we sent, if any. */
  const abortOf = (chunks: SctpChunk[]) => chunks.find((chunk) => chunk.kind === 'abort');

  it('answers a DATA chunk without user data with a No User Data cause naming its TSN (RFC 9260 §6.2)', () => {
    const peer = scriptedPeer();
    const mark = peer.sent.length;
    const tsn = peer.peerInitialTsn;
    // DATA header only: length 16. Our encoder refuses to build it, so the bytes are written here.
    const chunk = Buffer.alloc(16);
    chunk.writeUInt8(ChunkType.Data, 0);
    chunk.writeUInt8(3, 1);
    chunk.writeUInt16BE(16, 2);
    chunk.writeUInt32BE(tsn, 4);
    chunk.writeUInt32BE(51, 12);
    const bytes = Buffer.concat([peer.packet([]), chunk]);
    bytes.writeUInt32LE(sctpChecksum(bytes), 8);
    peer.association.handlePacket(bytes);
    const abort = abortOf(peer.sentSince(mark));
    expect(abort).toMatchObject({ causes: [{ code: ErrorCauseCode.NoUserData }] });
    if (abort?.kind !== 'abort') throw new Error('no ABORT');
    expect(Buffer.from(abort.causes[0].info).readUInt32BE(0)).toBe(tsn);
    expect(peer.association.state).toBe('closed');
    expect(peer.closed.error?.code).toBe('ERR_SCTP_PROTOCOL_VIOLATION');
    expect(peer.association.stats.protocolViolations).toBe(1);
  });

  it('refuses I-DATA when DATA was negotiated, and DATA when I-DATA was (RFC 8260 §2.2.1)', () => {
    const plain = scriptedPeer({ peerIData: false });
    // We offer I-DATA; the peer did not: DATA it is.
    expect(plain.initAck.supportedExtensions).toContain(ChunkType.IData);
    const mark = plain.sent.length;
    plain.deliver([
      {
        kind: 'i-data',
        unordered: false,
        beginning: true,
        ending: true,
        immediate: false,
        tsn: plain.peerInitialTsn,
        streamId: 0,
        messageId: 0,
        ppid: 51,
        fragmentSequenceNumber: 0,
        userData: Buffer.from('interleaved'),
      },
    ]);
    expect(abortOf(plain.sentSince(mark))).toMatchObject({
      causes: [{ code: ErrorCauseCode.ProtocolViolation }],
    });
    expect(plain.closed.error?.code).toBe('ERR_SCTP_PROTOCOL_VIOLATION');
    expect(plain.received).toEqual([]);

    const interleaving = scriptedPeer({ peerIData: true });
    const mark2 = interleaving.sent.length;
    interleaving.deliver([interleaving.data(0, 0, 'plain DATA')]);
    expect(abortOf(interleaving.sentSince(mark2))).toMatchObject({
      causes: [{ code: ErrorCauseCode.ProtocolViolation }],
    });
    expect(interleaving.closed.error?.code).toBe('ERR_SCTP_PROTOCOL_VIOLATION');
    expect(interleaving.received).toEqual([]);
  });

  it('refuses a FORWARD TSN where I-FORWARD-TSN was negotiated (RFC 8260 §2.3.1)', () => {
    const peer = scriptedPeer({ peerIData: true });
    const mark = peer.sent.length;
    peer.deliver([{ kind: 'forward-tsn', newCumulativeTsn: peer.peerInitialTsn, streams: [] }]);
    expect(abortOf(peer.sentSince(mark))).toMatchObject({
      causes: [{ code: ErrorCauseCode.ProtocolViolation }],
    });
    expect(peer.association.state).toBe('closed');
  });

  it('reassembles I-DATA fragments by FSN when negotiated, whatever their TSNs and order', () => {
    const peer = scriptedPeer({ peerIData: true });
    const tsn = peer.peerInitialTsn;
    const fragment = (
      tsnOffset: number,
      messageId: number,
      fsn: number,
      text: string,
      flags: { beginning?: boolean; ending?: boolean; unordered?: boolean },
    ): SctpChunk => ({
      kind: 'i-data',
      unordered: flags.unordered ?? false,
      beginning: flags.beginning ?? false,
      ending: flags.ending ?? false,
      immediate: false,
      tsn: tsn + tsnOffset,
      streamId: 2,
      messageId,
      ppid: flags.beginning ? 51 : 0,
      fragmentSequenceNumber: fsn,
      userData: Buffer.from(text),
    });
    // Two ordered messages interleaved on one stream, the second complete first; then an unordered one.
    peer.deliver([fragment(1, 1, 0, 'second ', { beginning: true })]);
    peer.deliver([fragment(3, 1, 1, 'message', { ending: true })]);
    peer.deliver([fragment(2, 0, 1, 'message', { ending: true })]);
    expect(peer.received).toEqual([]);
    peer.deliver([fragment(0, 0, 0, 'first ', { beginning: true })]);
    peer.deliver([fragment(4, 0, 0, 'unordered', { beginning: true, ending: true, unordered: true })]);
    expect(peer.received.map((m) => m.text)).toEqual(['first message', 'second message', 'unordered']);
    expect(peer.association.state).toBe('established');
  });
});

describe('a message larger than the receive window', () => {
  it('ends the association with an ABORT instead of stalling it', () => {
    const peer = scriptedPeer();
    const fragment = Buffer.alloc(1000, 7);
    const mark = peer.sent.length;
    for (let index = 0; index < 1100 && peer.closed.error === undefined; index++) {
      const chunk = peer.data(1, 0, '');
      peer.deliver([{ ...chunk, beginning: index === 0, ending: false, userData: fragment }]);
    }
    expect(peer.closed.error?.code).toBe('ERR_SCTP_PROTOCOL_VIOLATION');
    expect(peer.association.stats.protocolViolations).toBe(1);
    const abort = peer.sentSince(mark).find((chunk) => chunk.kind === 'abort');
    expect(abort).toMatchObject({ causes: [{ code: ErrorCauseCode.ProtocolViolation }] });
    expect(peer.received).toEqual([]);
  });
});
