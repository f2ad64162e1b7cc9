/**
 * PortPool against real UDP sockets on loopback: range, EVEN-PORT and
 * reserve-next (RFC 8656 §7.2, §14.6), exhaustion, release, and ports that
 * another socket already holds. Every test works in its own random range of
 * 20000–30000 so that test files running in parallel do not collide.
 */
import { randomInt } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { TurnError } from './errors.js';
import { type BoundSocket, PortPool } from './port-pool.js';

const HOST = '127.0.0.1';

/** Sockets to close after each test: the pool's and our own. */
const cleanup: Array<() => void> = [];

afterEach(() => {
  for (const close of cleanup.splice(0)) {
    try {
      close();
    } catch {
      // Already closed.
    }
  }
});

/** A random base in 20000–30000, even when asked. */
function randomBase(even = false): number {
  const base = 20_000 + randomInt(9_900);
  return even && base % 2 === 1 ? base + 1 : base;
}

/** Releases the pool's socket after the test. */
function track(pool: PortPool, bound: BoundSocket, host = HOST): BoundSocket {
  cleanup.push(() => pool.release(host, bound));
  return bound;
}

/** Whether ::1 can be bound here (containers without IPv6 cannot). */
const hasIpv6Loopback = await new Promise<boolean>((resolve) => {
  const socket = createSocket({ type: 'udp6', ipv6Only: true });
  socket.once('error', () => {
    socket.close();
    resolve(false);
  });
  socket.bind(0, '::1', () => {
    socket.close();
    resolve(true);
  });
});

/** Holds a port with a plain dgram socket, as another process would. */
function holdPort(port: number, host = HOST): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      cleanup.push(() => socket.close());
      resolve(socket);
    });
  });
}

/** True when the port can be bound right now (nobody holds it). */
async function isFree(port: number): Promise<boolean> {
  try {
    const socket = await holdPort(port);
    socket.close();
    return true;
  } catch {
    return false;
  }
}

async function expectNoRelayPort(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TurnError);
  expect((error as TurnError).code).toBe('ERR_TURN_NO_RELAY_PORT');
}

describe('PortPool constructor', () => {
  it('refuses bad ranges with ERR_TURN_INVALID_OPTION', () => {
    for (const [min, max] of [
      [30_001, 30_000],
      [0, 100],
      [0, 0],
      [40_000, 70_000],
      [65_536, 65_536],
      [-1, 10],
      [1000.5, 2000],
      [1000, Number.NaN],
      [Number.NaN, 2000],
    ]) {
      let caught: unknown;
      try {
        new PortPool(min, max);
      } catch (error) {
        caught = error;
      }
      expect(caught, `${min}-${max}`).toBeInstanceOf(TurnError);
      expect((caught as TurnError).code).toBe('ERR_TURN_INVALID_OPTION');
    }
  });

  it('accepts the full range and a single port', () => {
    expect(() => new PortPool(1, 65_535)).not.toThrow();
    expect(() => new PortPool(40_000, 40_000)).not.toThrow();
  });
});

describe('PortPool.bind', () => {
  it('keeps ports in range, distinct, and bound to what it reports', async () => {
    const base = randomBase();
    const pool = new PortPool(base, base + 39);
    const ports = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const { primary, reserved } = await pool.bind(HOST, 4);
      track(pool, primary);
      expect(reserved).toBeUndefined();
      expect(primary.port).toBeGreaterThanOrEqual(base);
      expect(primary.port).toBeLessThanOrEqual(base + 39);
      expect(primary.socket.address()).toMatchObject({ address: HOST, port: primary.port, family: 'IPv4' });
      ports.add(primary.port);
    }
    expect(ports.size).toBe(20);
    expect(pool.size).toBe(20);
  });

  it('gives only even ports with `even`', async () => {
    const base = randomBase();
    const pool = new PortPool(base, base + 29);
    for (let i = 0; i < 15; i++) {
      const { primary } = await pool.bind(HOST, 4, { even: true });
      track(pool, primary);
      expect(primary.port % 2).toBe(0);
      expect(primary.port).toBeGreaterThanOrEqual(base);
      expect(primary.port).toBeLessThanOrEqual(base + 29);
    }
    // All 15 even ports of the 30 are taken now.
    await expectNoRelayPort(pool.bind(HOST, 4, { even: true }));
  });

  it('never strays below the range for `even` when the only port is odd', async () => {
    const odd = randomBase(true) + 1;
    const pool = new PortPool(odd, odd);
    await expectNoRelayPort(pool.bind(HOST, 4, { even: true }));
    expect(pool.size).toBe(0);
    // Nothing was left bound on the even port below the range.
    expect(await isFree(odd - 1)).toBe(true);
  });

  it('with an odd minimum, `even` finds the even port inside the range', async () => {
    const odd = randomBase(true) + 1;
    const pool = new PortPool(odd, odd + 1);
    for (let i = 0; i < 5; i++) {
      const { primary } = await pool.bind(HOST, 4, { even: true });
      expect(primary.port).toBe(odd + 1);
      pool.release(HOST, primary);
    }
  });

  it('reserveNext binds port+1 as the reserved socket', async () => {
    const base = randomBase(true);
    const pool = new PortPool(base, base + 19);
    for (let i = 0; i < 5; i++) {
      const { primary, reserved } = await pool.bind(HOST, 4, { even: true, reserveNext: true });
      track(pool, primary);
      expect(reserved).toBeDefined();
      track(pool, reserved!);
      expect(primary.port % 2).toBe(0);
      expect(reserved!.port).toBe(primary.port + 1);
      expect(reserved!.port).toBeLessThanOrEqual(base + 19);
      expect(reserved!.socket.address().port).toBe(primary.port + 1);
      expect(reserved!.socket).not.toBe(primary.socket);
    }
    expect(pool.size).toBe(10);
  });

  it('reserveNext never picks the last port of the range as primary', async () => {
    const base = randomBase();
    const pool = new PortPool(base, base + 1);
    for (let i = 0; i < 5; i++) {
      const { primary, reserved } = await pool.bind(HOST, 4, { reserveNext: true });
      expect([primary.port, reserved?.port]).toEqual([base, base + 1]);
      pool.release(HOST, primary);
      pool.release(HOST, reserved!);
    }
  });

  it('gives up on reserveNext when port+1 is held elsewhere, releasing the primary', async () => {
    const base = randomBase(true);
    await holdPort(base + 1);
    const pool = new PortPool(base, base + 1);
    await expectNoRelayPort(pool.bind(HOST, 4, { even: true, reserveNext: true }));
    expect(pool.size).toBe(0);
    expect(await isFree(base)).toBe(true);
  });

  it('throws ERR_TURN_NO_RELAY_PORT when a tiny range is exhausted', async () => {
    const base = randomBase();
    const pool = new PortPool(base, base + 1);
    const first = track(pool, (await pool.bind(HOST, 4)).primary);
    const second = track(pool, (await pool.bind(HOST, 4)).primary);
    expect(new Set([first.port, second.port])).toEqual(new Set([base, base + 1]));
    expect(pool.size).toBe(2);
    await expectNoRelayPort(pool.bind(HOST, 4));
    expect(pool.size).toBe(2);
  });

  it('skips a port that another socket holds', async () => {
    const base = randomBase();
    await holdPort(base);
    const pool = new PortPool(base, base + 1);
    for (let i = 0; i < 5; i++) {
      const { primary } = await pool.bind(HOST, 4);
      expect(primary.port).toBe(base + 1);
      pool.release(HOST, primary);
    }
    expect(pool.size).toBe(0);
  });

  it('skips an even port that another socket holds', async () => {
    const base = randomBase(true);
    await holdPort(base);
    const pool = new PortPool(base, base + 3);
    const { primary } = await pool.bind(HOST, 4, { even: true });
    track(pool, primary);
    expect(primary.port).toBe(base + 2);
  });

  it('fails when the only port is held elsewhere', async () => {
    const base = randomBase();
    await holdPort(base);
    const pool = new PortPool(base, base);
    await expectNoRelayPort(pool.bind(HOST, 4));
    expect(pool.size).toBe(0);
  });

  it.skipIf(!hasIpv6Loopback)(
    'binds IPv6 sockets, counting the same port on ::1 and 127.0.0.1 apart',
    async () => {
      const base = randomBase();
      const pool = new PortPool(base, base);
      const v4 = track(pool, (await pool.bind(HOST, 4)).primary);
      const v6 = track(pool, (await pool.bind('::1', 6)).primary, '::1');
      expect(v4.port).toBe(base);
      expect(v6.port).toBe(base);
      expect(v6.socket.address()).toMatchObject({ address: '::1', family: 'IPv6', port: base });
      expect(pool.size).toBe(2);
      await expectNoRelayPort(pool.bind('::1', 6));
    },
  );

  it('does not hand the same port to concurrent binds', async () => {
    const base = randomBase();
    const pool = new PortPool(base, base + 3);
    const results = await Promise.all([1, 2, 3, 4].map(() => pool.bind(HOST, 4)));
    for (const { primary } of results) track(pool, primary);
    expect(new Set(results.map(({ primary }) => primary.port)).size).toBe(4);
  });
});

describe('PortPool.release', () => {
  it('returns the port to the pool so that a new bind can get it', async () => {
    const base = randomBase();
    const pool = new PortPool(base, base);
    const first = (await pool.bind(HOST, 4)).primary;
    expect(first.port).toBe(base);
    expect(pool.size).toBe(1);
    await expectNoRelayPort(pool.bind(HOST, 4));
    pool.release(HOST, first);
    expect(pool.size).toBe(0);
    const second = track(pool, (await pool.bind(HOST, 4)).primary);
    expect(second.port).toBe(base);
    expect(pool.size).toBe(1);
  });

  it('closes the socket', async () => {
    const base = randomBase();
    const pool = new PortPool(base, base);
    const bound = (await pool.bind(HOST, 4)).primary;
    expect(await isFree(base)).toBe(false);
    pool.release(HOST, bound);
    expect(await isFree(base)).toBe(true);
  });

  it('is idempotent: releasing twice does not free a port that was handed out again', async () => {
    const base = randomBase();
    const pool = new PortPool(base, base);
    const first = (await pool.bind(HOST, 4)).primary;
    pool.release(HOST, first);
    const second = track(pool, (await pool.bind(HOST, 4)).primary);
    expect(second.port).toBe(first.port);
    pool.release(HOST, first);
    expect(pool.size).toBe(1);
    // The second socket still works.
    expect(second.socket.address().port).toBe(base);
  });
});
