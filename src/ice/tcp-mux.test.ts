import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AttributeType,
  decodeMessage,
  MessageClass,
  Method,
  type StunMessage,
  StunMessageBuilder,
  shortTermKey,
} from '../stun/index.js';
import { encodeFrameHeaderTo, Rfc4571Framer } from './framing.js';
import { IceLiteAgent } from './lite-agent.js';
import { IceTcpMux, type IceTcpMuxOptions } from './tcp-mux.js';
import { IceUdpMux } from './udp-mux.js';

function bindingRequest(
  localUfrag: string,
  password: string,
  useCandidate = true,
): { bytes: Buffer; transactionId: Buffer } {
  const builder = StunMessageBuilder.create(Method.Binding, MessageClass.Request)
    .add(AttributeType.Username, `${localUfrag}:peer`)
    .addUint32(AttributeType.Priority, 1518280447)
    .addUint64(AttributeType.IceControlling, 42n);
  if (useCandidate) builder.addEmpty(AttributeType.UseCandidate);
  builder.addMessageIntegrity(shortTermKey(password)).addFingerprint();
  return { bytes: Buffer.from(builder.build()), transactionId: Buffer.from(builder.transactionId) };
}

function frame(packet: Buffer): Buffer {
  const out = Buffer.alloc(2 + packet.length);
  encodeFrameHeaderTo(out, 0, packet.length);
  packet.copy(out, 2);
  return out;
}

/** An active ICE-TCP peer (RFC 6544): a connection, RFC 4571 framing and a queue of received packets. */
class TcpPeer {
  readonly frames: Buffer[] = [];
  closed = false;
  private waiter: (() => void) | undefined;

  private constructor(readonly socket: Socket) {
    const framer = new Rfc4571Framer((packet) => {
      this.frames.push(Buffer.from(packet));
      this.waiter?.();
    });
    socket.on('data', (chunk: Buffer) => framer.push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
  }

  static open(mux: IceTcpMux): Promise<TcpPeer> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: mux.localAddress.address, port: mux.localAddress.port });
      socket.once('error', reject);
      socket.once('connect', () => resolve(new TcpPeer(socket)));
    });
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  async next(
    predicate: (data: Buffer) => boolean = () => true,
    timeoutMs = 1000,
  ): Promise<Buffer | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.frames.findIndex(predicate);
      if (index !== -1) return this.frames.splice(index, 1)[0];
      const left = deadline - Date.now();
      if (left <= 0 || this.closed) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  async check(localUfrag: string, password: string, useCandidate = true): Promise<StunMessage | undefined> {
    const { bytes, transactionId } = bindingRequest(localUfrag, password, useCandidate);
    this.write(frame(bytes));
    const response = await this.next(
      (data) => data.length >= 20 && data.subarray(8, 20).equals(transactionId),
    );
    if (!response) return undefined;
    const decoded = decodeMessage(response);
    if (!decoded.ok) throw decoded.error;
    return decoded.message;
  }

  waitClosed(timeoutMs: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function setup(options: Partial<IceTcpMuxOptions> = {}) {
  const mux = await IceTcpMux.listen({ address: '127.0.0.1', port: 0, ...options });
  cleanups.push(() => mux.close());
  const agent = new IceLiteAgent({ tcp: [mux] });
  cleanups.push(() => agent.close());
  const { usernameFragment: localUfrag, password } = agent.localParameters;
  const open = async () => {
    const peer = await TcpPeer.open(mux);
    cleanups.push(() => peer.socket.destroy());
    return peer;
  };
  return { mux, agent, localUfrag, password, open };
}

describe('IceTcpMux (passive ICE-TCP, RFC 6544)', () => {
  it('answers a framed check, selects the connection and carries data both ways', async () => {
    const { mux, agent, localUfrag, password, open } = await setup();
    const peer = await open();
    const response = await peer.check(localUfrag, password);
    expect(response?.messageClass).toBe(MessageClass.SuccessResponse);
    expect(response?.checkIntegrity(shortTermKey(password))).toBe('sha1');
    expect(response?.getXorAddress(AttributeType.XorMappedAddress)).toEqual({
      family: 4,
      address: '127.0.0.1',
      port: peer.socket.localPort,
    });
    expect(agent.state).toBe('completed');
    expect(agent.selectedTuple?.protocol).toBe('tcp');
    expect(mux.pendingConnectionCount).toBe(0);

    const received: [string, string][] = [];
    agent.on('packet', (data, kind) => received.push([kind, data.toString('hex')]));
    // Two frames coalesced in one write, then one frame split in three writes.
    const dtls = Buffer.from('16fefd0000000000000000000101', 'hex');
    const rtp = Buffer.from('8060000100000001000000010a0b', 'hex');
    const rtcp = Buffer.from('80c9000100000001', 'hex');
    peer.write(Buffer.concat([frame(dtls), frame(rtp)]));
    const split = frame(rtcp);
    peer.write(split.subarray(0, 1));
    await sleep(20);
    peer.write(split.subarray(1, 5));
    await sleep(20);
    peer.write(split.subarray(5));
    const outgoing = Buffer.from('17fefd00010000000000010003aabbcc', 'hex');
    expect(agent.send(outgoing)).toBe(true);
    expect((await peer.next((data) => data[0] === 0x17))?.equals(outgoing)).toBe(true);
    await sleep(50);
    expect(received).toEqual([
      ['dtls', dtls.toString('hex')],
      ['rtp', rtp.toString('hex')],
      ['rtcp', rtcp.toString('hex')],
    ]);
    expect(mux.stats.packetsOut).toBe(2);
  });

  it('advertises a passive TCP candidate below UDP', async () => {
    const udp = await IceUdpMux.listen({ address: '127.0.0.1', port: 0, announcedAddress: '198.51.100.1' });
    cleanups.push(() => udp.close());
    const tcp = await IceTcpMux.listen({ address: '127.0.0.1', port: 0, announcedAddress: '198.51.100.1' });
    cleanups.push(() => tcp.close());
    const agent = new IceLiteAgent({ udp: [udp], tcp: [tcp] });
    cleanups.push(() => agent.close());
    const [udpCandidate, tcpCandidate] = agent.localCandidates;
    expect(tcpCandidate).toMatchObject({
      protocol: 'tcp',
      tcpType: 'passive',
      address: '198.51.100.1',
      port: tcp.localAddress.port,
      type: 'host',
    });
    expect(tcpCandidate.priority).toBeLessThan(udpCandidate.priority);
    expect(tcpCandidate.foundation).not.toBe(udpCandidate.foundation);
    expect(agent.localCandidateLines[1]).toMatch(/ tcp \d+ 198\.51\.100\.1 \d+ typ host tcptype passive$/);
  });

  it('closes a connection whose first frame is not a Binding request for a known ufrag', async () => {
    const { mux, password, open } = await setup();
    const garbage = await open();
    garbage.write(frame(Buffer.from('16fefd00000000', 'hex')));
    expect(await garbage.waitClosed(1000)).toBe(true);
    const stranger = await open();
    stranger.write(frame(bindingRequest('unknownUfragXYZ', password).bytes));
    expect(await stranger.waitClosed(1000)).toBe(true);
    const empty = await open();
    empty.write(Buffer.from([0, 0]));
    expect(await empty.waitClosed(1000)).toBe(true);
    expect(mux.stats.connectionsRejectedProtocol).toBe(3);
    await sleep(20);
    expect(mux.connectionCount).toBe(0);
    expect(mux.pendingConnectionCount).toBe(0);
  });

  it('closes a connection that sends no valid check in time, even after a failed one', async () => {
    const { mux, agent, localUfrag, open } = await setup({ checkTimeoutMs: 200 });
    const silent = await open();
    const failing = await open();
    const response = await failing.check(localUfrag, 'x'.repeat(32));
    expect(response?.getErrorCode()?.code).toBe(401);
    expect(mux.pendingConnectionCount).toBe(2);
    expect(await silent.waitClosed(1000)).toBe(true);
    expect(await failing.waitClosed(1000)).toBe(true);
    expect(mux.stats.connectionsTimedOut).toBe(2);
    expect(agent.state).toBe('new');
  });

  it('keeps an authenticated connection past the check timeout and drops garbage frames on it', async () => {
    const { mux, agent, localUfrag, password, open } = await setup({ checkTimeoutMs: 150 });
    const peer = await open();
    await peer.check(localUfrag, password);
    peer.write(frame(Buffer.alloc(0)));
    peer.write(frame(Buffer.from([0x10, 0, 0, 0]))); // ZRTP
    peer.write(frame(Buffer.from([0x00, 0x01, 0x00, 0x04]))); // truncated STUN
    await sleep(300);
    expect(peer.closed).toBe(false);
    expect(mux.stats.droppedUnsupported).toBe(2);
    expect(mux.stats.droppedMalformed).toBe(1);
    expect(agent.state).toBe('completed');
  });

  it('caps the connections without a valid check', async () => {
    const { mux, localUfrag, password, open } = await setup({ maxPendingConnections: 2 });
    const first = await open();
    await open();
    await sleep(20);
    const third = await open();
    expect(await third.waitClosed(1000)).toBe(true);
    expect(mux.stats.connectionsRejectedCapacity).toBe(1);
    // Authenticating one frees a place.
    await first.check(localUfrag, password);
    const fourth = await open();
    await sleep(50);
    expect(fourth.closed).toBe(false);
  });

  it('drops packets when the peer does not read (backpressure), and refuses oversized ones', async () => {
    const { mux, agent, localUfrag, password, open } = await setup({ maxWriteBufferBytes: 64 * 1024 });
    const peer = await open();
    await peer.check(localUfrag, password);
    peer.socket.pause();
    const packet = Buffer.alloc(60_000, 0x17);
    let sent = 0;
    for (let i = 0; i < 500; i++) if (agent.send(packet)) sent++;
    expect(sent).toBeLessThan(500);
    expect(mux.stats.droppedBackpressure).toBe(500 - sent);
    expect(agent.send(Buffer.alloc(70_000, 0x17))).toBe(false);
    expect(mux.stats.droppedTooLarge).toBe(1);
  });

  it('loses the selected tuple when the peer closes the connection', async () => {
    const { agent, localUfrag, password, open } = await setup();
    const peer = await open();
    await peer.check(localUfrag, password);
    peer.socket.end();
    await sleep(100);
    expect(agent.selectedTuple).toBeUndefined();
    expect(agent.validTuples).toHaveLength(0);
    expect(agent.state).toBe('disconnected');
  });

  it('closes its connections when the agent closes', async () => {
    const { mux, agent, localUfrag, password, open } = await setup();
    const peer = await open();
    await peer.check(localUfrag, password);
    agent.close();
    expect(await peer.waitClosed(1000)).toBe(true);
    await sleep(20);
    expect(mux.connectionCount).toBe(0);
  });

  it('refuses bad options', async () => {
    await expect(
      IceTcpMux.listen({ address: '127.0.0.1', port: 0, checkTimeoutMs: 0 }),
    ).rejects.toMatchObject({
      code: 'ERR_ICE_INVALID_OPTION',
    });
    await expect(IceTcpMux.listen({ address: '::', port: 0 })).rejects.toMatchObject({
      code: 'ERR_ICE_INVALID_OPTION',
    });
  });
});
