/**
 * Messages between bench/datachannel.ts and its libwebrtc peer processes
 * (bench/datachannel-peer.ts), over the IPC channel of `child_process.fork`.
 *
 * A peer lives for one transfer. The offering peer: `offer` → 'offer' (SDP
 * with its candidates) → `answer` → 'open'. The answering peer: `accept`
 * (the remote offer) → 'answer' → 'open'. Then the sender gets `go` and
 * reports 'sent' once every message was handed to send(); the receiver
 * reports 'received' once the expected bytes arrived. `stop` ends either.
 */
import type { ReceiveSummary, TransferShape } from './datachannel-payload.js';

/** What a peer does with its one channel. */
export interface PeerRole {
  /** Send this transfer when told to go. */
  send?: TransferShape;
  /** Expect this transfer and report it. */
  receive?: TransferShape;
  /** Send while bufferedAmount is below this many bytes. */
  highWaterBytes: number;
  /** bufferedAmountLowThreshold: when to send again. */
  lowWaterBytes: number;
}

/** Creates the channel "bench" (reliable, ordered) and offers it. */
export interface OfferCommand extends PeerRole {
  type: 'offer';
}

/** Takes the remote answer to our offer. */
export interface AnswerCommand {
  type: 'answer';
  sdp: string;
}

/** Answers a remote offer; the channel comes from the offerer. */
export interface AcceptCommand extends PeerRole {
  type: 'accept';
  sdp: string;
}

/** Starts sending. */
export interface GoCommand {
  type: 'go';
}

/** Closes the connection and exits. */
export interface StopCommand {
  type: 'stop';
}

/** What the parent sends. */
export type PeerCommand = OfferCommand | AnswerCommand | AcceptCommand | GoCommand | StopCommand;

/** Our offer, ICE gathering complete (candidates inline). */
export interface OfferReport {
  type: 'offer';
  sdp: string;
}

/** Our answer, ICE gathering complete (candidates inline). */
export interface AnswerReport {
  type: 'answer';
  sdp: string;
}

/** The channel is open. */
export interface OpenReport {
  type: 'open';
}

/** Every message was handed to send(); times from process.hrtime.bigint(), ns, as strings. */
export interface SentReport {
  type: 'sent';
  startNs: string;
  endNs: string;
  messages: number;
}

/** The expected bytes arrived. */
export interface ReceivedReport extends ReceiveSummary {
  type: 'received';
}

/** What a peer sends (besides `{ type: 'error', message }`). */
export type PeerReport = OfferReport | AnswerReport | OpenReport | SentReport | ReceivedReport;
