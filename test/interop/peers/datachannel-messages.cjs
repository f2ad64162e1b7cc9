/**
 * The messages the data-channel interop tests exchange, and the checks of
 * what comes back, shared by the peer scripts (libdatachannel, libwebrtc)
 * and the test side so that both derive the same bytes from the same plan.
 *
 * A plan is a list of {kind: 'text' | 'binary', size}; message `index` of a
 * channel is a function of the channel's label, the index, the kind and the
 * size, so a receiver can rebuild what it should have got. Text messages mix
 * 1- to 4-byte UTF-8 characters and have exactly `size` bytes in UTF-8.
 */
'use strict';
const { createHash } = require('node:crypto');

/** Characters of 2, 3 and 4 UTF-8 bytes mixed into text messages. */
const WIDE = ['é', '€', '😀'];

/** One text and one binary message per size, plus an empty one of each kind when `empty`. */
function messagePlan(sizes, empty) {
  const plan = [];
  for (const size of sizes) {
    plan.push({ kind: 'text', size });
    plan.push({ kind: 'binary', size });
  }
  if (empty) {
    plan.push({ kind: 'text', size: 0 });
    plan.push({ kind: 'binary', size: 0 });
  }
  return plan;
}

/** Message `index` of the channel `label`: a string of `size` UTF-8 bytes, or a Buffer. */
function messageFor(label, index, kind, size) {
  const seed = createHash('sha256').update(`${label}:${index}:${kind}:${size}`).digest();
  if (kind === 'binary') {
    const bytes = Buffer.alloc(size);
    for (let i = 0; i < size; i++) bytes[i] = seed[i % seed.length] ^ (i & 0xff) ^ (i >>> 8);
    return bytes;
  }
  const parts = [];
  let left = size;
  let i = 0;
  while (left > 0) {
    const pick = seed[i % seed.length] ^ (i >>> 5);
    const wide = WIDE[pick % 16];
    if (wide !== undefined && Buffer.byteLength(wide) <= left) {
      parts.push(wide);
      left -= Buffer.byteLength(wide);
    } else {
      parts.push(String.fromCharCode(0x21 + ((pick + i) % 94)));
      left--;
    }
    i++;
  }
  return parts.join('');
}

/** Every message of a plan on the channel `label`, in order. */
function messagesFor(label, plan) {
  return plan.map((entry, index) => messageFor(label, index, entry.kind, entry.size));
}

/** Text or binary, and the SHA-256 of the bytes: equal keys mean equal messages. */
function digestOf(message) {
  const text = typeof message === 'string';
  const bytes = text ? Buffer.from(message, 'utf8') : Buffer.from(message);
  return `${text ? 'text' : 'binary'}:${bytes.length}:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** What a check found so far: a plain object, sent as is over stdio. */
function emptyReport(expected, ordered) {
  return {
    ordered,
    expected,
    received: 0,
    intact: 0,
    mismatches: 0,
    duplicates: 0,
    firstMismatch: null,
    done: expected === 0,
  };
}

/** Describes a message for a mismatch report. */
function describe(message) {
  const text = typeof message === 'string';
  return {
    kind: text ? 'text' : 'binary',
    size: text ? Buffer.byteLength(message) : Buffer.from(message).length,
  };
}

/**
 * Checks messages coming back in order: message n must be expected[n], byte
 * for byte and of the same kind (the index is its sequence number).
 */
class OrderedCheck {
  constructor(expected) {
    this.expected = expected;
    this.report = emptyReport(expected.length, true);
  }

  push(message) {
    const report = this.report;
    const index = report.received++;
    const want = this.expected[index];
    if (want !== undefined && digestOf(message) === digestOf(want)) report.intact++;
    else {
      report.mismatches++;
      if (report.firstMismatch === null)
        report.firstMismatch = {
          index,
          got: describe(message),
          want: want === undefined ? null : describe(want),
        };
    }
    report.done = report.intact === this.expected.length;
    return report;
  }
}

/**
 * Checks messages coming back in any order: each must be one of the expected
 * ones, intact, and arrive once.
 */
class UnorderedCheck {
  constructor(expected) {
    this.byDigest = new Map();
    for (const [index, message] of expected.entries()) this.byDigest.set(digestOf(message), index);
    this.seen = new Set();
    this.report = emptyReport(expected.length, false);
  }

  push(message) {
    const report = this.report;
    report.received++;
    const index = this.byDigest.get(digestOf(message));
    if (index === undefined) {
      report.mismatches++;
      if (report.firstMismatch === null)
        report.firstMismatch = { index: -1, got: describe(message), want: null };
    } else if (this.seen.has(index)) report.duplicates++;
    else {
      this.seen.add(index);
      report.intact++;
    }
    report.done = report.intact === this.byDigest.size;
    return report;
  }
}

module.exports = { messagePlan, messageFor, messagesFor, digestOf, OrderedCheck, UnorderedCheck };
