/**
 * The check bench/datachannel.ts relies on to refuse a broken transfer: the
 * payload verifier accepts exactly the messages of the transfer in order,
 * and a lost, repeated, reordered, truncated or corrupted message changes
 * what it reports.
 */
import { describe, expect, it } from 'vitest';
import {
  expectedDigest,
  messageCount,
  messageInto,
  PayloadVerifier,
  payloadBlock,
  type ReceiveSummary,
  type TransferShape,
  transferProblems,
} from '../../bench/datachannel-payload.js';

const shape: TransferShape = { bytes: 10_000, messageSize: 1024 };

/** The transfer's messages, each a copy. */
function messages(): Buffer[] {
  const block = payloadBlock(shape.messageSize);
  return Array.from({ length: messageCount(shape) }, (_, index) =>
    Buffer.from(messageInto(block, shape, index)),
  );
}

function verify(received: Buffer[]): ReceiveSummary {
  const verifier = new PayloadVerifier(shape);
  for (const message of received) verifier.add(message);
  return verifier.summary();
}

describe('datachannel benchmark payload', () => {
  it('cuts the transfer into full messages and a shorter last one', () => {
    const all = messages();
    expect(all).toHaveLength(10);
    expect(all.slice(0, 9).every((message) => message.length === 1024)).toBe(true);
    expect(all[9]).toHaveLength(10_000 - 9 * 1024);
    // Distinct messages: each carries its index.
    expect(all[3].readUInt32BE(0)).toBe(3);
    expect(all[3].equals(all[4])).toBe(false);
  });

  it('accepts the transfer as sent', () => {
    const summary = verify(messages());
    expect(summary).toMatchObject({
      bytes: 10_000,
      messages: 10,
      misordered: 0,
      digest: expectedDigest(shape),
    });
    expect(transferProblems(shape, expectedDigest(shape), summary)).toEqual([]);
    expect(BigInt(summary.lastNs)).toBeGreaterThanOrEqual(BigInt(summary.firstNs));
  });

  it('tells a lost, repeated, reordered, truncated or corrupted message from the transfer', () => {
    const digest = expectedDigest(shape);
    const broken: Record<string, (all: Buffer[]) => Buffer[]> = {
      lost: (all) => all.filter((_, index) => index !== 4),
      repeated: (all) => [...all.slice(0, 5), all[4], ...all.slice(5)],
      reordered: (all) => [all[0], all[2], all[1], ...all.slice(3)],
      truncated: (all) => [...all.slice(0, 9), all[9].subarray(0, 100)],
      corrupted: (all) => {
        all[6][500] ^= 1;
        return all;
      },
    };
    for (const [name, damage] of Object.entries(broken)) {
      const problems = transferProblems(shape, digest, verify(damage(messages())));
      expect(problems.length, name).toBeGreaterThan(0);
    }
  });
});
