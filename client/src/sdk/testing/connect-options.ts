/** What every SDK unit test connects with: fake WebSocket and peer connections, fast retries. */
import type { ConnectOptions } from '../room.js';
import { FakePeerConnection } from './fake-peer-connection.js';
import type { FakeWebSocket } from './fake-web-socket.js';

/** Connect options on the fakes; a test adds what it needs (local media, timeouts). */
export function fakeConnectOptions(factory: {
  create: (url: string) => FakeWebSocket;
}): Pick<ConnectOptions, 'url' | 'token' | 'createWebSocket' | 'createPeerConnection' | 'backoff'> {
  return {
    url: 'ws://127.0.0.1/rtc',
    token: 't',
    createWebSocket: factory.create,
    createPeerConnection: FakePeerConnection.create,
    backoff: { initialDelayMs: 10, random: () => 0.999999 },
  };
}
