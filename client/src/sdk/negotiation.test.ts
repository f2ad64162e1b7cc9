import { describe, expect, it } from 'vitest';
import { isPolite, makesFirstOffer, onRemoteDescription } from './negotiation.js';

describe('isPolite', () => {
  it('makes exactly one side of a pair polite: the id that sorts first', () => {
    const ada = 'PA_4k2Jx9QmZt1B';
    const grace = 'PA_7Hq0sLwE3nVa';
    expect(isPolite(ada, grace)).toBe(true);
    expect(isPolite(grace, ada)).toBe(false);
  });

  it('compares by code unit, as every browser sorts strings (uppercase before lowercase)', () => {
    expect(isPolite('PA_Zzzzzzzzzzzz', 'PA_aaaaaaaaaaaa')).toBe(true);
    expect(isPolite('PA_aaaaaaaaaaaa', 'PA_Zzzzzzzzzzzz')).toBe(false);
  });
});

describe('makesFirstOffer', () => {
  it('lets the newcomer offer: it learns of the others from joined', () => {
    expect(makesFirstOffer('joined')).toBe(true);
    expect(makesFirstOffer('participant_joined')).toBe(false);
  });
});

describe('onRemoteDescription', () => {
  const stable = { makingOffer: false, settingRemoteAnswer: false, signalingState: 'stable' as const };
  const offering = {
    makingOffer: false,
    settingRemoteAnswer: false,
    signalingState: 'have-local-offer' as const,
  };

  it('accepts an offer in the stable state on either side', () => {
    expect(onRemoteDescription('offer', true, stable)).toBe('accept');
    expect(onRemoteDescription('offer', false, stable)).toBe('accept');
  });

  it('on a collision, the impolite side ignores the offer and the polite side accepts it (rolling back)', () => {
    expect(onRemoteDescription('offer', false, offering)).toBe('ignore');
    expect(onRemoteDescription('offer', true, offering)).toBe('accept');
    const creating = { ...stable, makingOffer: true };
    expect(onRemoteDescription('offer', false, creating)).toBe('ignore');
    expect(onRemoteDescription('offer', true, creating)).toBe('accept');
  });

  it('does not count an answer being applied as a collision', () => {
    const applyingAnswer = {
      makingOffer: false,
      settingRemoteAnswer: true,
      signalingState: 'have-local-offer' as const,
    };
    expect(onRemoteDescription('offer', false, applyingAnswer)).toBe('accept');
  });

  it('always accepts answers', () => {
    expect(onRemoteDescription('answer', false, offering)).toBe('accept');
    expect(onRemoteDescription('answer', true, offering)).toBe('accept');
  });
});
