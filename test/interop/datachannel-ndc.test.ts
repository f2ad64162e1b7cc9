/**
 * Data channels against libdatachannel (node-datachannel, usrsctp inside, in
 * its own process): the conversation of datachannel-scenario.ts in both DTLS
 * roles (channels opened by each side, text and binary of 0 B to 256 KiB,
 * ordered, unordered and partially reliable, closes from each side), the
 * peer's smaller a=max-message-size honoured, and garbage SCTP fed to the
 * association while a channel is open. Loopback only.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { IceUdpMux } from '../../src/ice/index.js';
import type { DtlsRole, WebRtcTransport } from '../../src/media/webrtc-transport.js';
import {
  ChunkType,
  decodeChunk,
  decodeSctpPacket,
  encodeSctpPacketTo,
  type SctpChunk,
  sctpChecksum,
  sctpPacketSize,
} from '../../src/sctp/index.js';
import { generateSelfSignedCertificate, type SelfSignedCertificate } from '../../src/util/certificate.js';
import { describeWithNpmPackage, npmPackageAvailable } from '../helpers/npm-packages.js';
import {
  answerDataChannelOffer,
  messages,
  opened,
  ourProgress,
  peerProgress,
  runDataChannelScenario,
  sendPlan,
  within,
} from './datachannel-scenario.js';
import { StdioPeer } from './peers/stdio-peer.js';

const ROLES: DtlsRole[] = ['client', 'server'];
const PEER = 'ndc-datachannel-peer.cjs';

let mux: IceUdpMux;
let certificate: SelfSignedCertificate;

beforeAll(async () => {
  mux = await IceUdpMux.listen({ address: '127.0.0.1', port: 0 });
  certificate = generateSelfSignedCertificate({ commonName: 'switchboard-datachannel' });
});

afterAll(async () => {
  await mux?.close();
});

describeWithNpmPackage(
  'data channels against libdatachannel (node-datachannel)',
  npmPackageAvailable('node-datachannel'),
  () => {
    for (const role of ROLES) {
      it(`carries text and binary of 0 B to 256 KiB on ordered, unordered and partially reliable channels opened by either side, closed by either side (our DTLS ${role})`, async () => {
        await runDataChannelScenario(PEER, role, { mux, certificate });
      }, 60_000);
    }

    for (const role of ROLES) {
      it(`carries the same over a path that loses 5% of the SCTP packets each way (our DTLS ${role})`, async () => {
        await runDataChannelScenario(PEER, role, { mux, certificate }, { loss: 0.05 });
      }, 60_000);
    }

    it("honours the peer's smaller a=max-message-size", async () => {
      const peer = new StdioPeer(PEER, { sizes: [100], empty: false, maxMessageSize: 65536, seconds: 20 });
      let transport: WebRtcTransport | undefined;
      try {
        const offer = await peer.waitFor((m) => m.type === 'offer', 10_000, 'the offer');
        const session = answerDataChannelOffer(String(offer.sdp), { role: 'server', mux, certificate });
        transport = session.transport;
        expect(session.application.maxMessageSize).toBe(65536);
        peer.send({ type: 'answer', sdp: session.answerSdp });
        const manager = transport.dataChannels!;
        expect(manager.maxMessageSize).toBe(65536);
        const channel = manager.createDataChannel('limit');
        await opened(channel);
        expect(() => channel.send(Buffer.alloc(65537))).toThrow(
          expect.objectContaining({ code: 'ERR_SCTP_MESSAGE_TOO_LARGE' }),
        );
        const largest = messages.messageFor('limit', 0, 'binary', 65536) as Buffer;
        const echoed = within<Buffer | string>(10_000, 'the 64 KiB echo', (resolve) =>
          channel.once('message', resolve),
        );
        channel.send(largest);
        const back = await echoed;
        expect(Buffer.isBuffer(back) && back.equals(largest)).toBe(true);
      } finally {
        await peer.stop();
        transport?.close();
      }
    }, 30_000);

    it('drops garbage SCTP fed in behind DTLS while channels are open, counts it, and keeps working', async () => {
      const peer = new StdioPeer(PEER, { sizes: [1, 1000], empty: false, partialSizes: [1], seconds: 40 });
      let transport: WebRtcTransport | undefined;
      try {
        const offer = await peer.waitFor((m) => m.type === 'offer', 10_000, 'the offer');
        const session = answerDataChannelOffer(String(offer.sdp), { role: 'server', mux, certificate });
        transport = session.transport;
        const association = transport.sctpAssociation!;
        // What DTLS decrypts goes to handlePacket (RFC 8261): garbage enters there, as records
        // from the peer would. Keep a real packet with DATA to build plausible garbage from.
        const receive = association.handlePacket.bind(association);
        let realData: Buffer | undefined;
        association.handlePacket = (packet: Uint8Array) => {
          const decoded = decodeSctpPacket(packet);
          if (decoded.ok && decoded.value.chunks.some((chunk) => chunk.type === ChunkType.Data))
            realData = Buffer.from(packet);
          receive(packet);
        };
        const received: string[] = [];
        transport.on('datachannel', (channel) => {
          channel.on('message', (data) => {
            received.push(channel.label);
            if (channel.readyState === 'open') channel.send(data);
          });
        });
        peer.send({ type: 'answer', sdp: session.answerSdp });
        await peerProgress(peer, 'p-ordered', (r) => r.done || r.mismatches > 0, 'every message echoed');
        await peerProgress(peer, 'p-unordered', (r) => r.done || r.mismatches > 0, 'every message echoed');
        expect(realData).toBeDefined();
        const garbage = garbageFrom(realData!);

        const before = { ...association.stats };
        const receivedBefore = received.length;
        for (const packet of garbage.packets) receive(packet.bytes);
        const after = { ...association.stats };
        const delta = (name: keyof typeof before): number => after[name] - before[name];

        expect(association.state).toBe('established');
        expect(delta('internalErrors')).toBe(0);
        // Nothing was delivered: no channel saw a message, the duplicate TSNs counted as such.
        expect(delta('messagesReceived')).toBe(0);
        expect(received.length).toBe(receivedBefore);
        expect(delta('duplicateTsnsReceived')).toBe(garbage.expected.duplicateTsns);
        // Every packet dropped whole is counted once, under its reason.
        expect(delta('packetsDropped')).toBe(garbage.expected.packetsDropped);
        expect(delta('badChecksums') + delta('malformedPackets') + delta('misaddressedPackets')).toBe(
          delta('packetsDropped'),
        );
        expect(delta('badChecksums')).toBeGreaterThanOrEqual(garbage.expected.badChecksums);
        expect(delta('malformedPackets')).toBeGreaterThanOrEqual(garbage.expected.malformedPackets);
        expect(delta('misaddressedPackets')).toBe(garbage.expected.misaddressedPackets);
        // §3.2: the upper two bits of an unknown type decide whether the rest of the packet counts and
        // whether an ERROR reports it; §6.5: DATA for a stream the peer does not have is reported too.
        expect(delta('unrecognizedChunks')).toBe(garbage.expected.unrecognizedChunks);
        expect(delta('invalidStreamChunks')).toBe(1);
        expect(delta('errorChunksSent')).toBe(garbage.expected.errorChunksSent);
        expect(delta('chunksDropped')).toBe(garbage.expected.chunksDropped);

        // The association and the peer carry on: a channel each way opens and echoes.
        peer.send({ type: 'open', label: 'p-after', sizes: [1, 5000, 70000] });
        const afterGarbage = await peerProgress(peer, 'p-after', (r) => r.done || r.mismatches > 0, 'echoes');
        expect(afterGarbage).toMatchObject({ intact: 6, mismatches: 0 });
        const ours = transport.dataChannels!.createDataChannel('o-after');
        await opened(ours);
        const check = sendPlan(ours, messages.messagePlan([3, 3000], true));
        expect(await ourProgress(ours, check, (r) => r.done || r.mismatches > 0)).toMatchObject({
          intact: 6,
          mismatches: 0,
        });
        expect(peer.messages.filter((m) => /error/.test(m.type))).toEqual([]);
        expect(peer.last.get('state')?.state).toBe('connected');
        expect(association.stats.internalErrors).toBe(0);
      } finally {
        await peer.stop();
        transport?.close();
      }
    }, 40_000);
  },
);

/** One garbage packet and what it is. */
interface GarbagePacket {
  what: string;
  bytes: Buffer;
}

/**
 * Garbage built from a real packet of the association (its ports, the tag
 * the peer uses, a TSN already received), with the checksum made right
 * unless the checksum is the point, so each packet reaches the check it is
 * meant for. Returns the packets and the counter changes they must cause.
 */
function garbageFrom(real: Buffer) {
  const decoded = decodeSctpPacket(real);
  if (!decoded.ok) throw decoded.error;
  const header = {
    sourcePort: decoded.value.sourcePort,
    destinationPort: decoded.value.destinationPort,
    verificationTag: decoded.value.verificationTag,
  };
  const dataChunk = decodeChunk(decoded.value.chunks.find((chunk) => chunk.type === ChunkType.Data)!);
  if (!dataChunk.ok || dataChunk.value.kind !== 'data') throw new Error('no DATA chunk');
  const staleTsn = dataChunk.value.tsn;
  const build = (chunks: SctpChunk[], override: Partial<typeof header> = {}): Buffer => {
    const bytes = Buffer.alloc(sctpPacketSize(chunks));
    encodeSctpPacketTo(bytes, 0, { ...header, ...override }, chunks);
    return bytes;
  };
  const withChecksum = (bytes: Buffer): Buffer => {
    bytes.writeUInt32LE(sctpChecksum(bytes), 8);
    return bytes;
  };
  /** A packet from raw chunk bytes after a right common header. */
  const rawPacket = (chunkBytes: number[]): Buffer =>
    withChecksum(Buffer.concat([build([]).subarray(0, 12), Buffer.from(chunkBytes)]));
  const unknown = (type: number): SctpChunk => ({
    kind: 'unknown',
    type,
    flags: 0,
    value: Buffer.from('junk'),
  });
  const data = (streamId: number, tsn: number): SctpChunk => ({
    kind: 'data',
    unordered: false,
    beginning: true,
    ending: true,
    immediate: false,
    tsn,
    streamId,
    streamSequenceNumber: 0,
    ppid: 51,
    userData: Buffer.from('not for anyone'),
  });
  const packets: GarbagePacket[] = [];
  const add = (what: string, bytes: Buffer): void => {
    packets.push({ what, bytes });
  };

  // Dropped whole: malformed.
  add('shorter than the common header', Buffer.from(real.subarray(0, 8)));
  add('a common header and no chunk', withChecksum(Buffer.from(real.subarray(0, 12))));
  add('a truncated chunk header', rawPacket([0, 3]));
  add('a chunk length below 4', rawPacket([0xbf, 0, 0, 2, 0, 0, 0, 0]));
  add('a chunk length past the end', rawPacket([0xbf, 0, 0, 200, 1, 2, 3, 4]));
  // Its chunk length counts 14 bytes of user data; the packet ends 10 bytes into the chunk.
  add('a DATA chunk cut short', withChecksum(Buffer.from(build([data(1, staleTsn)]).subarray(0, 12 + 10))));
  // Dropped whole: checksum.
  const badChecksum = Buffer.from(real);
  badChecksum[8] ^= 0x5a;
  add('a bad CRC32c', badChecksum);
  // Dropped whole: not for this association (§8.5).
  add(
    'a wrong verification tag',
    build([data(1, staleTsn)], { verificationTag: (header.verificationTag + 1) >>> 0 }),
  );
  add(
    'an ABORT with a wrong verification tag',
    build([{ kind: 'abort', reflectedTag: false, causes: [] }], {
      verificationTag: header.verificationTag ^ 0x80,
    }),
  );
  add(
    'another destination port',
    build([data(1, staleTsn)], { destinationPort: header.destinationPort + 1 }),
  );
  // Unknown chunk types, each followed by another unknown chunk that is skipped silently (type 0xbe):
  // 00 stop, 01 stop and report, 10 skip, 11 skip and report.
  for (const type of [0x3f, 0x7f, 0xbf, 0xff])
    add(`unknown chunk type 0x${type.toString(16)}`, build([unknown(type), unknown(0xbe)]));
  // Chunks inside accepted packets.
  add('a SACK too short to decode', rawPacket([3, 0, 0, 8, 0, 0, 0, 0]));
  add('DATA for a stream the peer does not have (65535)', build([data(65535, staleTsn)]));
  add('DATA for a stream no channel uses, TSN already received', build([data(700, staleTsn)]));
  add('DATA far beyond the receive window', build([data(1, (staleTsn + 0x20000) >>> 0)]));
  // Random bytes, a few of them starting with a plausible header.
  let seed = 0x2545f491;
  const random = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  for (let i = 0; i < 200; i++) {
    const bytes = Buffer.alloc(1 + Math.floor(random() * 300));
    for (let at = 0; at < bytes.length; at++) bytes[at] = Math.floor(random() * 256);
    if (i % 2 === 0 && bytes.length >= 12) real.copy(bytes, 0, 0, 8);
    add('random bytes', bytes);
  }

  return {
    packets,
    expected: {
      // 6 malformed + 1 bad checksum + 3 misaddressed + the 200 random packets.
      packetsDropped: 6 + 1 + 3 + 200,
      badChecksums: 1,
      malformedPackets: 6,
      misaddressedPackets: 3,
      // 0x3f and 0x7f stop at themselves; 0xbf and 0xff let the 0xbe after them be seen too.
      unrecognizedChunks: 1 + 1 + 2 + 2,
      // 0x7f, 0xff, and the Invalid Stream Identifier.
      errorChunksSent: 3,
      // The unrecognized chunks, the short SACK, and the DATA beyond the window.
      chunksDropped: 6 + 1 + 1,
      // The two DATA chunks with a TSN already received (the invalid stream's is acknowledged as usual).
      duplicateTsns: 2,
    },
  };
}
