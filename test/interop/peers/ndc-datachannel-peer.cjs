/**
 * A libdatachannel peer (the npm package node-datachannel) driven over stdio
 * that offers data channels, checks what the answerer echoes on them, and
 * echoes what the answerer sends on channels it opens.
 *
 * Protocol, one JSON object per line:
 *   out {type:'offer', sdp}
 *   in  {type:'answer', sdp}
 *   out {type:'state', state}                  peer connection state changes
 *   out {type:'open', label, id}               one of our channels opened
 *   out {type:'progress', label, report}       after every echo on one of our channels
 *                                              (report: see datachannel-messages.cjs)
 *   out {type:'remote-channel', label, protocol, id}  the answerer opened a channel
 *   out {type:'remote-message', label, kind, size}    a message on it (echoed back)
 *   out {type:'closed', label}                 a channel (ours or the answerer's) closed
 *   out {type:'send-error', label, message}    sendMessage refused a message
 *   in  {type:'close', label}                  closes that channel
 *   in  {type:'open', label, sizes}            opens a reliable ordered channel and sends that plan on it
 *   in  {type:'stop'}                          closes everything and exits
 *
 * Options (argv[2], JSON): sizes and empty (the plan of 'p-ordered' and
 * 'p-unordered'), partialSizes (the plan of 'p-partial', unordered with
 * maxRetransmits 0), maxMessageSize (our a=max-message-size), seconds.
 */
'use strict';
const readline = require('node:readline');
const ndc = require('node-datachannel');
const { messagePlan, messagesFor, OrderedCheck, UnorderedCheck } = require('./datachannel-messages.cjs');

const options = {
  seconds: 30,
  sizes: [1, 2, 100, 1000, 4096, 16384, 65536],
  empty: true,
  partialSizes: [1, 10, 100, 500],
  maxMessageSize: undefined,
  ...JSON.parse(process.argv[2] || '{}'),
};
const send = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

const config = { iceServers: [] };
if (options.maxMessageSize !== undefined) config.maxMessageSize = options.maxMessageSize;
const pc = new ndc.PeerConnection('datachannel-peer', config);

/** Channels by label, ours and the answerer's. */
const channels = new Map();

function sendOn(channel, label, message) {
  try {
    if (typeof message === 'string') channel.sendMessage(message);
    else channel.sendMessageBinary(message);
  } catch (error) {
    send({ type: 'send-error', label, message: String(error?.message ?? error) });
  }
}

/** One of our channels: sends its plan once open and checks the echoes. */
function offerChannel(label, init, plan) {
  const channel = pc.createDataChannel(label, init);
  channels.set(label, channel);
  const expected = messagesFor(label, plan);
  const check = init.unordered ? new UnorderedCheck(expected) : new OrderedCheck(expected);
  channel.onOpen(() => {
    send({ type: 'open', label, id: channel.getId() });
    for (const message of expected) sendOn(channel, label, message);
    if (init.maxRetransmits !== undefined) resendUntilEchoed(channel, label, expected, check);
  });
  channel.onMessage((message) => {
    const report = check.push(typeof message === 'string' ? message : Buffer.from(message));
    send({ type: 'progress', label, report });
  });
  channel.onClosed(() => send({ type: 'closed', label }));
  channel.onError((error) => send({ type: 'channel-error', label, message: String(error) }));
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
offerChannel('p-unordered', { unordered: true }, plan);
offerChannel('p-partial', { unordered: true, maxRetransmits: 0 }, messagePlan(options.partialSizes, false));

pc.onDataChannel((remote) => {
  const label = remote.getLabel();
  channels.set(label, remote);
  send({ type: 'remote-channel', label, protocol: remote.getProtocol(), id: remote.getId() });
  remote.onMessage((message) => {
    const text = typeof message === 'string';
    const data = text ? message : Buffer.from(message);
    send({
      type: 'remote-message',
      label,
      kind: text ? 'text' : 'binary',
      size: text ? Buffer.byteLength(data) : data.length,
    });
    sendOn(remote, label, data);
  });
  remote.onClosed(() => send({ type: 'closed', label }));
});

pc.onStateChange((state) => send({ type: 'state', state }));

let stopped = false;
function stop(code) {
  if (stopped) return;
  stopped = true;
  try {
    for (const channel of channels.values()) channel.close();
    pc.close();
  } catch {}
  setTimeout(() => process.exit(code), 50);
}

setTimeout(() => stop(2), options.seconds * 1000).unref();

const input = readline.createInterface({ input: process.stdin });
input.on('line', (line) => {
  const message = JSON.parse(line);
  try {
    if (message.type === 'answer') pc.setRemoteDescription(message.sdp, 'answer');
    else if (message.type === 'close') channels.get(message.label)?.close();
    else if (message.type === 'open') offerChannel(message.label, {}, messagePlan(message.sizes, false));
    else if (message.type === 'stop') stop(0);
  } catch (error) {
    send({ type: 'error', message: String(error?.message ?? error) });
  }
});
input.on('close', () => stop(0));

pc.setLocalDescription();
const description = pc.localDescription();
send({ type: 'offer', sdp: description.sdp });
