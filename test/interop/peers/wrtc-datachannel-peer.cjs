/**
 * A libwebrtc peer (the npm package @roamhq/wrtc, dcSCTP inside) driven over
 * stdio that offers data channels, checks what the answerer echoes on them,
 * and echoes what the answerer sends on channels it opens. Same protocol and
 * options as ndc-datachannel-peer.cjs, so one test drives either:
 *
 *   out {type:'offer', sdp}
 *   in  {type:'answer', sdp}
 *   out {type:'state', state}                  connection state changes
 *   out {type:'open', label, id}               one of our channels opened
 *   out {type:'progress', label, report}       after every echo on one of our channels
 *   out {type:'remote-channel', label, protocol, id, ordered, maxRetransmits}
 *   out {type:'remote-message', label, kind, size}    a message on it (echoed back)
 *   out {type:'closed', label}                 a channel (ours or the answerer's) closed
 *   out {type:'send-error', label, message}    send() refused a message
 *   in  {type:'close', label}                  closes that channel
 *   in  {type:'open', label, sizes}            opens a reliable ordered channel and sends that plan on it
 *   in  {type:'stop'}                          closes everything and exits
 *
 * Options (argv[2], JSON): sizes, empty, partialSizes, seconds.
 */
'use strict';
const readline = require('node:readline');
const wrtc = require('@roamhq/wrtc');
const { messagePlan, messagesFor, OrderedCheck, UnorderedCheck } = require('./datachannel-messages.cjs');

const options = {
  seconds: 30,
  sizes: [1, 2, 100, 1000, 4096, 16384, 65536],
  empty: true,
  partialSizes: [1, 10, 100, 500],
  ...JSON.parse(process.argv[2] || '{}'),
};
const send = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

const pc = new wrtc.RTCPeerConnection({ iceServers: [] });
/** Channels by label, ours and the answerer's. */
const channels = new Map();

/** A Buffer as an ArrayBuffer of exactly its bytes (a pooled Buffer's ArrayBuffer holds others too). */
function exactArrayBuffer(bytes) {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
}

function sendOn(channel, label, message) {
  try {
    channel.send(typeof message === 'string' ? message : exactArrayBuffer(message));
  } catch (error) {
    send({ type: 'send-error', label, message: String(error?.message ?? error) });
  }
}

/** What arrived, as a string or a Buffer. */
function received(data) {
  return typeof data === 'string' ? data : Buffer.from(data);
}

/** One of our channels: sends its plan once open and checks the echoes. */
function offerChannel(label, init, plan) {
  const channel = pc.createDataChannel(label, init);
  channel.binaryType = 'arraybuffer';
  channels.set(label, channel);
  const expected = messagesFor(label, plan);
  const check = init.ordered === false ? new UnorderedCheck(expected) : new OrderedCheck(expected);
  const start = () => {
    send({ type: 'open', label, id: channel.id });
    for (const message of expected) sendOn(channel, label, message);
    if (init.maxRetransmits !== undefined) resendUntilEchoed(channel, label, expected, check);
  };
  // A channel created on a connected association may be open already, and then no 'open' event comes.
  if (channel.readyState === 'open') setImmediate(start);
  else channel.onopen = start;
  channel.onmessage = ({ data }) => send({ type: 'progress', label, report: check.push(received(data)) });
  channel.onclose = () => send({ type: 'closed', label });
  channel.onerror = (event) => send({ type: 'channel-error', label, message: String(event?.error ?? event) });
}

/**
 * A partially reliable channel may lose any message, so its plan goes out
 * again every second (up to 20 times) until one echo came back intact.
 */
function resendUntilEchoed(channel, label, expected, check) {
  let rounds = 0;
  const timer = setInterval(() => {
    if (check.report.intact > 0 || ++rounds > 20 || stopped) clearInterval(timer);
    else for (const message of expected) sendOn(channel, label, message);
  }, 1000);
}

const plan = messagePlan(options.sizes, options.empty);
offerChannel('p-ordered', { protocol: 'seq-v1' }, plan);
offerChannel('p-unordered', { ordered: false }, plan);
offerChannel('p-partial', { ordered: false, maxRetransmits: 0 }, messagePlan(options.partialSizes, false));

pc.ondatachannel = ({ channel: remote }) => {
  const label = remote.label;
  remote.binaryType = 'arraybuffer';
  channels.set(label, remote);
  send({
    type: 'remote-channel',
    label,
    protocol: remote.protocol,
    id: remote.id,
    ordered: remote.ordered,
    // This binding reports an unset maxRetransmits as 65535 (it does so for its own reliable channels too).
    maxRetransmits: remote.maxRetransmits === 65535 ? null : remote.maxRetransmits,
  });
  remote.onmessage = ({ data }) => {
    const message = received(data);
    const text = typeof message === 'string';
    send({
      type: 'remote-message',
      label,
      kind: text ? 'text' : 'binary',
      size: text ? Buffer.byteLength(message) : message.length,
    });
    sendOn(remote, label, message);
  };
  remote.onclose = () => send({ type: 'closed', label });
};

pc.onconnectionstatechange = () => send({ type: 'state', state: pc.connectionState });

let stopped = false;
function stop(code) {
  if (stopped) return;
  stopped = true;
  try {
    for (const channel of channels.values()) channel.close();
    pc.close();
  } catch {}
  // The library's threads can outlive close(); exit explicitly.
  setTimeout(() => process.exit(code), 50);
}

setTimeout(() => stop(2), options.seconds * 1000).unref();

const input = readline.createInterface({ input: process.stdin });
input.on('line', async (line) => {
  const message = JSON.parse(line);
  try {
    if (message.type === 'answer') await pc.setRemoteDescription({ type: 'answer', sdp: message.sdp });
    else if (message.type === 'close') channels.get(message.label)?.close();
    else if (message.type === 'open') offerChannel(message.label, {}, messagePlan(message.sizes, false));
    else if (message.type === 'stop') stop(0);
  } catch (error) {
    send({ type: 'error', message: String(error?.message ?? error) });
  }
});
input.on('close', () => stop(0));

(async () => {
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  send({ type: 'offer', sdp: pc.localDescription.sdp });
})().catch((error) => {
  send({ type: 'error', message: String(error) });
  stop(1);
});
