import { describe, expect, it } from 'vitest';
import {
  assertValidParameters,
  generateIceParameters,
  isValidIcePassword,
  isValidUsernameFragment,
  PASSWORD_LENGTH,
  randomIceString,
  UFRAG_LENGTH,
} from './credentials.js';

describe('ICE credentials (RFC 8839 §5.4)', () => {
  it('generates a 16-character ufrag and a 32-character password of ice-chars', () => {
    const parameters = generateIceParameters();
    expect(parameters.usernameFragment).toMatch(/^[A-Za-z0-9+/]{16}$/);
    expect(parameters.password).toMatch(/^[A-Za-z0-9+/]{32}$/);
    expect(parameters.usernameFragment.length).toBe(UFRAG_LENGTH);
    expect(parameters.password.length).toBe(PASSWORD_LENGTH);
    expect(parameters.iceLite).toBe(true);
    expect(isValidUsernameFragment(parameters.usernameFragment)).toBe(true);
    expect(isValidIcePassword(parameters.password)).toBe(true);
  });

  it('never repeats and uses the whole alphabet', () => {
    const seen = new Set<string>();
    const characters = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const text = randomIceString(UFRAG_LENGTH);
      expect(seen.has(text)).toBe(false);
      seen.add(text);
      for (const character of text) characters.add(character);
    }
    expect(characters.size).toBe(64);
  });

  it('validates the grammar', () => {
    expect(isValidUsernameFragment('abc')).toBe(false);
    expect(isValidUsernameFragment('ab:d')).toBe(false);
    expect(isValidUsernameFragment('a'.repeat(257))).toBe(false);
    expect(isValidIcePassword('a'.repeat(21))).toBe(false);
    expect(isValidIcePassword(`${'a'.repeat(21)} `)).toBe(false);
    expect(() => assertValidParameters({ usernameFragment: 'ab', password: 'a'.repeat(22) })).toThrow(
      expect.objectContaining({ code: 'ERR_ICE_BAD_PARAMETERS' }),
    );
    expect(() => assertValidParameters({ usernameFragment: 'abcd', password: 'short' })).toThrow(
      expect.objectContaining({ code: 'ERR_ICE_BAD_PARAMETERS' }),
    );
  });
});
