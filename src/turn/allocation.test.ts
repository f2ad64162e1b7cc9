/**
 * Allocation state: permission and channel lifetimes as expiry timestamps
 * (RFC 8656 §9: 300 s, §12: 600 s), refreshes, prune() and relays by family.
 * A plain number stands in for the clock.
 */
import type { Socket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import type { TransportAddress } from '../util/ip.js';
import { Allocation, CHANNEL_LIFETIME_MS, PERMISSION_LIFETIME_MS, type Relay } from './allocation.js';

const T0 = 1_700_000_000_000;

function relay(family: 4 | 6, port: number): Relay {
  const host = family === 4 ? '192.0.2.10' : '2001:db8::10';
  // Allocation never touches the socket; a stand-in keeps the test off the network.
  return { family, host, advertisedHost: host, bound: { socket: {} as Socket, port } };
}

function allocation(relays: Relay[] = [relay(4, 50_000)]): Allocation {
  return new Allocation({
    clientAddress: '198.51.100.1',
    clientPort: 40_000,
    username: 'alice',
    quotaKey: 'alice',
    relays,
    expiresAt: T0 + 600_000,
  });
}

function peer(address: string, port: number): TransportAddress {
  return { family: address.includes(':') ? 6 : 4, address, port };
}

describe('lifetimes', () => {
  it('are 300 s for permissions and 600 s for channels', () => {
    expect(PERMISSION_LIFETIME_MS).toBe(300_000);
    expect(CHANNEL_LIFETIME_MS).toBe(600_000);
  });
});

describe('Allocation permissions', () => {
  it('has no permission before permit', () => {
    expect(allocation().hasPermission('203.0.113.5', T0)).toBe(false);
  });

  it('holds a permission until just before 300 s and not at 300 s', () => {
    const a = allocation();
    a.permit('203.0.113.5', T0);
    expect(a.hasPermission('203.0.113.5', T0)).toBe(true);
    expect(a.hasPermission('203.0.113.5', T0 + 299_999)).toBe(true);
    expect(a.hasPermission('203.0.113.5', T0 + 300_000)).toBe(false);
    expect(a.hasPermission('203.0.113.5', T0 + 1_000_000)).toBe(false);
  });

  it('is per peer IP', () => {
    const a = allocation();
    a.permit('203.0.113.5', T0);
    expect(a.hasPermission('203.0.113.6', T0)).toBe(false);
    expect(a.hasPermission('2001:db8::5', T0)).toBe(false);
  });

  it('refreshes on a later permit', () => {
    const a = allocation();
    a.permit('203.0.113.5', T0);
    a.permit('203.0.113.5', T0 + 200_000);
    expect(a.hasPermission('203.0.113.5', T0 + 300_000)).toBe(true);
    expect(a.hasPermission('203.0.113.5', T0 + 499_999)).toBe(true);
    expect(a.hasPermission('203.0.113.5', T0 + 500_000)).toBe(false);
    expect(a.permissions.size).toBe(1);
  });

  it('re-permits after expiry', () => {
    const a = allocation();
    a.permit('203.0.113.5', T0);
    a.permit('203.0.113.5', T0 + 400_000);
    expect(a.hasPermission('203.0.113.5', T0 + 699_999)).toBe(true);
  });
});

describe('Allocation channels', () => {
  it('binds a channel in both maps, expiring after 600 s', () => {
    const a = allocation();
    const address = peer('203.0.113.5', 7000);
    a.bindChannel(0x4001, address, '203.0.113.5:7000', T0);
    const byNumber = a.channelsByNumber.get(0x4001);
    expect(byNumber).toEqual({
      number: 0x4001,
      peer: address,
      peerKey: '203.0.113.5:7000',
      expiresAt: T0 + 600_000,
    });
    expect(a.channelsByPeer.get('203.0.113.5:7000')).toBe(byNumber);
    expect(a.channelsByNumber.size).toBe(1);
    expect(a.channelsByPeer.size).toBe(1);
  });

  it('refreshes an existing binding in place', () => {
    const a = allocation();
    a.bindChannel(0x4001, peer('203.0.113.5', 7000), '203.0.113.5:7000', T0);
    const channel = a.channelsByNumber.get(0x4001)!;
    a.bindChannel(0x4001, peer('203.0.113.5', 7000), '203.0.113.5:7000', T0 + 500_000);
    expect(a.channelsByNumber.get(0x4001)).toBe(channel);
    expect(a.channelsByPeer.get('203.0.113.5:7000')).toBe(channel);
    expect(channel.expiresAt).toBe(T0 + 1_100_000);
    expect(a.channelsByNumber.size).toBe(1);
    expect(a.channelsByPeer.size).toBe(1);
  });

  it('keeps several channels apart', () => {
    const a = allocation();
    a.bindChannel(0x4001, peer('203.0.113.5', 7000), '203.0.113.5:7000', T0);
    a.bindChannel(0x4002, peer('2001:db8::5', 7000), '[2001:db8::5]:7000', T0);
    expect(a.channelsByNumber.get(0x4002)!.peer).toEqual(peer('2001:db8::5', 7000));
    expect(a.channelsByPeer.get('[2001:db8::5]:7000')!.number).toBe(0x4002);
    expect(a.channelsByPeer.get('203.0.113.5:7000')!.number).toBe(0x4001);
  });
});

describe('Allocation.prune', () => {
  it('removes expired permissions and channels from both maps and counts them', () => {
    const a = allocation();
    a.permit('203.0.113.1', T0);
    a.permit('203.0.113.2', T0 + 100_000);
    a.bindChannel(0x4001, peer('203.0.113.1', 1), '203.0.113.1:1', T0);
    a.bindChannel(0x4002, peer('203.0.113.2', 2), '203.0.113.2:2', T0 + 100_000);

    expect(a.prune(T0 + 299_999)).toEqual({ permissions: 0, channels: 0 });
    expect(a.permissions.size).toBe(2);

    // At exactly 300 s the first permission is gone.
    expect(a.prune(T0 + 300_000)).toEqual({ permissions: 1, channels: 0 });
    expect([...a.permissions.keys()]).toEqual(['203.0.113.2']);

    // At exactly 600 s the first channel is gone too, from both maps.
    expect(a.prune(T0 + 600_000)).toEqual({ permissions: 1, channels: 1 });
    expect(a.permissions.size).toBe(0);
    expect([...a.channelsByNumber.keys()]).toEqual([0x4002]);
    expect([...a.channelsByPeer.keys()]).toEqual(['203.0.113.2:2']);

    expect(a.prune(T0 + 700_000)).toEqual({ permissions: 0, channels: 1 });
    expect(a.channelsByNumber.size).toBe(0);
    expect(a.channelsByPeer.size).toBe(0);

    expect(a.prune(T0 + 10_000_000)).toEqual({ permissions: 0, channels: 0 });
  });

  it('removes every expired entry in one pass', () => {
    const a = allocation();
    for (let i = 1; i <= 10; i++) {
      a.permit(`203.0.113.${i}`, T0);
      a.bindChannel(0x4000 + i, peer(`203.0.113.${i}`, i), `203.0.113.${i}:${i}`, T0);
    }
    a.permit('203.0.113.99', T0 + 1_000_000);
    expect(a.prune(T0 + 600_000)).toEqual({ permissions: 10, channels: 10 });
    expect([...a.permissions.keys()]).toEqual(['203.0.113.99']);
    expect(a.channelsByNumber.size).toBe(0);
    expect(a.channelsByPeer.size).toBe(0);
  });

  it('keeps a refreshed channel and a refreshed permission', () => {
    const a = allocation();
    a.permit('203.0.113.1', T0);
    a.bindChannel(0x4001, peer('203.0.113.1', 1), '203.0.113.1:1', T0);
    a.permit('203.0.113.1', T0 + 250_000);
    a.bindChannel(0x4001, peer('203.0.113.1', 1), '203.0.113.1:1', T0 + 550_000);
    expect(a.prune(T0 + 600_000)).toEqual({ permissions: 1, channels: 0 });
    expect(a.channelsByNumber.has(0x4001)).toBe(true);
    expect(a.channelsByPeer.has('203.0.113.1:1')).toBe(true);
  });

  it('lets a pruned channel number be bound again to another peer', () => {
    const a = allocation();
    a.bindChannel(0x4001, peer('203.0.113.1', 1), '203.0.113.1:1', T0);
    a.prune(T0 + 600_000);
    a.bindChannel(0x4001, peer('203.0.113.2', 2), '203.0.113.2:2', T0 + 600_000);
    expect(a.channelsByNumber.get(0x4001)!.peerKey).toBe('203.0.113.2:2');
    expect(a.channelsByPeer.has('203.0.113.1:1')).toBe(false);
    expect(a.channelsByNumber.get(0x4001)!.expiresAt).toBe(T0 + 1_200_000);
  });
});

describe('Allocation.relayFor', () => {
  it('finds the relay of each family of a dual allocation', () => {
    const v4 = relay(4, 50_000);
    const v6 = relay(6, 50_002);
    const a = allocation([v4, v6]);
    expect(a.relayFor(4)).toBe(v4);
    expect(a.relayFor(6)).toBe(v6);
  });

  it('finds the relay regardless of order', () => {
    const v4 = relay(4, 50_000);
    const v6 = relay(6, 50_002);
    const a = allocation([v6, v4]);
    expect(a.relayFor(4)).toBe(v4);
    expect(a.relayFor(6)).toBe(v6);
  });

  it('answers undefined for a family the allocation lacks', () => {
    expect(allocation([relay(4, 50_000)]).relayFor(6)).toBeUndefined();
    expect(allocation([relay(6, 50_000)]).relayFor(4)).toBeUndefined();
    expect(allocation([]).relayFor(4)).toBeUndefined();
  });
});

describe('Allocation constructor', () => {
  it('keeps the 5-tuple, owner, quota key and expiry', () => {
    const a = allocation();
    expect(a).toMatchObject({
      clientAddress: '198.51.100.1',
      clientPort: 40_000,
      username: 'alice',
      quotaKey: 'alice',
      expiresAt: T0 + 600_000,
      closed: false,
      allocateTransaction: '',
      allocateResponse: undefined,
    });
  });
});
