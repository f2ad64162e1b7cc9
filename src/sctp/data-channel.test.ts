/**
 * Two DataChannelManagers over two associations joined by an in-memory link
 * (each packet delivered on the next turn of the event loop).
 */
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { SctpAssociation } from './association.js';
import { type DataChannel, DataChannelManager } from './data-channel.js';
import { DataChannelPpid } from './dcep.js';
import { SctpError } from './errors.js';

interface Pair {
  client: DataChannelManager;
  server: DataChannelManager;
  clientAssociation: SctpAssociation;
  serverAssociation: SctpAssociation;
  /** Every user message (PPID, size) the server association received. */
  serverPpids: number[];
}

const open: SctpAssociation[] = [];

afterEach(() => {
  for (const association of open.splice(0)) association.abort();
});

/** Two managers, both associations connecting at once as over DTLS. */
async function pair(maxMessageSize = 256 * 1024): Promise<Pair> {
  let clientAssociation: SctpAssociation | undefined;
  let serverAssociation: SctpAssociation | undefined;
  const link = (to: () => SctpAssociation | undefined) => (packet: Buffer) =>
    setImmediate(() => to()?.handlePacket(packet));
  clientAssociation = new SctpAssociation({
    localPort: 5000,
    remotePort: 5000,
    send: link(() => serverAssociation),
    maxMessageSize,
    delayedAckMs: 10,
  });
  serverAssociation = new SctpAssociation({
    localPort: 5000,
    remotePort: 5000,
    send: link(() => clientAssociation),
    maxMessageSize,
    delayedAckMs: 10,
  });
  open.push(clientAssociation, serverAssociation);
  const client = new DataChannelManager(clientAssociation, { role: 'client' });
  const server = new DataChannelManager(serverAssociation, { role: 'server' });
  const serverPpids: number[] = [];
  serverAssociation.on('message', (_stream, ppid) => serverPpids.push(ppid));
  const opened = Promise.all([once(clientAssociation, 'open'), once(serverAssociation, 'open')]);
  clientAssociation.connect();
  serverAssociation.connect();
  await opened;
  return { client, server, clientAssociation, serverAssociation, serverPpids };
}

function whenOpen(channel: DataChannel): Promise<void> {
  if (channel.readyState === 'open') return Promise.resolve();
  return new Promise((resolve) => channel.once('open', () => resolve()));
}

function nextMessages(channel: DataChannel, count: number): Promise<(string | Buffer)[]> {
  return new Promise((resolve) => {
    const received: (string | Buffer)[] = [];
    const onMessage = (data: string | Buffer): void => {
      received.push(data);
      if (received.length === count) {
        channel.off('message', onMessage);
        resolve(received);
      }
    };
    channel.on('message', onMessage);
  });
}

describe('DataChannelManager', () => {
  it('opens a channel with DCEP on an even id from the DTLS client, and carries strings and binary', async () => {
    const { client, server, serverPpids } = await pair();
    const remote = once(server, 'datachannel') as Promise<[DataChannel]>;
    const channel = client.createDataChannel('chat', { protocol: 'json' });
    expect(channel.id).toBe(0);
    expect(channel.readyState).toBe('connecting');
    expect(() => channel.send('early')).toThrow(SctpError);
    await once(channel, 'open');
    const [peer] = await remote;
    expect(peer.id).toBe(0);
    expect(peer.label).toBe('chat');
    expect(peer.protocol).toBe('json');
    expect(peer.ordered).toBe(true);
    expect(peer.readyState).toBe('open');

    const messages = nextMessages(peer, 4);
    channel.send('héllo');
    channel.send(Buffer.from([1, 2, 3]));
    channel.send('');
    channel.send(Buffer.alloc(0));
    const received = await messages;
    expect(received[0]).toBe('héllo');
    expect(received[1]).toEqual(Buffer.from([1, 2, 3]));
    expect(received[2]).toBe('');
    expect(Buffer.isBuffer(received[3]) && received[3].length).toBe(0);
    expect(serverPpids).toEqual([
      DataChannelPpid.Dcep,
      DataChannelPpid.String,
      DataChannelPpid.Binary,
      DataChannelPpid.StringEmpty,
      DataChannelPpid.BinaryEmpty,
    ]);

    // And the other way, from the DTLS server, on odd ids.
    const back = nextMessages(channel, 1);
    peer.send('pong');
    expect(await back).toEqual(['pong']);
    const fromServer = server.createDataChannel('second', { ordered: false, maxRetransmits: 3 });
    expect(fromServer.id).toBe(1);
    const [clientSide] = (await once(client, 'datachannel')) as [DataChannel];
    expect(clientSide.id).toBe(1);
    expect(clientSide.ordered).toBe(false);
    expect(clientSide.maxRetransmits).toBe(3);
  }, 15_000);

  it('queues the OPEN of a channel created before the association opens', async () => {
    const a = new SctpAssociation({ localPort: 5000, remotePort: 5000, send: () => {} });
    open.push(a);
    const manager = new DataChannelManager(a, { role: 'server' });
    const channel = manager.createDataChannel('early');
    expect(channel.id).toBe(1);
    expect(channel.readyState).toBe('connecting');
    manager.close();
    expect(channel.readyState).toBe('closed');
  });

  it('sends a large message and refuses one above the limit', async () => {
    const { client, server } = await pair(64 * 1024);
    const channel = client.createDataChannel('bulk');
    const [peer] = (await once(server, 'datachannel')) as [DataChannel];
    await whenOpen(channel);
    const big = Buffer.alloc(64 * 1024, 7);
    const received = nextMessages(peer, 1);
    channel.send(big);
    expect(await received).toEqual([big]);
    expect(() => channel.send(Buffer.alloc(64 * 1024 + 1))).toThrow(/exceed/);
  }, 15_000);

  it('closes both ends through stream resets', async () => {
    const { client, server } = await pair();
    const channel = client.createDataChannel('bye');
    const [peer] = (await once(server, 'datachannel')) as [DataChannel];
    const closed = Promise.all([once(channel, 'close'), once(peer, 'close')]);
    channel.close();
    expect(channel.readyState).toBe('closing');
    await closed;
    expect(channel.readyState).toBe('closed');
    expect(peer.readyState).toBe('closed');
    expect(client.channels.size).toBe(0);
    expect(server.channels.size).toBe(0);
    // The id is free again and a new channel opens on the reset stream.
    const again = client.createDataChannel('again', { id: 0 });
    const [peerAgain] = (await once(server, 'datachannel')) as [DataChannel];
    expect(peerAgain.label).toBe('again');
    const received = nextMessages(peerAgain, 1);
    await whenOpen(again);
    again.send('x');
    expect(await received).toEqual(['x']);
  }, 15_000);

  it('opens negotiated channels without DCEP', async () => {
    const { client, server, serverPpids } = await pair();
    const a = client.createDataChannel('n', { negotiated: true, id: 42 });
    const b = server.createDataChannel('n', { negotiated: true, id: 42 });
    expect(a.readyState).toBe('open');
    expect(b.readyState).toBe('open');
    const received = nextMessages(b, 1);
    a.send('direct');
    expect(await received).toEqual(['direct']);
    expect(serverPpids).toEqual([DataChannelPpid.String]);
  }, 15_000);

  it('counts bufferedAmount per channel until acked, and fires bufferedamountlow once it falls to the threshold', async () => {
    const { client, server } = await pair();
    const bulk = client.createDataChannel('bulk', { negotiated: true, id: 10 });
    const other = client.createDataChannel('other', { negotiated: true, id: 12 });
    const peer = server.createDataChannel('bulk', { negotiated: true, id: 10 });
    expect(bulk.bufferedAmount).toBe(0);
    expect(bulk.bufferedAmountLowThreshold).toBe(0);
    expect(() => {
      bulk.bufferedAmountLowThreshold = -1;
    }).toThrow(TypeError);
    bulk.bufferedAmountLowThreshold = 16 * 1024;

    const lows: number[] = [];
    bulk.on('bufferedamountlow', () => lows.push(bulk.bufferedAmount));
    const low = once(bulk, 'bufferedamountlow');
    const received = nextMessages(peer, 8);
    for (let i = 0; i < 8; i++) bulk.send(Buffer.alloc(8 * 1024, i));
    // Counted at send(), before anything left, and only on its own stream.
    expect(bulk.bufferedAmount).toBe(64 * 1024);
    expect(other.bufferedAmount).toBe(0);
    expect(lows).toEqual([]);

    await Promise.all([received, low]);
    expect(lows.length).toBe(1);
    expect(lows[0]).toBeLessThanOrEqual(16 * 1024);
    // Everything is acknowledged in the end.
    while (bulk.bufferedAmount > 0) await new Promise((resolve) => setTimeout(resolve, 5));

    // A send that stays at or below the threshold never fires it.
    other.bufferedAmountLowThreshold = 1024;
    const otherLows: number[] = [];
    other.on('bufferedamountlow', () => otherLows.push(other.bufferedAmount));
    other.send('small');
    expect(other.bufferedAmount).toBe(5);
    while (other.bufferedAmount > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(otherLows).toEqual([]);
    // The event does not repeat while bufferedAmount stays low.
    expect(lows.length).toBe(1);
  }, 15_000);

  it('lets a bufferedamountlow listener send again: backpressure moves a large transfer', async () => {
    const { client, server } = await pair();
    const channel = client.createDataChannel('pump', { negotiated: true, id: 20 });
    const peer = server.createDataChannel('pump', { negotiated: true, id: 20 });
    const total = 48;
    const highWater = 32 * 1024;
    channel.bufferedAmountLowThreshold = 8 * 1024;
    let sent = 0;
    let highest = 0;
    const pump = (): void => {
      while (sent < total && channel.bufferedAmount < highWater) channel.send(Buffer.alloc(4096, sent++));
      highest = Math.max(highest, channel.bufferedAmount);
    };
    channel.on('bufferedamountlow', pump);
    const received = nextMessages(peer, total);
    pump();
    const messages = await received;
    expect(messages.map((data) => (data as Buffer)[0])).toEqual(Array.from({ length: total }, (_, i) => i));
    // The sender never ran far ahead of the peer's acknowledgements.
    expect(highest).toBeLessThan(highWater + 4096);
  }, 15_000);

  it('refuses bad options', async () => {
    const { client } = await pair();
    expect(() => client.createDataChannel('x'.repeat(65536))).toThrow(TypeError);
    expect(() => client.createDataChannel('x', { protocol: 'p'.repeat(65536) })).toThrow(TypeError);
    expect(() => client.createDataChannel('x', { maxRetransmits: 1, maxPacketLifeTime: 1 })).toThrow(
      TypeError,
    );
    expect(() => client.createDataChannel('x', { negotiated: true })).toThrow(TypeError);
    expect(() => client.createDataChannel('x', { id: 65535 })).toThrow(TypeError);
    client.createDataChannel('x', { id: 4 });
    expect(() => client.createDataChannel('y', { id: 4 })).toThrow(/in use/);
  }, 15_000);
});
