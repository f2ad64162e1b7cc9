/**
 * One SFU participant on libwebrtc (@roamhq/wrtc) that only receives: its
 * subscribe connection answers the server's offers and takes the data
 * channels the server opens on it. Driven over stdio, one JSON object per
 * line:
 *   in  {type:'subscribe-offer', sdp}     out {type:'subscribe-answer', sdp}
 *   out {type:'channel', label, protocol, ordered, maxRetransmits}   (a channel opened)
 *   in  {type:'send', label, text} | {type:'send', label, base64}   (a raw message on a channel)
 *   out {type:'message', label, text} | {type:'message', label, base64}
 *   out {type:'closed', label}
 *   in  {type:'stop'}
 * Options (argv[2], JSON): { seconds }.
 */
'use strict';
const readline = require('node:readline');
const wrtc = require('@roamhq/wrtc');

const options = { seconds: 60, ...JSON.parse(process.argv[2] || '{}') };
const send = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

const subscribe = new wrtc.RTCPeerConnection({ iceServers: [] });
const channels = new Map();

subscribe.ondatachannel = ({ channel }) => {
  channel.binaryType = 'arraybuffer';
  channels.set(channel.label, channel);
  const announce = () =>
    send({
      type: 'channel',
      label: channel.label,
      protocol: channel.protocol,
      ordered: channel.ordered,
      maxRetransmits: channel.maxRetransmits,
    });
  if (channel.readyState === 'open') announce();
  else channel.onopen = announce;
  channel.onmessage = ({ data }) => {
    if (typeof data === 'string') send({ type: 'message', label: channel.label, text: data });
    else send({ type: 'message', label: channel.label, base64: Buffer.from(data).toString('base64') });
  };
  channel.onclose = () => send({ type: 'closed', label: channel.label });
};

let stopped = false;
function stop(code) {
  if (stopped) return;
  stopped = true;
  subscribe.close();
  setTimeout(() => process.exit(code), 50);
}
setTimeout(() => stop(2), options.seconds * 1000).unref();

let queue = Promise.resolve();
const input = readline.createInterface({ input: process.stdin });
input.on('line', (line) => {
  const message = JSON.parse(line);
  queue = queue.then(async () => {
    try {
      if (message.type === 'subscribe-offer') {
        await subscribe.setRemoteDescription({ type: 'offer', sdp: message.sdp });
        const answer = await subscribe.createAnswer();
        await subscribe.setLocalDescription(answer);
        send({ type: 'subscribe-answer', sdp: subscribe.localDescription.sdp });
      } else if (message.type === 'send') {
        const channel = channels.get(message.label);
        if (channel?.readyState !== 'open') throw new Error(`channel ${message.label} is not open`);
        if (message.text !== undefined) channel.send(message.text);
        else {
          const bytes = Buffer.from(message.base64, 'base64');
          channel.send(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
        }
      } else if (message.type === 'stop') {
        stop(0);
      }
    } catch (error) {
      send({ type: 'error', message: String(error?.message ?? error) });
    }
  });
});
input.on('close', () => stop(0));
