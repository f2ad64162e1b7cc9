/**
 * A libdatachannel peer (the npm package node-datachannel) driven over stdio,
 * sending and receiving raw RTP on two media tracks (video VP8 on mid 0,
 * audio Opus on mid 1), so that every byte of the echo can be checked.
 *
 * Protocol, one JSON object per line:
 *   out {type:'offer', sdp}
 *   in  {type:'answer', sdp}
 *   out {type:'state', state}          peer connection state changes
 *   out {type:'stats', ...}            once a second and on {type:'stop'}
 *   in  {type:'stop'}                  closes and exits
 *
 * Once a track is open it sends `packets` RTP packets (every 5 ms) whose
 * payload is a function of the sequence number, of sizes 1..1100 bytes.
 * Each packet that comes back is checked against that function.
 */
'use strict';
const readline = require('node:readline');
const { createHash } = require('node:crypto');
const ndc = require('node-datachannel');

const options = { packets: 200, seconds: 30, ...JSON.parse(process.argv[2] || '{}') };
const send = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

const TRACKS = [
  { mid: '0', kind: 'video', payloadType: 96, ssrc: 0x1111_1111 },
  { mid: '1', kind: 'audio', payloadType: 111, ssrc: 0x2222_2222 },
];

/** The payload of packet `sequence` on `track`: its length and bytes depend on both. */
function payloadFor(track, sequence) {
  const length = 1 + ((sequence * 37) % 1100);
  const seed = createHash('sha256').update(`${track.mid}:${sequence}`).digest();
  const payload = Buffer.alloc(length);
  for (let i = 0; i < length; i++) payload[i] = seed[i % seed.length] ^ (i & 0xff);
  return payload;
}

function rtpPacket(track, sequence) {
  const payload = payloadFor(track, sequence);
  const packet = Buffer.alloc(12 + payload.length);
  packet[0] = 0x80;
  packet[1] = track.payloadType;
  packet.writeUInt16BE(sequence, 2);
  packet.writeUInt32BE((sequence * 3000) >>> 0, 4);
  packet.writeUInt32BE(track.ssrc, 8);
  payload.copy(packet, 12);
  return packet;
}

const pc = new ndc.PeerConnection('echo-peer', { iceServers: [] });
const stats = { sent: {}, received: {}, intact: {}, corrupt: {}, ssrcs: {}, rtcp: 0 };
const timers = [];

for (const track of TRACKS) {
  const media =
    track.kind === 'video' ? new ndc.Video(track.mid, 'SendRecv') : new ndc.Audio(track.mid, 'SendRecv');
  if (track.kind === 'video') media.addVideoCodec(track.payloadType, 'VP8');
  else media.addOpusCodec(track.payloadType);
  media.addSSRC(track.ssrc, 'echo-peer', 'stream', `${track.kind}-track`);
  const handle = pc.addTrack(media);
  stats.sent[track.mid] = 0;
  stats.received[track.mid] = 0;
  stats.intact[track.mid] = 0;
  stats.corrupt[track.mid] = 0;
  stats.ssrcs[track.mid] = [];
  handle.onMessage((message) => {
    const packet = Buffer.from(message);
    if (packet.length < 12) return;
    const secondByte = packet[1];
    if (secondByte >= 192 && secondByte <= 223) {
      stats.rtcp++;
      return;
    }
    stats.received[track.mid]++;
    const ssrc = packet.readUInt32BE(8);
    if (!stats.ssrcs[track.mid].includes(ssrc)) stats.ssrcs[track.mid].push(ssrc);
    const sequence = packet.readUInt16BE(2);
    const csrcs = packet[0] & 0x0f;
    let offset = 12 + 4 * csrcs;
    if (packet[0] & 0x10) offset += 4 + 4 * packet.readUInt16BE(offset + 2);
    const expected = payloadFor(track, sequence);
    const payload = packet.subarray(offset);
    if ((packet[1] & 0x7f) === track.payloadType && payload.equals(expected)) stats.intact[track.mid]++;
    else stats.corrupt[track.mid]++;
  });
  handle.onOpen(() => {
    let sequence = 0;
    const timer = setInterval(() => {
      if (sequence >= options.packets) {
        clearInterval(timer);
        return;
      }
      if (handle.sendMessageBinary(rtpPacket(track, sequence))) stats.sent[track.mid]++;
      sequence++;
    }, 5);
    timers.push(timer);
  });
}

pc.onStateChange((state) => send({ type: 'state', state }));

let stopped = false;
function stop(code) {
  if (stopped) return;
  stopped = true;
  send({ type: 'stats', ...stats });
  for (const timer of timers) clearInterval(timer);
  try {
    pc.close();
  } catch {}
  setTimeout(() => process.exit(code), 50);
}

timers.push(setInterval(() => send({ type: 'stats', ...stats }), 1000));
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
