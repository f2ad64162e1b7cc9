import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { DataChannel, DataChannelManager } from '../sctp/index.js';
import { DataLink, MAX_PENDING_MESSAGES } from './data-link.js';

/** A channel that opens when told, recording what is sent on it. */
class FakeChannel extends EventEmitter {
  readyState: 'connecting' | 'open' | 'closing' | 'closed' = 'connecting';
  readonly sent: (string | Buffer)[] = [];
  readonly label: string;

  constructor(label: string) {
    super();
    this.label = label;
  }

  send(message: string | Buffer): void {
    if (this.readyState !== 'open') throw new Error('not open');
    this.sent.push(message);
  }

  setState(state: 'open' | 'closed'): void {
    this.readyState = state;
    this.emit(state === 'open' ? 'open' : 'close');
  }
}

function fakeManager(): { manager: DataChannelManager; channels: Map<string, FakeChannel> } {
  const channels = new Map<string, FakeChannel>();
  const emitter = new EventEmitter();
  const manager = Object.assign(emitter, {
    maxMessageSize: 65_536,
    createDataChannel: (label: string) => {
      const channel = new FakeChannel(label);
      channels.set(label, channel);
      return channel as unknown as DataChannel;
    },
  }) as unknown as DataChannelManager;
  return { manager, channels };
}

describe('DataLink', () => {
  it('holds messages until its channels open, then sends them in order', () => {
    const link = new DataLink('PA_1');
    // Not connected with data channels: nothing to wait for, the caller reaches it another way.
    expect(link.send('before attach', 'reliable')).toBe(false);
    const { manager, channels } = fakeManager();
    link.attach(manager, { bufferedAmount: 0 });
    const shared = Buffer.from('view-1');
    expect(link.send(shared, 'lossy')).toBe(true);
    shared.write('VIEW-2'); // the caller reuses its buffer: the held copy must not change
    expect(link.send('while connecting', 'reliable')).toBe(true);
    const reliable = channels.get('reliable')!;
    const lossy = channels.get('lossy')!;
    expect(reliable.sent).toEqual([]);
    reliable.setState('open');
    expect(link.send('after open', 'reliable')).toBe(true);
    expect(reliable.sent).toEqual(['while connecting', 'after open']);
    expect(lossy.sent).toEqual([]);
    lossy.setState('open');
    expect(lossy.sent.map(String)).toEqual(['view-1']);
    expect(link.stats).toMatchObject({ messagesSent: 3, messagesDropped: 1 });
  });

  it('holds a bounded number, and drops what waited when the channel closes unopened', () => {
    const link = new DataLink('PA_2');
    const { manager, channels } = fakeManager();
    link.attach(manager, { bufferedAmount: 0 });
    for (let i = 0; i < MAX_PENDING_MESSAGES; i++) expect(link.send(`m${i}`, 'reliable')).toBe(true);
    expect(link.send('one too many', 'reliable')).toBe(false);
    expect(link.send('x'.repeat(2 * 1024 * 1024), 'lossy')).toBe(false);
    channels.get('reliable')!.setState('closed');
    expect(link.stats).toMatchObject({ messagesSent: 0, messagesDropped: MAX_PENDING_MESSAGES + 2 });
    // Room again once the held ones are gone.
    expect(link.send('later', 'lossy')).toBe(true);
  });
});
