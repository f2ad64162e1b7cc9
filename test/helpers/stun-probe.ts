/**
 * A minimal STUN Binding client for readiness checks and sanity probes.
 *
 * Written from RFC 8489 with raw bytes on purpose: it must not depend on the
 * codec under test, so that "is the server up?" never fails because of the
 * code being tested (and a broken server cannot fool it either).
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';

const MAGIC_COOKIE = 0x2112a442;
const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;
const BINDING_ERROR = 0x0111;
const MAPPED_ADDRESS = 0x0001;
const XOR_MAPPED_ADDRESS = 0x0020;

/** What the server answered. */
export interface BindingAnswer {
  /** 'success' or 'error' (an error response still proves the server is up). */
  kind: 'success' | 'error';
  /** XOR-MAPPED-ADDRESS (or MAPPED-ADDRESS) of a success response, when present and IPv4. */
  mapped?: { address: string; port: number };
}

/**
 * Reads the mapped IPv4 address from a Binding success response, checking
 * every length (RFC 8489 §14.1–14.2). Returns undefined when absent or malformed.
 */
function readMapped(message: Buffer): { address: string; port: number } | undefined {
  let offset = 20;
  const end = Math.min(message.length, 20 + message.readUInt16BE(2));
  let plain: { address: string; port: number } | undefined;
  while (offset + 4 <= end) {
    const type = message.readUInt16BE(offset);
    const length = message.readUInt16BE(offset + 2);
    const value = offset + 4;
    if (value + length > end) return plain;
    if (
      (type === XOR_MAPPED_ADDRESS || type === MAPPED_ADDRESS) &&
      length === 8 &&
      message[value + 1] === 0x01
    ) {
      const xor = type === XOR_MAPPED_ADDRESS;
      const port = message.readUInt16BE(value + 2) ^ (xor ? MAGIC_COOKIE >>> 16 : 0);
      const raw = message.readUInt32BE(value + 4) ^ (xor ? MAGIC_COOKIE : 0);
      const address = [raw >>> 24, (raw >>> 16) & 0xff, (raw >>> 8) & 0xff, raw & 0xff].join('.');
      if (xor) return { address, port };
      plain = { address, port };
    }
    offset = value + ((length + 3) & ~3);
  }
  return plain;
}

/**
 * Sends Binding requests to `host:port` over UDP (retransmitting every
 * `retransmitMs`) until an answer with our transaction ID arrives or
 * `timeoutMs` passes. Resolves undefined on timeout; never rejects.
 */
export function stunBinding(
  target: { host: string; port: number },
  options: { timeoutMs?: number; retransmitMs?: number } = {},
): Promise<BindingAnswer | undefined> {
  const transactionId = randomBytes(12);
  const request = Buffer.alloc(20);
  request.writeUInt16BE(BINDING_REQUEST, 0);
  request.writeUInt16BE(0, 2);
  request.writeUInt32BE(MAGIC_COOKIE, 4);
  transactionId.copy(request, 8);
  const socket = createSocket(target.host.includes(':') ? 'udp6' : 'udp4');
  return new Promise((resolve) => {
    let settled = false;
    const finish = (answer: BindingAnswer | undefined) => {
      if (settled) return;
      settled = true;
      clearInterval(resend);
      clearTimeout(deadline);
      socket.close();
      resolve(answer);
    };
    const send = () => socket.send(request, target.port, target.host, () => {});
    // ICMP port unreachable surfaces as an error on the socket: keep trying until the deadline.
    socket.on('error', () => {});
    socket.on('message', (message) => {
      if (message.length < 20 || message.readUInt32BE(4) !== MAGIC_COOKIE) return;
      if (!message.subarray(8, 20).equals(transactionId)) return;
      const type = message.readUInt16BE(0);
      if (type === BINDING_SUCCESS) finish({ kind: 'success', mapped: readMapped(message) });
      else if (type === BINDING_ERROR) finish({ kind: 'error' });
    });
    const resend = setInterval(send, options.retransmitMs ?? 100);
    const deadline = setTimeout(() => finish(undefined), options.timeoutMs ?? 1000);
    socket.bind(0, target.host.includes(':') ? '::1' : '127.0.0.1', send);
  });
}

/** True when something answers STUN at `host:port` within `timeoutMs`. */
export async function answersStun(target: { host: string; port: number }, timeoutMs = 300): Promise<boolean> {
  return (await stunBinding(target, { timeoutMs })) !== undefined;
}
