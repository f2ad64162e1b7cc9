/**
 * Stream reset state of an SCTP association (RFC 6525): our outgoing SSN
 * reset requests, one in flight at a time and retransmitted on the RE-CONFIG
 * timer (§5.1.1, §5.1.2), the peer's requests with their sequence numbers
 * and the responses we owe (§5.2.1-§5.2.3), and the incoming reset deferred
 * until the cumulative TSN covers the sender's last TSN (§5.2.2). The
 * association performs the resets on its sender and receiver.
 */
import { SctpError } from './errors.js';
import { type ReconfigParameter, ReconfigResult } from './re-config.js';
import type { RtoEstimator } from './rto.js';
import { tsnAdd, tsnGt } from './serial.js';
import type { Timer } from './timer.js';

interface OutgoingResetRequest {
  requestSequenceNumber: number;
  streamIds: number[];
  senderLastAssignedTsn: number;
  sent: boolean;
  /** The peer answered 'in progress': the next transmission goes under a new sequence number. */
  renumber: boolean;
}

/** An incoming Outgoing SSN Reset Request waiting for the data sent before it. */
export interface DeferredIncomingReset {
  requestSequenceNumber: number;
  senderLastAssignedTsn: number;
  streamIds: number[];
}

/** An outgoing reset the peer answered: the streams and whether it was performed. */
export interface CompletedOutgoingReset {
  streamIds: number[];
  performed: boolean;
}

/** Requests, responses and pending RE-CONFIG parameters of one association. */
export class StreamResetState {
  readonly #timer: Timer;
  readonly #rto: RtoEstimator;
  #nextRequestSequence = 0;
  #outgoingResets: OutgoingResetRequest[] = [];
  #resettingStreams = new Set<number>();
  #expectedPeerRequest = 0;
  #lastPeerResponse: { requestSequenceNumber: number; result: number } | undefined;
  #deferredIncomingReset: DeferredIncomingReset | undefined;
  #toSend: ReconfigParameter[] = [];

  /** timer is the association's RE-CONFIG timer, started with the current RTO whenever a request goes out. */
  constructor(timer: Timer, rto: RtoEstimator) {
    this.#timer = timer;
    this.#rto = rto;
  }

  /** RFC 6525 §5.1.1: our first request sequence number is our initial TSN. */
  setInitialRequestSequence(localInitialTsn: number): void {
    this.#nextRequestSequence = localInitialTsn >>> 0;
  }

  /** The peer's first request sequence number is its initial TSN. */
  setExpectedPeerRequest(peerInitialTsn: number): void {
    this.#expectedPeerRequest = peerInitialTsn;
  }

  /** True while an outgoing reset of the stream is requested and not answered. */
  isResetting(streamId: number): boolean {
    return this.#resettingStreams.has(streamId);
  }

  /**
   * Records a request to reset the outgoing side of streams, after
   * lastAssignedTsn (our last TSN now: later messages on the streams are
   * held until the reset completes); ids already being reset are skipped.
   * Throws SctpError on an id out of range. Returns false when nothing new
   * was requested.
   */
  request(streamIds: readonly number[], lastAssignedTsn: number): boolean {
    const fresh = [...new Set(streamIds)].filter((id) => {
      if (!Number.isInteger(id) || id < 0 || id > 0xffff)
        throw new SctpError('ERR_SCTP_INVALID_ARGUMENT', 'association', `stream ${id} is out of range`);
      return !this.#resettingStreams.has(id);
    });
    if (fresh.length === 0) return false;
    for (const id of fresh) this.#resettingStreams.add(id);
    this.#outgoingResets.push({
      requestSequenceNumber: 0,
      streamIds: fresh,
      senderLastAssignedTsn: lastAssignedTsn,
      sent: false,
      renumber: false,
    });
    return true;
  }

  /**
   * Sends the next waiting request if none is in flight and the peer has
   * acknowledged (peerCumulativeTsnAck, FORWARD TSN included) everything we
   * sent before it; call again as acknowledgements come in.
   *
   * Waiting costs at most a round trip, and the peer can then perform the
   * reset at once instead of entering deferred reset processing (RFC 6525
   * §5.2.2 E2), which some stacks only finish when further DATA arrives:
   * libwebrtc's dcSCTP has versions that keep answering 'in progress' while
   * a deferred reset waits for DATA, and do not finish it when a FORWARD TSN
   * closed the gap, so the data channel never closes on their side.
   */
  startNext(peerCumulativeTsnAck: number): void {
    const request = this.#outgoingResets[0];
    if (!request || request.sent) return;
    if (tsnGt(request.senderLastAssignedTsn, peerCumulativeTsnAck)) return;
    request.sent = true;
    request.requestSequenceNumber = this.#nextRequestSequence;
    this.#nextRequestSequence = tsnAdd(this.#nextRequestSequence, 1);
    this.#queueRequest(request);
  }

  /** True when a request waits for acknowledgements before it can go out. */
  get waiting(): boolean {
    const request = this.#outgoingResets[0];
    return request !== undefined && !request.sent;
  }

  /**
   * On RE-CONFIG timer expiry, queues the request in flight again (under a
   * new sequence number after an 'in progress' answer); false when there is none.
   */
  retransmit(): boolean {
    const request = this.#outgoingResets[0];
    if (!request?.sent) return false;
    if (request.renumber) {
      request.renumber = false;
      request.requestSequenceNumber = this.#nextRequestSequence;
      this.#nextRequestSequence = tsnAdd(this.#nextRequestSequence, 1);
    }
    this.#queueRequest(request);
    return true;
  }

  /** Takes up to two parameters for one RE-CONFIG chunk (RFC 6525 §3.1); empty when nothing is due. */
  takeParameters(): ReconfigParameter[] {
    return this.#toSend.length > 0 ? this.#toSend.splice(0, 2) : [];
  }

  /**
   * Takes the peer's Outgoing SSN Reset Request (§5.2.2). Returns true when
   * it is the expected new request, now deferred; otherwise the answer is
   * queued (the earlier response again, or a bad sequence number).
   */
  onIncomingRequest(request: {
    requestSequenceNumber: number;
    senderLastAssignedTsn: number;
    streamIds: number[];
  }): boolean {
    const sequence = request.requestSequenceNumber;
    if (sequence === this.#expectedPeerRequest) {
      this.#expectedPeerRequest = tsnAdd(this.#expectedPeerRequest, 1);
      this.#deferredIncomingReset = {
        requestSequenceNumber: sequence,
        senderLastAssignedTsn: request.senderLastAssignedTsn,
        streamIds: request.streamIds,
      };
      this.#lastPeerResponse = { requestSequenceNumber: sequence, result: ReconfigResult.InProgress };
      return true;
    }
    if (this.#lastPeerResponse && sequence === this.#lastPeerResponse.requestSequenceNumber) {
      this.respond(sequence, this.#lastPeerResponse.result);
      return false;
    }
    this.respond(sequence, ReconfigResult.ErrorBadSequenceNumber);
    return false;
  }

  /**
   * Answers the peer's Incoming SSN Reset Request (§5.2.3) with "nothing to
   * do"; the association then resets the streams as a request of its own.
   */
  onIncomingSsnResetRequest(requestSequenceNumber: number): void {
    this.#toSend.push({
      kind: 'response',
      responseSequenceNumber: requestSequenceNumber,
      result: ReconfigResult.SuccessNothingToDo,
      nextTsns: undefined,
    });
    if (requestSequenceNumber === this.#expectedPeerRequest)
      this.#expectedPeerRequest = tsnAdd(this.#expectedPeerRequest, 1);
  }

  /** Denies a request type we do not support. */
  deny(): void {
    this.#toSend.push({
      kind: 'response',
      responseSequenceNumber: 0,
      result: ReconfigResult.Denied,
      nextTsns: undefined,
    });
  }

  /** Queues a Re-configuration Response (§4.4). */
  respond(requestSequenceNumber: number, result: number): void {
    this.#toSend.push({
      kind: 'response',
      responseSequenceNumber: requestSequenceNumber,
      result,
      nextTsns: undefined,
    });
  }

  /** Takes the deferred incoming reset once the cumulative TSN covers the sender's last TSN. */
  takeDueIncomingReset(peerCumulativeTsn: number): DeferredIncomingReset | undefined {
    const deferred = this.#deferredIncomingReset;
    if (!deferred || tsnGt(deferred.senderLastAssignedTsn, peerCumulativeTsn)) return undefined;
    this.#deferredIncomingReset = undefined;
    return deferred;
  }

  /** Records and queues the success response of an incoming reset just performed. */
  completeIncomingReset(requestSequenceNumber: number): void {
    this.#lastPeerResponse = { requestSequenceNumber, result: ReconfigResult.SuccessPerformed };
    this.respond(requestSequenceNumber, ReconfigResult.SuccessPerformed);
  }

  /**
   * Takes a response to our request in flight. In progress keeps the timer
   * running to ask again (§5.2.2); any final result ends the request and is
   * returned. Responses to anything else are ignored.
   */
  onResponse(sequence: number, result: number): CompletedOutgoingReset | undefined {
    const request = this.#outgoingResets[0];
    if (!request?.sent || request.requestSequenceNumber !== sequence) return undefined;
    if (result === ReconfigResult.InProgress) {
      // RFC 6525 §5.2.2 leaves the follow-up to the requester: ask again after an RTO, as a new
      // request. A peer answers a sequence number it has already seen from memory (libwebrtc's
      // dcSCTP once said "nothing to do" there while the reset was still deferred), and it may
      // not look at a deferred reset again until DATA arrives when a FORWARD TSN closed the gap;
      // a new number makes it check its cumulative TSN afresh.
      request.renumber = true;
      this.#timer.start(this.#rto.rtoMs);
      return undefined;
    }
    this.#timer.stop();
    this.#outgoingResets.shift();
    const performed =
      result === ReconfigResult.SuccessPerformed || result === ReconfigResult.SuccessNothingToDo;
    for (const id of request.streamIds) this.#resettingStreams.delete(id);
    return { streamIds: request.streamIds, performed };
  }

  #queueRequest(request: OutgoingResetRequest): void {
    this.#toSend.push({
      kind: 'outgoing-ssn-reset',
      requestSequenceNumber: request.requestSequenceNumber,
      responseSequenceNumber: tsnAdd(this.#expectedPeerRequest, -1),
      senderLastAssignedTsn: request.senderLastAssignedTsn,
      streamIds: request.streamIds,
    });
    this.#timer.start(this.#rto.rtoMs);
  }
}
