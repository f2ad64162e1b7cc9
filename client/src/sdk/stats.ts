/**
 * Reading a connection's statistics: which candidate pair carries the media
 * (host, server-reflexive or relay) — what a test or a "connection quality"
 * indicator wants to know.
 */

/** One end of the selected candidate pair. */
export interface CandidateSummary {
  /** `host`, `srflx`, `prflx` or `relay`. */
  candidateType: string;
  protocol: string;
  address: string | undefined;
  port: number | undefined;
  /** For relay candidates: how the browser reaches the TURN server (`udp`, `tcp`, `tls`). */
  relayProtocol: string | undefined;
}

/** The candidate pair in use and its round-trip time. */
export interface SelectedPair {
  local: CandidateSummary;
  remote: CandidateSummary;
  currentRoundTripTime: number | undefined;
}

type StatsRecord = Record<string, unknown> & { id: string; type: string };

/**
 * The selected candidate pair of a `getStats()` report: the one the transport
 * names (`selectedCandidatePairId`), or else a nominated, succeeded pair.
 * Undefined while no pair is selected.
 */
export function selectedCandidatePair(report: RTCStatsReport): SelectedPair | undefined {
  const records = new Map<string, StatsRecord>();
  report.forEach((value: StatsRecord) => {
    records.set(value.id, value);
  });
  let pair: StatsRecord | undefined;
  for (const record of records.values()) {
    if (record.type === 'transport' && typeof record.selectedCandidatePairId === 'string') {
      pair = records.get(record.selectedCandidatePairId);
      if (pair) break;
    }
  }
  if (!pair) {
    for (const record of records.values())
      if (record.type === 'candidate-pair' && record.nominated === true && record.state === 'succeeded') {
        pair = record;
        break;
      }
  }
  if (!pair) return undefined;
  const local = records.get(String(pair.localCandidateId));
  const remote = records.get(String(pair.remoteCandidateId));
  if (!local || !remote) return undefined;
  return {
    local: summarize(local),
    remote: summarize(remote),
    currentRoundTripTime:
      typeof pair.currentRoundTripTime === 'number' ? pair.currentRoundTripTime : undefined,
  };
}

function summarize(candidate: StatsRecord): CandidateSummary {
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return {
    candidateType: text(candidate.candidateType) ?? 'unknown',
    protocol: text(candidate.protocol) ?? 'unknown',
    address: text(candidate.address) ?? text(candidate.ip),
    port: typeof candidate.port === 'number' ? candidate.port : undefined,
    relayProtocol: text(candidate.relayProtocol),
  };
}
