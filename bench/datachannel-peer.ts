/**
 * A libwebrtc peer (npm @roamhq/wrtc) for bench/datachannel.ts, in a process
 * of its own (forked, commands and reports over IPC: bench/datachannel-protocol.ts)
 * so that the library's threads and any native crash stay out of the
 * benchmark process. One RTCPeerConnection with one reliable, ordered data
 * channel labelled "bench"; it sends or receives one transfer
 * (bench/datachannel-payload.ts) and reports.
 *
 * Backpressure: send while bufferedAmount is below a high-water mark, then
 * wait until it falls to the low-water mark. The package implements
 * bufferedAmount but neither bufferedAmountLowThreshold nor the
 * 'bufferedamountlow' event (its native binding knows neither name; set,
 * the handler never runs), so the wait polls bufferedAmount every
 * millisecond — at 1 MiB buffered that is well before the buffer can drain.
 */
import { createRequire } from 'node:module';
import {
  messageCount,
  messageInto,
  PayloadVerifier,
  payloadBlock,
  type TransferShape,
} from './datachannel-payload.js';
import type { PeerCommand, PeerReport, PeerRole } from './datachannel-protocol.js';

/** The little of RTCDataChannel used here (the package's types need the DOM library). */
interface WrtcDataChannel {
  readonly readyState: string;
  readonly bufferedAmount: number;
  binaryType: string;
  onopen: (() => void) | null;
  onclose: (() => void) | null;
  onerror: ((event: { error?: unknown }) => void) | null;
  onmessage: ((event: { data: ArrayBuffer | string }) => void) | null;
  send(data: Uint8Array): void;
  close(): void;
}

interface WrtcSessionDescription {
  type: string;
  sdp: string;
}

/** The little of RTCPeerConnection used here. */
interface WrtcPeerConnection {
  readonly iceGatheringState: string;
  readonly localDescription: WrtcSessionDescription | null;
  readonly connectionState: string;
  onicegatheringstatechange: (() => void) | null;
  onconnectionstatechange: (() => void) | null;
  ondatachannel: ((event: { channel: WrtcDataChannel }) => void) | null;
  createDataChannel(label: string, init?: { ordered?: boolean }): WrtcDataChannel;
  createOffer(): Promise<WrtcSessionDescription>;
  createAnswer(): Promise<WrtcSessionDescription>;
  setLocalDescription(description: WrtcSessionDescription): Promise<void>;
  setRemoteDescription(description: WrtcSessionDescription): Promise<void>;
  close(): void;
}

interface Wrtc {
  RTCPeerConnection: new (configuration: { iceServers: unknown[] }) => WrtcPeerConnection;
}

/** Reports to the parent; an error is the parent's to raise. */
function report(message: PeerReport | { type: 'error'; message: string }): void {
  process.send?.(message);
}

let wrtc: Wrtc;
try {
  wrtc = createRequire(import.meta.url)('@roamhq/wrtc') as Wrtc;
} catch (error) {
  report({ type: 'error', message: `cannot load @roamhq/wrtc: ${String(error)}` });
  process.exit(3);
}

const pc = new wrtc.RTCPeerConnection({ iceServers: [] });
let channel: WrtcDataChannel | undefined;
let role: PeerRole | undefined;
let stopped = false;

function stop(code: number): void {
  if (stopped) return;
  stopped = true;
  try {
    channel?.close();
    pc.close();
  } catch {
    // Closing a half-set-up connection may throw; the process ends anyway.
  }
  // The library's threads can outlive close(); exit explicitly.
  setTimeout(() => process.exit(code), 50);
}

function fail(error: unknown): void {
  report({ type: 'error', message: String(error instanceof Error ? error.message : error) });
  stop(1);
}

/** The local description once gathering completed, so that it carries every candidate. */
async function gatheredDescription(): Promise<string> {
  if (pc.iceGatheringState !== 'complete') {
    await new Promise<void>((resolve) => {
      pc.onicegatheringstatechange = () => {
        if (pc.iceGatheringState === 'complete') resolve();
      };
    });
  }
  return pc.localDescription?.sdp ?? '';
}

/** Takes the channel: checks what arrives on it when receiving, reports when it opens. */
function adopt(opened: WrtcDataChannel, peerRole: PeerRole): void {
  channel = opened;
  opened.binaryType = 'arraybuffer';
  opened.onerror = (event) => fail(`data channel error: ${String(event.error)}`);
  if (peerRole.receive) {
    const verifier = new PayloadVerifier(peerRole.receive);
    let reported = false;
    opened.onmessage = (event) => {
      const data = event.data;
      verifier.add(typeof data === 'string' ? Buffer.from(data) : new Uint8Array(data));
      if (verifier.done && !reported) {
        reported = true;
        report({ type: 'received', ...verifier.summary() });
      }
    };
  }
  const onOpen = (): void => report({ type: 'open' });
  if (opened.readyState === 'open') onOpen();
  else opened.onopen = onOpen;
}

/** Sends the transfer with bufferedAmount backpressure. */
function sendTransfer(shape: TransferShape, peerRole: PeerRole): void {
  const target = channel;
  if (!target) throw new Error('no channel to send on');
  const block = payloadBlock(shape.messageSize);
  const count = messageCount(shape);
  let next = 0;
  const startNs = process.hrtime.bigint();
  const pump = (): void => {
    try {
      while (next < count && target.bufferedAmount < peerRole.highWaterBytes)
        target.send(messageInto(block, shape, next++));
      if (next === count) {
        report({
          type: 'sent',
          startNs: String(startNs),
          endNs: String(process.hrtime.bigint()),
          messages: count,
        });
        return;
      }
      waitForLowWater();
    } catch (error) {
      fail(error);
    }
  };
  const waitForLowWater = (): void => {
    if (target.bufferedAmount <= peerRole.lowWaterBytes) pump();
    else setTimeout(waitForLowWater, 1);
  };
  pump();
}

async function handle(command: PeerCommand): Promise<void> {
  switch (command.type) {
    case 'offer':
      role = command;
      adopt(pc.createDataChannel('bench', { ordered: true }), command);
      await pc.setLocalDescription(await pc.createOffer());
      report({ type: 'offer', sdp: await gatheredDescription() });
      return;
    case 'answer':
      await pc.setRemoteDescription({ type: 'answer', sdp: command.sdp });
      return;
    case 'accept': {
      const accepted = command;
      role = accepted;
      pc.ondatachannel = (event) => adopt(event.channel, accepted);
      await pc.setRemoteDescription({ type: 'offer', sdp: command.sdp });
      await pc.setLocalDescription(await pc.createAnswer());
      report({ type: 'answer', sdp: await gatheredDescription() });
      return;
    }
    case 'go':
      if (!role?.send) throw new Error('told to go without a transfer to send');
      sendTransfer(role.send, role);
      return;
    case 'stop':
      stop(0);
      return;
  }
}

pc.onconnectionstatechange = () => {
  if (pc.connectionState === 'failed') fail('peer connection failed');
};
process.on('message', (command: PeerCommand) => {
  handle(command).catch(fail);
});
// The benchmark is gone: nothing more to do.
process.on('disconnect', () => stop(0));
