/**
 * A libdatachannel peer (the npm package node-datachannel) driven over stdio
 * that offers one data channel and checks what the answerer echoes on it.
 *
 * Protocol, one JSON object per line:
 *   out {type:'offer', sdp}
 *   in  {type:'answer', sdp}
 *   out {type:'state', state}                 peer connection state changes
 *   out {type:'open', label}                  our channel opened
 *   out {type:'echo', received, expected, mismatches, firstMismatch}
 *                                             after every echo, and a last one when all came back
 *   out {type:'remote-channel', label, protocol, id}   the answerer opened a channel
 *   out {type:'remote-message', label, kind, size, text}  a message on it
 *   in  {type:'stop'}                         closes and exits
 *
 * Once the channel opens it sends `messages` (alternately text and binary,
 * of the sizes given, each a function of its index) and expects each back
 * in order, byte for byte.
 */
'use strict';
const readline = require('node:readline');
const { createHash } = require('node:crypto');
const ndc = require('node-datachannel');

const options = {
  seconds: 30,
  sizes: [1, 2, 100, 1000, 1200, 4096, 16384, 65536],
  empty: true,
  ...JSON.parse(process.argv[2] || '{}'),
};
const send = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

/** Message `index`: text of printable characters or binary bytes, derived from the index. */
function messageFor(index, size, binary) {
  const seed = createHash('sha256').update(`message:${index}`).digest();
  if (binary) {
    const bytes = Buffer.alloc(size);
    for (let i = 0; i < size; i++) bytes[i] = seed[i % seed.length] ^ (i & 0xff);
    return bytes;
  }
  let text = '';
  for (let i = 0; i < size; i++) text += String.fromCharCode(0x21 + ((seed[i % seed.length] + i) % 94));
  return text;
}

const expected = [];
for (const size of options.sizes) {
  expected.push(messageFor(expected.length, size, false));
  expected.push(messageFor(expected.length, size, true));
}
if (options.empty) expected.push('');

const pc = new ndc.PeerConnection('datachannel-peer', { iceServers: [] });
const result = { type: 'echo', received: 0, expected: expected.length, mismatches: 0, firstMismatch: null };

function sameMessage(got, want) {
  if (typeof want === 'string') return typeof got === 'string' && got === want;
  return typeof got !== 'string' && Buffer.from(got).equals(want);
}

const channel = pc.createDataChannel('echo', { protocol: 'echo-v1' });
channel.onOpen(() => {
  send({ type: 'open', label: channel.getLabel() });
  for (const message of expected) {
    if (typeof message === 'string') channel.sendMessage(message);
    else channel.sendMessageBinary(message);
  }
});
channel.onMessage((message) => {
  const index = result.received++;
  const want = expected[index];
  if (want === undefined || !sameMessage(message, want)) {
    result.mismatches++;
    if (result.firstMismatch === null)
      result.firstMismatch = {
        index,
        kind: typeof message === 'string' ? 'text' : 'binary',
        size: typeof message === 'string' ? message.length : Buffer.from(message).length,
        wantSize: want === undefined ? -1 : want.length,
      };
  }
  send(result);
});

pc.onDataChannel((remote) => {
  const label = remote.getLabel();
  send({ type: 'remote-channel', label, protocol: remote.getProtocol(), id: remote.getId() });
  remote.onMessage((message) => {
    const text = typeof message === 'string';
    send({
      type: 'remote-message',
      label,
      kind: text ? 'text' : 'binary',
      size: text ? message.length : Buffer.from(message).length,
      text: text ? message : Buffer.from(message).toString('hex'),
    });
  });
  remote.onClosed(() => send({ type: 'remote-closed', label }));
});

pc.onStateChange((state) => send({ type: 'state', state }));

let stopped = false;
function stop(code) {
  if (stopped) return;
  stopped = true;
  try {
    channel.close();
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
    else if (message.type === 'stop') stop(0);
  } catch (error) {
    send({ type: 'error', message: String(error?.message ?? error) });
  }
});
input.on('close', () => stop(0));

pc.setLocalDescription();
const description = pc.localDescription();
send({ type: 'offer', sdp: description.sdp });
