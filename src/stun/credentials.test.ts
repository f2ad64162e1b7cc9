import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PasswordAlgorithm } from './constants.js';
import { longTermKey, saslPrep, shortTermKey, userHash } from './credentials.js';

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest();
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

// RFC 5769 §2.4 / RFC 8489 B.1 credentials.
const username = '\u30de\u30c8\u30ea\u30c3\u30af\u30b9';
const password = 'The\u00adM\u00aatr\u2168';

describe('saslPrep', () => {
  it.each([
    ['RFC 5769 password', password, 'TheMatrIX'],
    ['soft hyphen (B.1) removed', 'I\u00adX', 'IX'],
    ['zero-width characters removed', 'a\u200bb\u200cc\u200dd\u2060e\ufeff', 'abcde'],
    ['variation selectors removed', 'x\ufe0fy', 'xy'],
    ['no-break space mapped to space', 'a\u00a0b', 'a b'],
    ['ideographic space mapped to space', 'a\u3000b', 'a b'],
    ['em space mapped to space', 'a\u2003b', 'a b'],
    ['narrow no-break space mapped to space', 'a\u202fb', 'a b'],
    // NFKC leaves this one alone, so only the C.1.2 mapping turns it into a space.
    ['ogham space mark mapped to space', 'a\u1680b', 'a b'],
    ['feminine ordinal (NFKC)', '\u00aa', 'a'],
    ['roman numeral nine (NFKC)', '\u2168', 'IX'],
    ['fullwidth letters (NFKC)', '\uff21\uff42', 'Ab'],
    ['ligature (NFKC)', '\ufb01', 'fi'],
    ['composed form (NFKC)', 'e\u0301', '\u00e9'],
    ['case preserved', 'USER', 'USER'],
    ['ASCII unchanged', 'VOkJxbRl1RmTxUk/WvJxBt', 'VOkJxbRl1RmTxUk/WvJxBt'],
    ['empty', '', ''],
  ])('%s', (_name, input, expected) => {
    expect(saslPrep(input)).toBe(expected);
  });

  it('leaves printable ASCII alone and is idempotent', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-ascii' }), (text) => {
        expect(saslPrep(text)).toBe(text);
      }),
    );
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        expect(saslPrep(saslPrep(text))).toBe(saslPrep(text));
      }),
    );
  });
});

describe('shortTermKey', () => {
  it('is the prepared password in UTF-8 (RFC 8489 §9.1.1)', () => {
    expect(shortTermKey('VOkJxbRl1RmTxUk/WvJxBt')).toEqual(Buffer.from('VOkJxbRl1RmTxUk/WvJxBt'));
    expect(shortTermKey(password)).toEqual(Buffer.from('TheMatrIX'));
    expect(shortTermKey('p\u00e4ss')).toEqual(Buffer.from('70c3a47373', 'hex'));
  });
});

describe('longTermKey (RFC 8489 §9.2.2)', () => {
  it('is MD5(username:realm:password) by default, with realm and password prepared', () => {
    expect(longTermKey(username, 'example.org', password)).toEqual(md5(`${username}:example.org:TheMatrIX`));
    expect(longTermKey('user', 'realm', 'pass', PasswordAlgorithm.MD5)).toEqual(md5('user:realm:pass'));
    expect(longTermKey('user', 're\u00adalm', 'p\u00a0ss')).toEqual(md5('user:realm:p ss'));
    expect(longTermKey('user', 'realm', 'pass')).toHaveLength(16);
  });

  it('is SHA-256 of the same string for PASSWORD-ALGORITHM SHA-256', () => {
    const key = longTermKey(username, 'example.org', password, PasswordAlgorithm.SHA256);
    expect(key).toEqual(sha256(`${username}:example.org:TheMatrIX`));
    expect(key).toHaveLength(32);
    expect(longTermKey('user', 'realm', 'pass', PasswordAlgorithm.SHA256)).toEqual(sha256('user:realm:pass'));
  });

  it('uses the username as received: USERNAME already carries the prepared form', () => {
    expect(longTermKey('us\u00ader', 'realm', 'pass')).toEqual(md5('us\u00ader:realm:pass'));
    expect(longTermKey('us\u00ader', 'realm', 'pass')).not.toEqual(longTermKey('user', 'realm', 'pass'));
  });

  it('matches an independent computation for any ASCII credentials', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme-ascii' }),
        fc.string({ unit: 'grapheme-ascii' }),
        fc.string({ unit: 'grapheme-ascii' }),
        (user, realm, pass) => {
          expect(longTermKey(user, realm, pass)).toEqual(md5(`${user}:${realm}:${pass}`));
          expect(longTermKey(user, realm, pass, PasswordAlgorithm.SHA256)).toEqual(
            sha256(`${user}:${realm}:${pass}`),
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('userHash (RFC 8489 §14.4)', () => {
  it('is SHA-256(username:realm)', () => {
    expect(userHash('user', 'realm')).toEqual(sha256('user:realm'));
    // The USERHASH value of RFC 8489 Appendix B.1.
    expect(userHash(username, 'example.org').toString('hex')).toBe(
      '4a3cf38fef6992bda952c6780417da0f24819415569e60b205c46e41407f1704',
    );
  });

  it('prepares both the username and the realm', () => {
    expect(userHash('us\u00ader', 're\u00a0alm')).toEqual(sha256('user:re alm'));
    expect(userHash('\uff55ser', 'realm')).toEqual(userHash('user', 'realm'));
  });
});
