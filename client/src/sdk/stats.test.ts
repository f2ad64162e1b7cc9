import { describe, expect, it } from 'vitest';
import { selectedCandidatePair } from './stats.js';

/** A getStats() report stand-in: RTCStatsReport is a read-only map of id → stats. */
function report(entries: Record<string, unknown>[]): RTCStatsReport {
  return new Map(entries.map((entry) => [entry['id'] as string, entry])) as unknown as RTCStatsReport;
}

const localRelay = {
  id: 'L1',
  type: 'local-candidate',
  candidateType: 'relay',
  protocol: 'udp',
  address: '127.0.0.1',
  port: 50000,
  relayProtocol: 'udp',
};
const remoteRelay = {
  id: 'R1',
  type: 'remote-candidate',
  candidateType: 'relay',
  protocol: 'udp',
  address: '127.0.0.1',
  port: 50002,
};
const localHost = {
  id: 'L2',
  type: 'local-candidate',
  candidateType: 'host',
  protocol: 'udp',
  address: '127.0.0.1',
  port: 40000,
};
const remoteHost = {
  id: 'R2',
  type: 'remote-candidate',
  candidateType: 'host',
  protocol: 'udp',
  address: '127.0.0.1',
  port: 40002,
};

describe('selectedCandidatePair', () => {
  it('follows the transport to its selected pair', () => {
    const stats = report([
      localRelay,
      remoteRelay,
      localHost,
      remoteHost,
      {
        id: 'P1',
        type: 'candidate-pair',
        localCandidateId: 'L1',
        remoteCandidateId: 'R1',
        state: 'succeeded',
        nominated: true,
        currentRoundTripTime: 0.002,
      },
      {
        id: 'P2',
        type: 'candidate-pair',
        localCandidateId: 'L2',
        remoteCandidateId: 'R2',
        state: 'succeeded',
        nominated: true,
      },
      { id: 'T1', type: 'transport', selectedCandidatePairId: 'P1' },
    ]);
    expect(selectedCandidatePair(stats)).toEqual({
      local: {
        candidateType: 'relay',
        protocol: 'udp',
        address: '127.0.0.1',
        port: 50000,
        relayProtocol: 'udp',
      },
      remote: {
        candidateType: 'relay',
        protocol: 'udp',
        address: '127.0.0.1',
        port: 50002,
        relayProtocol: undefined,
      },
      currentRoundTripTime: 0.002,
    });
  });

  it('falls back to a nominated, succeeded pair when the transport names none', () => {
    const stats = report([
      localRelay,
      remoteRelay,
      localHost,
      remoteHost,
      {
        id: 'P1',
        type: 'candidate-pair',
        localCandidateId: 'L1',
        remoteCandidateId: 'R1',
        state: 'in-progress',
        nominated: false,
      },
      {
        id: 'P2',
        type: 'candidate-pair',
        localCandidateId: 'L2',
        remoteCandidateId: 'R2',
        state: 'succeeded',
        nominated: true,
      },
      { id: 'T1', type: 'transport' },
    ]);
    expect(selectedCandidatePair(stats)?.local.candidateType).toBe('host');
  });

  it('is undefined while no pair is selected', () => {
    expect(
      selectedCandidatePair(report([localHost, remoteHost, { id: 'T1', type: 'transport' }])),
    ).toBeUndefined();
    expect(selectedCandidatePair(report([]))).toBeUndefined();
  });
});
