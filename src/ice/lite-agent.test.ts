import { createSocket, type Socket } from 'node:dgram';
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
import { IceLiteAgent, type IceLiteState } from './lite-agent.js';
import { IceUdpMux } from './udp-mux.js';

/** What a test check carries; every field defaults to what a browser sends. */
interface CheckOptions {
  localUfrag: string;
  password: string;
  remoteUfrag?: string;
  username?: string;
  priority?: number | null;
  controlling?: boolean;
  controlled?: boolean;
  useCandidate?: boolean;
  integrity?: boolean;
  fingerprint?: boolean;
  extra?: [type: number, value: Buffer][];
}

/** A Binding request as a full ICE agent in the controlling role sends it (RFC 8445 §7.2.2). */
function bindingRequest(options: CheckOptions): { bytes: Buffer; transactionId: Buffer } {
  const builder = StunMessageBuilder.create(Method.Binding, MessageClass.Request);
  builder.add(
    AttributeType.Username,
    options.username ?? `${options.localUfrag}:${options.remoteUfrag ?? 'peer'}`,
  );
  if (options.priority !== null) builder.addUint32(AttributeType.Priority, options.priority ?? 1853817087);
  if (options.controlling ?? true) builder.addUint64(AttributeType.IceControlling, 0x0123456789abcdefn);
  if (options.controlled) builder.addUint64(AttributeType.IceControlled, 0x0fedcba987654321n);
  if (options.useCandidate) builder.addEmpty(AttributeType.UseCandidate);
  for (const [type, value] of options.extra ?? []) builder.add(type, value);
  if (options.integrity ?? true) builder.addMessageIntegrity(shortTermKey(options.password));
  if (options.fingerprint ?? true) builder.addFingerprint();
  return { bytes: Buffer.from(builder.build()), transactionId: Buffer.from(builder.transactionId) };
}

/** A UDP peer: a socket, a queue of what it received, and checks that wait for their response. */
class TestPeer {
  readonly inbox: Buffer[] = [];
  private waiter: (() => void) | undefined;

  private constructor(readonly socket: Socket) {
    socket.on('message', (data) => {
      this.inbox.push(data);
      this.waiter?.();
    });
  }

  static open(host = '127.0.0.1'): Promise<TestPeer> {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    return new Promise((resolve) => socket.bind(0, host, () => resolve(new TestPeer(socket))));
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(data: Buffer, mux: IceUdpMux): void {
    this.socket.send(data, mux.localAddress.port, mux.localAddress.address);
  }

  /** The next datagram matching the predicate, or undefined after the timeout. */
  async next(
    predicate: (data: Buffer) => boolean = () => true,
    timeoutMs = 1000,
  ): Promise<Buffer | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.inbox.findIndex(predicate);
      if (index !== -1) return this.inbox.splice(index, 1)[0];
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Sends a check and returns the decoded response, or undefined when none comes. */
  async check(mux: IceUdpMux, options: CheckOptions, timeoutMs = 1000): Promise<StunMessage | undefined> {
    const { bytes, transactionId } = bindingRequest(options);
    this.send(bytes, mux);
    const response = await this.next(
      (data) => data.length >= 20 && data[0] < 4 && data.subarray(8, 20).equals(transactionId),
      timeoutMs,
    );
    if (!response) return undefined;
    const decoded = decodeMessage(response);
    if (!decoded.ok) throw decoded.error;
    return decoded.message;
  }

  close(): void {
    this.socket.close();
  }
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(options: { consentTimeoutMs?: number; host?: string; announcedAddress?: string } = {}) {
  const mux = await IceUdpMux.listen({
    address: options.host ?? '127.0.0.1',
    port: 0,
    announcedAddress: options.announcedAddress,
  });
  cleanups.push(() => mux.close());
  const agent = new IceLiteAgent({ udp: [mux], consentTimeoutMs: options.consentTimeoutMs });
  cleanups.push(() => agent.close());
  const states: IceLiteState[] = [];
  agent.on('statechange', (state) => states.push(state));
  const peer = await TestPeer.open(options.host);
  cleanups.push(() => peer.close());
  const { usernameFragment: localUfrag, password } = agent.localParameters;
  return { mux, agent, peer, states, localUfrag, password };
}

function errorCodeOf(message: StunMessage | undefined): number | undefined {
  return message?.getErrorCode()?.code;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('IceLiteAgent over a UDP mux', () => {
  it('answers a nominating check with XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY and FINGERPRINT', async () => {
    const { mux, agent, peer, states, localUfrag, password } = await setup();
    const selected: string[] = [];
    agent.on('selectedtuple', (tuple) => selected.push(tuple.key));
    const response = await peer.check(mux, { localUfrag, password, useCandidate: true });
    expect(response?.messageClass).toBe(MessageClass.SuccessResponse);
    expect(response?.method).toBe(Method.Binding);
    expect(response?.getXorAddress(AttributeType.XorMappedAddress)).toEqual({
      family: 4,
      address: '127.0.0.1',
      port: peer.port,
    });
    expect(response?.checkIntegrity(shortTermKey(password))).toBe('sha1');
    expect(response?.checkIntegrity(shortTermKey('x'.repeat(32)))).toBe(false);
    expect(response?.has(AttributeType.Fingerprint)).toBe(true);
    expect(states).toEqual(['connected', 'completed']);
    expect(agent.state).toBe('completed');
    expect(agent.selectedTuple?.remote).toEqual({ family: 4, address: '127.0.0.1', port: peer.port });
    expect(agent.selectedTuple?.protocol).toBe('udp');
    expect(selected).toHaveLength(1);
    expect(mux.routeCount).toBe(1);
    expect(agent.stats.checksSucceeded).toBe(1);
  });

  it('is connected but selects nothing until a check carries USE-CANDIDATE', async () => {
    const { mux, agent, peer, states, localUfrag, password } = await setup();
    expect((await peer.check(mux, { localUfrag, password }))?.messageClass).toBe(
      MessageClass.SuccessResponse,
    );
    expect(states).toEqual(['connected']);
    expect(agent.selectedTuple).toBeUndefined();
    expect(agent.validTuples).toHaveLength(1);
    expect(agent.send(Buffer.from([0x80, 0x60]))).toBe(false);
    await peer.check(mux, { localUfrag, password, useCandidate: true });
    expect(states).toEqual(['connected', 'completed']);
    expect(agent.selectedTuple).toBe(agent.validTuples[0]);
  });

  it('answers a wrong password with an unsigned 401 and learns nothing', async () => {
    const { mux, agent, peer, states, localUfrag } = await setup();
    const response = await peer.check(mux, { localUfrag, password: 'w'.repeat(32), useCandidate: true });
    expect(response?.messageClass).toBe(MessageClass.ErrorResponse);
    expect(errorCodeOf(response)).toBe(401);
    expect(response?.has(AttributeType.MessageIntegrity)).toBe(false);
    expect(response?.has(AttributeType.Fingerprint)).toBe(true);
    expect(states).toEqual([]);
    expect(mux.routeCount).toBe(0);
    expect(agent.stats.unauthorized).toBe(1);
  });

  it('answers a remote ufrag other than the signalled one with 401', async () => {
    const { mux, agent, peer, localUfrag, password } = await setup();
    agent.setRemoteParameters({ usernameFragment: 'peerUfrag', password: 'p'.repeat(24) });
    expect(errorCodeOf(await peer.check(mux, { localUfrag, password, remoteUfrag: 'other' }))).toBe(401);
    const ok = await peer.check(mux, { localUfrag, password, remoteUfrag: 'peerUfrag' });
    expect(ok?.messageClass).toBe(MessageClass.SuccessResponse);
  });

  it('answers checks without PRIORITY, MESSAGE-INTEGRITY or FINGERPRINT with 400', async () => {
    const { mux, agent, peer, localUfrag, password } = await setup();
    const noPriority = await peer.check(mux, { localUfrag, password, priority: null });
    expect(errorCodeOf(noPriority)).toBe(400);
    // Authenticated: the answer is signed.
    expect(noPriority?.checkIntegrity(shortTermKey(password))).toBe('sha1');
    expect(errorCodeOf(await peer.check(mux, { localUfrag, password, integrity: false }))).toBe(400);
    expect(errorCodeOf(await peer.check(mux, { localUfrag, password, fingerprint: false }))).toBe(400);
    expect(agent.stats.badRequests).toBe(3);
    expect(agent.state).toBe('new');
  });

  it('answers an unknown comprehension-required attribute with 420 and UNKNOWN-ATTRIBUTES', async () => {
    const { mux, peer, localUfrag, password } = await setup();
    const response = await peer.check(mux, { localUfrag, password, extra: [[0x0033, Buffer.alloc(4)]] });
    expect(errorCodeOf(response)).toBe(420);
    expect(response?.get(AttributeType.UnknownAttributes)).toEqual(Buffer.from([0x00, 0x33]));
    // Comprehension-optional attributes (such as libwebrtc's GOOG-NETWORK-INFO) are ignored.
    const optional = await peer.check(mux, { localUfrag, password, extra: [[0xc057, Buffer.alloc(4)]] });
    expect(optional?.messageClass).toBe(MessageClass.SuccessResponse);
  });

  it('answers a peer that also claims the controlled role with a signed 487 (RFC 8445 §7.3.1.1)', async () => {
    const { mux, agent, peer, localUfrag, password } = await setup();
    const response = await peer.check(mux, {
      localUfrag,
      password,
      controlling: false,
      controlled: true,
      useCandidate: true,
    });
    expect(errorCodeOf(response)).toBe(487);
    expect(response?.checkIntegrity(shortTermKey(password))).toBe('sha1');
    expect(agent.state).toBe('new');
    expect(agent.stats.roleConflicts).toBe(1);
    expect(agent.role).toBe('controlled');
    // The peer switches to controlling and checks again.
    expect((await peer.check(mux, { localUfrag, password, useCandidate: true }))?.messageClass).toBe(
      MessageClass.SuccessResponse,
    );
    expect(agent.state).toBe('completed');
  });

  it('drops checks for an unknown ufrag without answering', async () => {
    const { mux, agent, peer, password } = await setup();
    expect(await peer.check(mux, { localUfrag: 'nobodyHasThisOne', password }, 300)).toBeUndefined();
    expect(mux.stats.droppedUnknownUfrag).toBe(1);
    expect(agent.stats.checksReceived).toBe(0);
  });

  it('drops and counts non-STUN packets from an address no agent validated, and malformed STUN', async () => {
    const { mux, agent, peer } = await setup();
    const packets: Buffer[] = [];
    agent.on('packet', (data) => packets.push(data));
    peer.send(Buffer.from([0x16, 0xfe, 0xfd, 0, 0]), mux);
    peer.send(Buffer.from([0x80, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]), mux);
    peer.send(Buffer.from([0x00, 0x01, 0x00, 0x03, 0x21, 0x12, 0xa4, 0x42]), mux);
    await sleep(100);
    expect(mux.stats.droppedUnknownAddress).toBe(2);
    expect(mux.stats.droppedMalformed).toBe(1);
    expect(mux.stats.packetsIn).toBe(3);
    expect(packets).toHaveLength(0);
  });

  it('after nomination, sends to the peer and delivers its DTLS, RTP and RTCP as packets', async () => {
    const { mux, agent, peer, localUfrag, password } = await setup();
    await peer.check(mux, { localUfrag, password, useCandidate: true });
    const received: [string, string][] = [];
    agent.on('packet', (data, kind, tuple) => {
      received.push([kind, data.toString('hex')]);
      expect(tuple).toBe(agent.selectedTuple);
    });
    const dtls = Buffer.from('16fefd000000000000000000010203', 'hex');
    const rtp = Buffer.from('8060000100000001deadbeef00', 'hex');
    const rtcp = Buffer.from('80c8000600000001', 'hex');
    const zrtp = Buffer.from('10000000', 'hex');
    for (const packet of [dtls, rtp, rtcp, zrtp]) peer.send(packet, mux);
    const outgoing = Buffer.from('17fefd0001000000000001000401020304', 'hex');
    expect(agent.send(outgoing)).toBe(true);
    expect((await peer.next((data) => data[0] === 0x17))?.equals(outgoing)).toBe(true);
    await sleep(100);
    expect(received).toEqual([
      ['dtls', dtls.toString('hex')],
      ['rtp', rtp.toString('hex')],
      ['rtcp', rtcp.toString('hex')],
    ]);
    expect(mux.stats.droppedUnsupported).toBe(1);
    expect(agent.stats.packetsOut).toBe(1);
    expect(agent.stats.packetsIn).toBe(3);
  });

  it('routes two agents on one mux by ufrag, then by address', async () => {
    const { mux, agent: first, peer: firstPeer, localUfrag, password } = await setup();
    const second = new IceLiteAgent({ udp: [mux] });
    cleanups.push(() => second.close());
    const secondPeer = await TestPeer.open();
    cleanups.push(() => secondPeer.close());
    const secondParameters = second.localParameters;
    expect(secondParameters.usernameFragment).not.toBe(localUfrag);
    // The second agent's password does not open the first one's ufrag.
    expect(
      errorCodeOf(await secondPeer.check(mux, { localUfrag, password: secondParameters.password })),
    ).toBe(401);
    await firstPeer.check(mux, { localUfrag, password, useCandidate: true });
    await secondPeer.check(mux, {
      localUfrag: secondParameters.usernameFragment,
      password: secondParameters.password,
      useCandidate: true,
    });
    expect(first.selectedTuple?.remote.port).toBe(firstPeer.port);
    expect(second.selectedTuple?.remote.port).toBe(secondPeer.port);
    const seen: string[] = [];
    first.on('packet', (data) => seen.push(`first:${data.toString('hex')}`));
    second.on('packet', (data) => seen.push(`second:${data.toString('hex')}`));
    firstPeer.send(Buffer.from('8060000a', 'hex'), mux);
    secondPeer.send(Buffer.from('8060000b', 'hex'), mux);
    first.send(Buffer.from([0x17, 1]));
    second.send(Buffer.from([0x17, 2]));
    expect((await firstPeer.next((data) => data[0] === 0x17))?.[1]).toBe(1);
    expect((await secondPeer.next((data) => data[0] === 0x17))?.[1]).toBe(2);
    await sleep(50);
    expect(seen.sort()).toEqual(['first:8060000a', 'second:8060000b']);
    expect(mux.usernameFragmentCount).toBe(2);
    expect(mux.routeCount).toBe(2);
  });

  it('switches the selected tuple when a nominated check comes from a new address (handover)', async () => {
    const { mux, agent, peer, states, localUfrag, password } = await setup();
    await peer.check(mux, { localUfrag, password, useCandidate: true });
    const firstTuple = agent.selectedTuple;
    const moved = await TestPeer.open();
    cleanups.push(() => moved.close());
    const selected: number[] = [];
    agent.on('selectedtuple', (tuple) => selected.push(tuple.remote.port));
    // A check without USE-CANDIDATE validates the new path but does not move traffic.
    await moved.check(mux, { localUfrag, password });
    expect(agent.selectedTuple).toBe(firstTuple);
    expect(agent.validTuples).toHaveLength(2);
    await moved.check(mux, { localUfrag, password, useCandidate: true });
    expect(selected).toEqual([moved.port]);
    expect(agent.selectedTuple?.remote.port).toBe(moved.port);
    expect(agent.send(Buffer.from([0x17, 9]))).toBe(true);
    expect((await moved.next((data) => data[0] === 0x17))?.[1]).toBe(9);
    // Re-nominating the same tuple emits nothing new.
    await moved.check(mux, { localUfrag, password, useCandidate: true });
    expect(selected).toEqual([moved.port]);
    // The old path stays valid for sendTo until its consent expires.
    expect(agent.sendTo(Buffer.from([0x17, 8]), firstTuple!)).toBe(true);
    expect((await peer.next((data) => data[0] === 0x17))?.[1]).toBe(8);
    expect(states).toEqual(['connected', 'completed']);
  });

  it('goes disconnected, then closes itself when consent is not refreshed', async () => {
    const { mux, agent, peer, states, localUfrag, password } = await setup({ consentTimeoutMs: 300 });
    let closedEvents = 0;
    agent.on('closed', () => closedEvents++);
    await peer.check(mux, { localUfrag, password, useCandidate: true });
    expect(states).toEqual(['connected', 'completed']);
    await sleep(200);
    expect(states).toEqual(['connected', 'completed', 'disconnected']);
    await sleep(250);
    expect(states).toEqual(['connected', 'completed', 'disconnected', 'closed']);
    expect(closedEvents).toBe(1);
    expect(mux.routeCount).toBe(0);
    expect(mux.usernameFragmentCount).toBe(0);
    expect(agent.send(Buffer.from([0x17]))).toBe(false);
    expect(await peer.check(mux, { localUfrag, password }, 200)).toBeUndefined();
  });

  it('stays completed while the peer refreshes consent, and recovers from disconnected', async () => {
    const { mux, agent, peer, states, localUfrag, password } = await setup({ consentTimeoutMs: 800 });
    await peer.check(mux, { localUfrag, password, useCandidate: true });
    // Checks every 100 ms keep the agent well inside its 400 ms 'disconnected' threshold.
    for (let i = 0; i < 6; i++) {
      await sleep(100);
      await peer.check(mux, { localUfrag, password });
    }
    expect(states).toEqual(['connected', 'completed']);
    await sleep(550);
    expect(agent.state).toBe('disconnected');
    await peer.check(mux, { localUfrag, password });
    expect(agent.state).toBe('completed');
    expect(states).toEqual(['connected', 'completed', 'disconnected', 'completed']);
  });

  it('keeps the old credentials and path through an ICE restart until the new ones are used', async () => {
    const { mux, agent, peer, localUfrag, password } = await setup();
    agent.setRemoteParameters({ usernameFragment: 'peer', password: 'p'.repeat(24) });
    await peer.check(mux, { localUfrag, password, useCandidate: true });
    const path = agent.selectedTuple;
    const fresh = agent.restart({ usernameFragment: 'peer2', password: 'q'.repeat(24) });
    expect(fresh.usernameFragment).not.toBe(localUfrag);
    expect(fresh.password).not.toBe(password);
    expect(agent.localParameters).toEqual(fresh);
    expect(agent.remoteParameters?.usernameFragment).toBe('peer2');
    expect(mux.usernameFragmentCount).toBe(2);
    // Old credentials still answer, and the selected tuple still carries traffic.
    expect((await peer.check(mux, { localUfrag, password }))?.messageClass).toBe(
      MessageClass.SuccessResponse,
    );
    expect(agent.send(Buffer.from([0x17, 1]))).toBe(true);
    expect(await peer.next((data) => data[0] === 0x17)).toBeDefined();
    // The new ufrag with the old remote ufrag, or the old password, is refused.
    expect(
      errorCodeOf(await peer.check(mux, { localUfrag: fresh.usernameFragment, password: fresh.password })),
    ).toBe(401);
    expect(
      errorCodeOf(
        await peer.check(mux, { localUfrag: fresh.usernameFragment, password, remoteUfrag: 'peer2' }),
      ),
    ).toBe(401);
    expect(agent.selectedTuple).toBe(path);
    // The first valid check with the new credentials completes the restart.
    const response = await peer.check(mux, {
      localUfrag: fresh.usernameFragment,
      password: fresh.password,
      remoteUfrag: 'peer2',
    });
    expect(response?.checkIntegrity(shortTermKey(fresh.password))).toBe('sha1');
    expect(agent.selectedTuple).toBe(path);
    expect(mux.usernameFragmentCount).toBe(1);
    expect(await peer.check(mux, { localUfrag, password }, 200)).toBeUndefined();
    expect(mux.stats.droppedUnknownUfrag).toBe(1);
  });

  it('advertises host candidates with the announced address', async () => {
    const { agent, mux } = await setup({ announcedAddress: '203.0.113.9' });
    expect(agent.localCandidates).toEqual([
      {
        foundation: expect.stringMatching(/^[0-9a-f]{8}$/),
        component: 1,
        protocol: 'udp',
        priority: 2130706431,
        address: '203.0.113.9',
        port: mux.localAddress.port,
        type: 'host',
      },
    ]);
    expect(agent.localCandidateLines[0]).toMatch(
      new RegExp(
        `^candidate:[0-9a-f]{8} 1 udp 2130706431 203\\.0\\.113\\.9 ${mux.localAddress.port} typ host$`,
      ),
    );
  });

  it('works over IPv6 loopback', async () => {
    const { mux, agent, peer, localUfrag, password } = await setup({ host: '::1' });
    const response = await peer.check(mux, { localUfrag, password, useCandidate: true });
    expect(response?.getXorAddress(AttributeType.XorMappedAddress)).toEqual({
      family: 6,
      address: '::1',
      port: peer.port,
    });
    expect(agent.localCandidates[0].priority).toBe(2130706431 - 256);
    expect(agent.localCandidates[0].address).toBe('::1');
  });

  it('survives throwing listeners', async () => {
    const { mux, agent, peer, localUfrag, password } = await setup();
    agent.on('statechange', () => {
      throw new Error('listener bug');
    });
    expect((await peer.check(mux, { localUfrag, password, useCandidate: true }))?.messageClass).toBe(
      MessageClass.SuccessResponse,
    );
    expect(agent.stats.listenerErrors).toBe(2);
    expect(mux.stats.internalErrors).toBe(0);
  });

  it('closes idempotently and refuses use after close', async () => {
    const { mux, agent, peer, states, localUfrag, password } = await setup();
    await peer.check(mux, { localUfrag, password, useCandidate: true });
    let closedEvents = 0;
    agent.on('closed', () => closedEvents++);
    agent.close();
    agent.close();
    expect(closedEvents).toBe(1);
    expect(states.at(-1)).toBe('closed');
    expect(mux.routeCount).toBe(0);
    expect(mux.usernameFragmentCount).toBe(0);
    expect(() => agent.restart()).toThrow(expect.objectContaining({ code: 'ERR_ICE_CLOSED' }));
    expect(() => agent.setRemoteParameters({ usernameFragment: 'abcd', password: 'p'.repeat(22) })).toThrow(
      expect.objectContaining({ code: 'ERR_ICE_CLOSED' }),
    );
    peer.send(Buffer.from([0x17, 0]), mux);
    await sleep(50);
    expect(mux.stats.droppedUnknownAddress).toBe(1);
  });

  it('tells the agent when its mux closes', async () => {
    const { mux, agent, peer, localUfrag, password } = await setup();
    await peer.check(mux, { localUfrag, password, useCandidate: true });
    await mux.close();
    await mux.close();
    expect(agent.selectedTuple).toBeUndefined();
    expect(agent.state).toBe('disconnected');
    expect(agent.send(Buffer.from([0x17]))).toBe(false);
  });

  it('refuses bad options with typed errors', async () => {
    await expect(IceUdpMux.listen({ address: 'localhost', port: 0 })).rejects.toMatchObject({
      code: 'ERR_ICE_INVALID_OPTION',
    });
    await expect(IceUdpMux.listen({ address: '0.0.0.0', port: 0 })).rejects.toMatchObject({
      code: 'ERR_ICE_INVALID_OPTION',
    });
    const { mux } = await setup();
    await expect(
      IceUdpMux.listen({ address: '127.0.0.1', port: mux.localAddress.port }),
    ).rejects.toMatchObject({
      code: 'ERR_ICE_LISTEN_FAILED',
    });
    expect(() => new IceLiteAgent({})).toThrow(expect.objectContaining({ code: 'ERR_ICE_INVALID_OPTION' }));
    expect(() => new IceLiteAgent({ tcp: [mux] })).toThrow(
      expect.objectContaining({ code: 'ERR_ICE_INVALID_OPTION' }),
    );
    expect(() => new IceLiteAgent({ udp: [mux], consentTimeoutMs: 100, disconnectedTimeoutMs: 200 })).toThrow(
      expect.objectContaining({ code: 'ERR_ICE_INVALID_OPTION' }),
    );
  });
});
