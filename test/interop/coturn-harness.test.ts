/**
 * Proves the coturn harness on coturn itself: coturn's client tools against
 * coturn's turnserver, with the exact command lines the tests against our
 * server use. If these fail, the harness (or the installed coturn) is wrong,
 * not our server. The parser is checked on captured output too, including
 * runs that lost everything or were refused, so it can tell failure apart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RELAY_PORT_RANGES } from '../helpers/ports.js';
import { describeWithTools, toolAvailable } from '../helpers/tools.js';
import {
  expectedUclientMessages,
  parseStunclientOutput,
  parseUclientOutput,
  runStunclient,
  runUclient,
  uclientArgs,
} from './coturn-client-tools.js';
import { type CoturnServer, startCoturn } from './coturn-turnserver.js';

const REST_SECRET = 'harness-rest-secret';

/** coturn 4.6.1, `-y -c -m 2 -n 10 -l 200` (no -v) against a peer that relays nothing back. */
const ALL_LOST = `0: : Total connect time is 0
1: : start_mclient: msz=1, tot_send_msgs=0, tot_recv_msgs=0, tot_send_bytes ~ 0, tot_recv_bytes ~ 0
3: : start_mclient: msz=1, tot_send_msgs=10, tot_recv_msgs=0, tot_send_bytes ~ 2000, tot_recv_bytes ~ 0
12: : start_mclient: tot_send_msgs=10, tot_recv_msgs=0
12: : start_mclient: tot_send_bytes ~ 2000, tot_recv_bytes ~ 0
12: : Total transmit time is 12
12: : Total lost packets 10 (100.000000%), total send dropped 0 (0.000000%)
12: : Average round trip delay 0.000000 ms; min = 4294967295 ms, max = 0 ms
12: : Average jitter -nan ms; min = 4294967295 ms, max = 0 ms
`;

/** coturn 4.6.1, `-v -y -s -c -m 2 -n 5 -l 100` against coturn, abridged. */
const SEND_INDICATIONS_OK = `0: : IPv4. Connected from: 127.0.0.1:33253
0: : allocate sent
0: : allocate response received: 
0: : success
0: : IPv4. Received relay addr: 127.0.0.1:41029
0: : clnet_allocate: rtv=0
0: : IPv4. Received relay addr: 127.0.0.1:41055
0: : create perm sent: 127.0.0.1:41055
0: : cp response received: 
0: : success
0: : create perm sent: 127.0.0.1:41029
0: : cp response received: 
0: : success
5: : start_mclient: msz=2, tot_send_msgs=9, tot_recv_msgs=9, tot_send_bytes ~ 900, tot_recv_bytes ~ 900
5: : start_mclient: tot_send_msgs=10, tot_recv_msgs=10
5: : Total lost packets 0 (0.000000%), total send dropped 0 (0.000000%)
`;

describe('coturn output parsing (captured output)', () => {
  it('reads a clean send-indication run', () => {
    const report = parseUclientOutput(SEND_INDICATIONS_OK);
    expect(report).toMatchObject({ sent: 10, received: 10, lost: 0, permissionsCreated: 2, errors: [] });
    expect(report.channelsBound).toEqual([]);
    expect(report.relayed).toEqual([
      { address: '127.0.0.1', port: 41029 },
      { address: '127.0.0.1', port: 41055 },
    ]);
  });

  it('sees total loss even though uclient exits 0', () => {
    expect(parseUclientOutput(ALL_LOST)).toMatchObject({ sent: 10, received: 0, lost: 10 });
  });

  it('sees a refused allocation and a refused connection', () => {
    const refused = parseUclientOutput('0: : ERROR: Cannot complete Allocation\n');
    expect(refused.errors).toEqual(['ERROR: Cannot complete Allocation']);
    expect(refused.sent).toBeUndefined();
    expect(parseUclientOutput('recv: Connection refused\n').errors).toEqual(['recv: Connection refused']);
    expect(parseUclientOutput('0: : channel bind: error 403 (Forbidden IP)\n').errors).toHaveLength(1);
  });

  it('counts messages the way uclient rounds its clients', () => {
    const base = { port: 1, username: 'u', password: 'p', messages: 10 };
    expect(expectedUclientMessages({ ...base, clients: 1 })).toBe(20);
    expect(expectedUclientMessages({ ...base, clients: 2 })).toBe(20);
    expect(expectedUclientMessages({ ...base, clients: 4 })).toBe(40);
    expect(expectedUclientMessages({ ...base, clients: 2, rtcp: true })).toBe(40);
    expect(expectedUclientMessages({ ...base, clients: 4, rtcp: true, messages: 50 })).toBe(200);
    expect(uclientArgs({ ...base, restSecret: 'S' })).toEqual([
      '-v',
      '-y',
      '-c',
      '-m',
      '2',
      '-n',
      '10',
      '-l',
      '400',
      '-u',
      'u',
      '-W',
      'S',
      '-p',
      '1',
      '127.0.0.1',
    ]);
  });

  it('reads the mapped address from stunclient', () => {
    const text =
      '0: : IPv4. UDP reflexive addr: 127.0.0.1:45931\n0: : IPv4. UDP reflexive addr: 127.0.0.1:45931\n';
    expect(parseStunclientOutput(text)).toEqual({ address: '127.0.0.1', port: 45931 });
    expect(parseStunclientOutput('')).toBeUndefined();
  });
});

const coturn = toolAvailable(['turnserver', 'turnutils_uclient', 'turnutils_stunclient'], 'coturn');

describeWithTools('coturn tools against coturn turnserver (harness self-check)', coturn, () => {
  describe('long-term credentials', () => {
    let server: CoturnServer;
    beforeAll(async () => {
      server = await startCoturn({
        auth: { kind: 'long-term', users: { test: 'secret' } },
        relayPorts: RELAY_PORT_RANGES.harnessLongTerm,
      });
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('stunclient gets its mapped address', async () => {
      const run = await runStunclient(server.port);
      expect(run.result.exitCode, run.describe()).toBe(0);
      expect(run.mapped?.address, run.describe()).toBe('127.0.0.1');
      expect(run.mapped?.port, run.describe()).toBeGreaterThan(0);
    });

    it('uclient -y over channels loses nothing', async () => {
      const run = await runUclient({ port: server.port, username: 'test', password: 'secret' });
      const context = `${run.describe()}\n--- coturn log (tail) ---\n${server.log().split('\n').slice(-30).join('\n')}`;
      expect(run.result.exitCode, context).toBe(0);
      expect(run.report, context).toMatchObject({ sent: run.expected, received: run.expected, lost: 0 });
      expect(run.report.channelsBound.length, context).toBeGreaterThanOrEqual(2);
      for (const relayed of run.report.relayed) {
        expect(relayed.port).toBeGreaterThanOrEqual(server.relayPorts.min);
        expect(relayed.port).toBeLessThanOrEqual(server.relayPorts.max);
      }
    });

    it('uclient with a wrong password is refused with exit 255', async () => {
      const run = await runUclient({
        port: server.port,
        username: 'test',
        password: 'wrong',
        timeoutMs: 10_000,
      });
      expect(run.result.exitCode, run.describe()).toBe(255);
      expect(run.report.errors, run.describe()).toContain('ERROR: Cannot complete Allocation');
      expect(server.log()).toMatch(/error 401: Unauthorized/);
    });
  });

  describe('REST credentials', () => {
    let server: CoturnServer;
    beforeAll(async () => {
      server = await startCoturn({
        auth: { kind: 'rest', secret: REST_SECRET },
        relayPorts: RELAY_PORT_RANGES.harnessRest,
      });
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('uclient -y -s -W (send indications) loses nothing', async () => {
      const run = await runUclient({
        port: server.port,
        username: 'alice',
        restSecret: REST_SECRET,
        sendIndications: true,
      });
      const context = `${run.describe()}\n--- coturn log (tail) ---\n${server.log().split('\n').slice(-30).join('\n')}`;
      expect(run.result.exitCode, context).toBe(0);
      expect(run.report, context).toMatchObject({ sent: run.expected, received: run.expected, lost: 0 });
      expect(run.report.permissionsCreated, context).toBeGreaterThanOrEqual(2);
      expect(run.report.channelsBound, context).toEqual([]);
      // The timed username coturn saw: "<unix time>:alice".
      expect(server.log()).toMatch(/username=<\d{10}:alice>/);
    });
  });
});
