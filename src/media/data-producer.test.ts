import { describe, expect, it } from 'vitest';
import { DataConsumer } from './data-consumer.js';
import { DataLink } from './data-link.js';
import { DataProducer } from './data-producer.js';

function json(text: string) {
  return { payload: { kind: 'json' as const, text } };
}

describe('DataProducer', () => {
  it('routes to every consumer or the named ones, and drops what its link cannot send', () => {
    const sender = new DataLink('PA_ada');
    const producer = new DataProducer(sender);
    const bob = new DataConsumer(producer, new DataLink('PA_bob'));
    const cy = new DataConsumer(producer, new DataLink('PA_cy'));
    sender.emit('message', json('1'), 'reliable');
    sender.emit('message', { ...json('2'), to: ['PA_cy'] }, 'lossy');
    expect(producer.stats).toMatchObject({ messagesReceived: 2, messagesRouted: 3 });
    // Nobody's channels are open here: each delivery is counted as dropped, not lost silently.
    expect(bob.stats).toEqual({ messagesSent: 0, messagesDropped: 1 });
    expect(cy.stats).toEqual({ messagesSent: 0, messagesDropped: 2 });
    expect(bob.link.stats.messagesDropped).toBe(1);
  });

  it('holds each sender to its message and byte rates', () => {
    const sender = new DataLink('PA_ada');
    const producer = new DataProducer(sender, {}, { messagesPerSecond: 5, bytesPerSecond: 1000 });
    new DataConsumer(producer, new DataLink('PA_bob'));
    for (let i = 0; i < 20; i++) sender.emit('message', json(`${i}`), 'reliable');
    expect(producer.stats).toMatchObject({
      messagesReceived: 20,
      messagesRouted: 10,
      messagesRateLimited: 10,
    });
    const big = new DataProducer(new DataLink('PA_cy'), {}, { messagesPerSecond: 100, bytesPerSecond: 1000 });
    big.link.emit('message', { payload: { kind: 'binary', bytes: Buffer.alloc(2000) } }, 'reliable');
    expect(big.stats.messagesRateLimited).toBe(1);
  });

  it('closes its consumers and stops listening when closed', () => {
    const sender = new DataLink('PA_ada');
    const producer = new DataProducer(sender);
    const consumer = new DataConsumer(producer, new DataLink('PA_bob'));
    let closes = 0;
    consumer.on('close', () => closes++);
    producer.close();
    producer.close();
    expect(closes).toBe(1);
    expect(sender.listenerCount('message')).toBe(0);
    expect(new DataConsumer(producer, new DataLink('PA_cy')).closed).toBe(true);
  });
});
