/**
 * UDP socket helpers shared by the TURN server and, later, the media workers.
 */
import { createSocket, type Socket, type SocketOptions } from 'node:dgram';

/**
 * A `lookup` for sockets that only ever send to IP literals. Node's default
 * resolves every destination through `dns.lookup`, which answers an IP
 * literal on the next tick: one deferred callback per datagram sent. This
 * one answers at once. The callers give addresses they decoded themselves
 * (XOR-PEER-ADDRESS, a datagram's source), never host names.
 */
export function ipLiteralLookup(
  address: string,
  _family: unknown,
  callback: (error: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  callback(null, address, address.includes(':') ? 6 : 4);
}

/** A UDP socket of the family that sends to IP literals without a DNS step. */
export function createLiteralSocket(
  family: 4 | 6,
  options: Omit<SocketOptions, 'type' | 'lookup'> = {},
): Socket {
  return createSocket({
    type: family === 6 ? 'udp6' : 'udp4',
    ...options,
    lookup: ipLiteralLookup as SocketOptions['lookup'],
  });
}
